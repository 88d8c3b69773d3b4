package io.ctrbeam.kafka;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.RecordJson;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.kafka.common.serialization.StringSerializer;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Writes generated Avro records (e.g. labeled training examples) to a Kafka topic as plain JSON
 * ({@link io.ctrbeam.common.RecordJson#allFields}), one record a message, keyed by {@link
 * #withKeyFn} (no key by default).
 */
public final class WriteKafkaJson<T extends SpecificRecord>
    extends PTransform<PCollection<T>, PDone> {
  private final String bootstrapServers;
  private final String topic;
  private final @Nullable SerializableFunction<T, String> keyFn;
  private final Map<String, Object> producerConfig;

  private WriteKafkaJson(
      String bootstrapServers,
      String topic,
      @Nullable SerializableFunction<T, String> keyFn,
      Map<String, Object> producerConfig) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.keyFn = keyFn;
    this.producerConfig = producerConfig;
  }

  /** Writes to {@code topic}. */
  public static <T extends SpecificRecord> WriteKafkaJson<T> to(
      String bootstrapServers, String topic) {
    checkArgument(
        bootstrapServers != null && !bootstrapServers.isEmpty(),
        "bootstrapServers must not be empty");
    checkArgument(topic != null && !topic.isEmpty(), "topic must not be empty");
    return new WriteKafkaJson<>(bootstrapServers, topic, null, Map.of());
  }

  /** The message key of each record (e.g. {@code TrainingExample::getImpressionId}). */
  public WriteKafkaJson<T> withKeyFn(SerializableFunction<T, String> keyFn) {
    checkArgument(keyFn != null, "keyFn must not be null");
    return new WriteKafkaJson<>(bootstrapServers, topic, keyFn, producerConfig);
  }

  /** Extra Kafka producer properties. */
  public WriteKafkaJson<T> withProducerConfigUpdates(Map<String, Object> config) {
    checkArgument(config != null, "config must not be null");
    Map<String, Object> merged = new HashMap<>(producerConfig);
    merged.putAll(config);
    return new WriteKafkaJson<>(bootstrapServers, topic, keyFn, Map.copyOf(merged));
  }

  @Override
  public PDone expand(PCollection<T> input) {
    return input
        .apply("ToJsonMessages", ParDo.of(new ToMessage<T>(keyFn)))
        .setCoder(KvCoder.of(NullableCoder.of(StringUtf8Coder.of()), StringUtf8Coder.of()))
        .apply(
            "WriteKafka",
            KafkaIO.<String, String>write()
                .withBootstrapServers(bootstrapServers)
                .withTopic(topic)
                .withKeySerializer(StringSerializer.class)
                .withValueSerializer(StringSerializer.class)
                .withProducerConfigUpdates(producerConfig));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("bootstrapServers", bootstrapServers))
        .add(DisplayData.item("topic", topic))
        .add(DisplayData.item("keyed", keyFn != null));
  }

  private static final class ToMessage<T extends SpecificRecord>
      extends DoFn<T, KV<String, String>> {
    private final @Nullable SerializableFunction<T, String> keyFn;

    ToMessage(@Nullable SerializableFunction<T, String> keyFn) {
      this.keyFn = keyFn;
    }

    @ProcessElement
    public void process(@Element T record, OutputReceiver<KV<String, String>> out) {
      out.output(KV.of(keyFn == null ? null : keyFn.apply(record), RecordJson.allFields(record)));
    }
  }
}
