package io.ctrbeam.kafka;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.schema.RawRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.TimestampPolicy;
import org.apache.beam.sdk.io.kafka.TimestampPolicyFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Reads Kafka topics into {@link RawRecord}s: {@code source} = {@code <topic>-<partition>}, {@code
 * source_offset} = the Kafka offset, {@code text} = the value as UTF-8 for JSON values ({@code
 * bytes} = the value for Avro values). A record with a null value has neither, so parsing
 * dead-letters it.
 *
 * <p>Event time: the value's top-level {@code event_time} (epoch millis) for JSON values; the
 * Kafka record timestamp when it cannot be read (parsing dead-letters such a record anyway) and
 * for Avro values. The watermark of each partition trails the largest plausible event time seen by
 * {@link #withMaxDelay} (default 5 min) and moves only with event time ({@link
 * EventTimeWatermarkPolicy}), so historical logs replayed through Kafka are labeled by their own
 * time; records more out of order than that are late. An idle partition holds the watermark.
 *
 * <p>Starts at the earliest offset unless consumer config says otherwise. {@link
 * #withMaxNumRecords} and {@link #withStartReadTime} make a bounded read for tests and backfills.
 */
public final class ReadKafkaRecords extends PTransform<PBegin, PCollection<RawRecord>> {
  /** How the values are encoded. */
  public enum ValueFormat {
    JSON,
    AVRO
  }

  private final String bootstrapServers;
  private final List<String> topics;
  private final ValueFormat valueFormat;
  private final String eventTimeField;
  private final Duration maxDelay;
  private final @Nullable Long maxNumRecords;
  private final @Nullable Instant startReadTime;
  private final Map<String, Object> consumerConfig;

  private ReadKafkaRecords(
      String bootstrapServers,
      List<String> topics,
      ValueFormat valueFormat,
      String eventTimeField,
      Duration maxDelay,
      @Nullable Long maxNumRecords,
      @Nullable Instant startReadTime,
      Map<String, Object> consumerConfig) {
    this.bootstrapServers = bootstrapServers;
    this.topics = topics;
    this.valueFormat = valueFormat;
    this.eventTimeField = eventTimeField;
    this.maxDelay = maxDelay;
    this.maxNumRecords = maxNumRecords;
    this.startReadTime = startReadTime;
    this.consumerConfig = consumerConfig;
  }

  /** Reads JSON values of {@code topic}. */
  public static ReadKafkaRecords from(String bootstrapServers, String topic) {
    checkArgument(topic != null && !topic.isEmpty(), "topic must not be empty");
    return from(bootstrapServers, List.of(topic));
  }

  /** Reads JSON values of several topics. */
  public static ReadKafkaRecords from(String bootstrapServers, List<String> topics) {
    checkArgument(
        bootstrapServers != null && !bootstrapServers.isEmpty(), "bootstrapServers must not be empty");
    checkArgument(topics != null && !topics.isEmpty(), "topics must not be empty");
    return new ReadKafkaRecords(
        bootstrapServers, List.copyOf(topics), ValueFormat.JSON, "event_time",
        Duration.standardMinutes(5), null, null, Map.of());
  }

  /** JSON (default: {@code text}) or Avro ({@code bytes}, Kafka timestamp as event time). */
  public ReadKafkaRecords withValueFormat(ValueFormat valueFormat) {
    checkArgument(valueFormat != null, "valueFormat must not be null");
    return new ReadKafkaRecords(bootstrapServers, topics, valueFormat, eventTimeField, maxDelay,
        maxNumRecords, startReadTime, consumerConfig);
  }

  /** The JSON field holding the event time; default {@code event_time}. */
  public ReadKafkaRecords withEventTimeField(String field) {
    checkArgument(field != null && !field.isEmpty(), "field must not be empty");
    return new ReadKafkaRecords(bootstrapServers, topics, valueFormat, field, maxDelay,
        maxNumRecords, startReadTime, consumerConfig);
  }

  /** The disorder the watermark tolerates; default 5 min. */
  public ReadKafkaRecords withMaxDelay(Duration maxDelay) {
    checkArgument(maxDelay != null && maxDelay.getMillis() >= 0, "maxDelay must be >= 0");
    return new ReadKafkaRecords(bootstrapServers, topics, valueFormat, eventTimeField, maxDelay,
        maxNumRecords, startReadTime, consumerConfig);
  }

  /** Stops after {@code n} records: a bounded read. */
  public ReadKafkaRecords withMaxNumRecords(long n) {
    checkArgument(n > 0, "maxNumRecords must be > 0, got %s", n);
    return new ReadKafkaRecords(bootstrapServers, topics, valueFormat, eventTimeField, maxDelay,
        n, startReadTime, consumerConfig);
  }

  /** Starts at the first offset whose Kafka timestamp is at or after {@code time}. */
  public ReadKafkaRecords withStartReadTime(Instant time) {
    checkArgument(time != null, "startReadTime must not be null");
    return new ReadKafkaRecords(bootstrapServers, topics, valueFormat, eventTimeField, maxDelay,
        maxNumRecords, time, consumerConfig);
  }

  /** Extra Kafka consumer properties (group id, security, offset reset, ...). */
  public ReadKafkaRecords withConsumerConfigUpdates(Map<String, Object> config) {
    checkArgument(config != null, "config must not be null");
    Map<String, Object> merged = new HashMap<>(consumerConfig);
    merged.putAll(config);
    return new ReadKafkaRecords(bootstrapServers, topics, valueFormat, eventTimeField, maxDelay,
        maxNumRecords, startReadTime, Map.copyOf(merged));
  }

  @Override
  public PCollection<RawRecord> expand(PBegin input) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.putAll(consumerConfig);
    String field = valueFormat == ValueFormat.JSON ? eventTimeField : null;
    KafkaIO.Read<byte[], byte[]> read =
        KafkaIO.<byte[], byte[]>read()
            .withBootstrapServers(bootstrapServers)
            .withTopics(topics)
            .withKeyDeserializer(ByteArrayDeserializer.class)
            .withValueDeserializer(ByteArrayDeserializer.class)
            .withConsumerConfigUpdates(config)
            .withTimestampPolicyFactory(new EventTimePolicyFactory(field, maxDelay));
    if (maxNumRecords != null) {
      read = read.withMaxNumRecords(maxNumRecords);
    }
    if (startReadTime != null) {
      read = read.withStartReadTime(startReadTime);
    }
    return input
        .apply("ReadKafka", read)
        .apply("ToRawRecords", ParDo.of(new ToRawRecord(valueFormat)))
        .setCoder(AvroCoder.of(RawRecord.class));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("bootstrapServers", bootstrapServers))
        .add(DisplayData.item("topics", String.join(",", topics)))
        .add(DisplayData.item("valueFormat", valueFormat.name()))
        .add(DisplayData.item("eventTimeField", eventTimeField))
        .add(DisplayData.item("maxDelay", maxDelay))
        .addIfNotNull(DisplayData.item("maxNumRecords", maxNumRecords))
        .addIfNotNull(DisplayData.item("startReadTime", startReadTime));
  }

  /** Event time from the JSON value (when {@code field} is set; none when unreadable), else the Kafka timestamp. */
  private static final class EventTimePolicyFactory
      implements TimestampPolicyFactory<byte[], byte[]> {
    private final @Nullable String field;
    private final Duration maxDelay;

    EventTimePolicyFactory(@Nullable String field, Duration maxDelay) {
      this.field = field;
      this.maxDelay = maxDelay;
    }

    @Override
    public TimestampPolicy<byte[], byte[]> createTimestampPolicy(
        TopicPartition tp, Optional<Instant> previousWatermark) {
      String f = field;
      return new EventTimeWatermarkPolicy(
          r -> f == null ? Long.valueOf(r.getTimestamp()) : EventTimes.fromJson(r.getKV().getValue(), f),
          maxDelay,
          previousWatermark);
    }
  }

  private static final class ToRawRecord extends DoFn<KafkaRecord<byte[], byte[]>, RawRecord> {
    private final ValueFormat valueFormat;

    ToRawRecord(ValueFormat valueFormat) {
      this.valueFormat = valueFormat;
    }

    @ProcessElement
    public void process(@Element KafkaRecord<byte[], byte[]> r, OutputReceiver<RawRecord> out) {
      byte[] value = r.getKV().getValue();
      boolean json = valueFormat == ValueFormat.JSON;
      out.output(
          RawRecord.newBuilder()
              .setSource(r.getTopic() + "-" + r.getPartition())
              .setSourceOffset(r.getOffset())
              .setText(json && value != null ? new String(value, StandardCharsets.UTF_8) : null)
              .setBytes(!json && value != null ? ByteBuffer.wrap(value) : null)
              .build());
    }
  }
}
