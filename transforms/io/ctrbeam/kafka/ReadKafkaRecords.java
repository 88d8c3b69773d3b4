package io.ctrbeam.kafka;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.ingest.Format;
import io.ctrbeam.ingest.ProcessingClock;
import io.ctrbeam.schema.RawRecord;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
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
 * <p>Event time: the value's top-level {@code event_time} (epoch millis) for JSON values; the Kafka
 * record timestamp when it cannot be read (parsing dead-letters such a record anyway) and for Avro
 * values. The watermark of each partition trails the largest plausible event time seen by {@link
 * #withMaxDelay} (default 5 min) and moves only with event time ({@link EventTimeWatermarkPolicy}),
 * so historical logs replayed through Kafka are labeled by their own time; records more out of
 * order than that are late. A lone outlier does not carry the watermark, and a partition idle for
 * {@link #withIdleTimeout} advances with the processing clock.
 *
 * <p>Starts at the earliest offset unless consumer config says otherwise. {@link
 * #withMaxNumRecords} and {@link #withStartReadTime} make a bounded read for tests and backfills.
 */
public final class ReadKafkaRecords extends PTransform<PBegin, PCollection<RawRecord>> {
  /**
   * Everything that configures a read. Never changed once a transform holds it: {@link #with}
   * copies.
   */
  private static final class Config implements Serializable, Cloneable {
    String bootstrapServers;
    List<String> topics;
    Format valueFormat = Format.JSONL;
    String eventTimeField = "event_time";
    Duration maxDelay = Duration.standardMinutes(5);
    Duration idleTimeout = Duration.standardMinutes(5);
    ProcessingClock clock = ProcessingClock.system();
    @Nullable Long maxNumRecords;
    @Nullable Instant startReadTime;
    Map<String, Object> consumerConfig = Map.of();

    Config copy() {
      try {
        return (Config) clone();
      } catch (CloneNotSupportedException e) {
        throw new AssertionError(e);
      }
    }
  }

  private final Config c;

  private ReadKafkaRecords(Config c) {
    this.c = c;
  }

  private ReadKafkaRecords with(Consumer<Config> change) {
    Config next = c.copy();
    change.accept(next);
    return new ReadKafkaRecords(next);
  }

  /** Reads JSON values of {@code topic}. */
  public static ReadKafkaRecords from(String bootstrapServers, String topic) {
    checkArgument(topic != null && !topic.isEmpty(), "topic must not be empty, got %s", topic);
    return from(bootstrapServers, List.of(topic));
  }

  /** Reads JSON values of several topics. */
  public static ReadKafkaRecords from(String bootstrapServers, List<String> topics) {
    checkArgument(
        bootstrapServers != null && !bootstrapServers.isEmpty(),
        "bootstrapServers must not be empty, got %s",
        bootstrapServers);
    checkArgument(topics != null && !topics.isEmpty(), "topics must not be empty, got %s", topics);
    Config c = new Config();
    c.bootstrapServers = bootstrapServers;
    c.topics = List.copyOf(topics);
    return new ReadKafkaRecords(c);
  }

  /**
   * {@link Format#JSONL}, a JSON object a value (default: {@code text}), or {@link Format#AVRO}
   * ({@code bytes}, Kafka timestamp as event time).
   */
  public ReadKafkaRecords withValueFormat(Format valueFormat) {
    checkArgument(
        valueFormat == Format.JSONL || valueFormat == Format.AVRO,
        "Kafka values are JSONL or AVRO, got %s",
        valueFormat);
    return with(n -> n.valueFormat = valueFormat);
  }

  /** The JSON field holding the event time; default {@code event_time}. */
  public ReadKafkaRecords withEventTimeField(String field) {
    checkArgument(field != null && !field.isEmpty(), "field must not be empty, got %s", field);
    return with(n -> n.eventTimeField = field);
  }

  /** The disorder the watermark tolerates; default 5 min. */
  public ReadKafkaRecords withMaxDelay(Duration maxDelay) {
    checkArgument(
        maxDelay != null && maxDelay.getMillis() >= 0, "maxDelay must be >= 0, got %s", maxDelay);
    return with(n -> n.maxDelay = maxDelay);
  }

  /**
   * How long a partition may go without records (and without backlog) before its watermark advances
   * with the processing clock instead of holding everything back; default 5 min, zero turns it off
   * (a replay whose partitions pause between bursts).
   */
  public ReadKafkaRecords withIdleTimeout(Duration idleTimeout) {
    checkArgument(
        idleTimeout != null && idleTimeout.getMillis() >= 0,
        "idleTimeout must be >= 0, got %s",
        idleTimeout);
    return with(n -> n.idleTimeout = idleTimeout);
  }

  /**
   * The processing clock the watermark is capped at and idleness is measured by; the system clock
   * by default.
   */
  public ReadKafkaRecords withClock(ProcessingClock clock) {
    checkArgument(clock != null, "clock must not be null");
    return with(n -> n.clock = clock);
  }

  /** Stops after {@code count} records: a bounded read. */
  public ReadKafkaRecords withMaxNumRecords(long count) {
    checkArgument(count > 0, "maxNumRecords must be > 0, got %s", count);
    return with(n -> n.maxNumRecords = count);
  }

  /** Starts at the first offset whose Kafka timestamp is at or after {@code time}. */
  public ReadKafkaRecords withStartReadTime(Instant time) {
    checkArgument(time != null, "startReadTime must not be null");
    return with(n -> n.startReadTime = time);
  }

  /** Extra Kafka consumer properties (group id, security, offset reset, ...). */
  public ReadKafkaRecords withConsumerConfigUpdates(Map<String, Object> config) {
    checkArgument(config != null, "config must not be null");
    Map<String, Object> merged = new HashMap<>(c.consumerConfig);
    merged.putAll(config);
    return with(n -> n.consumerConfig = Map.copyOf(merged));
  }

  @Override
  public PCollection<RawRecord> expand(PBegin input) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.putAll(c.consumerConfig);
    String field = c.valueFormat == Format.JSONL ? c.eventTimeField : null;
    KafkaIO.Read<byte[], byte[]> read =
        KafkaIO.<byte[], byte[]>read()
            .withBootstrapServers(c.bootstrapServers)
            .withTopics(c.topics)
            .withKeyDeserializer(ByteArrayDeserializer.class)
            .withValueDeserializer(ByteArrayDeserializer.class)
            .withConsumerConfigUpdates(config)
            .withTimestampPolicyFactory(
                new EventTimePolicyFactory(field, c.maxDelay, c.idleTimeout, c.clock));
    if (c.maxNumRecords != null) {
      read = read.withMaxNumRecords(c.maxNumRecords);
    }
    if (c.startReadTime != null) {
      read = read.withStartReadTime(c.startReadTime);
    }
    return input
        .apply("ReadKafka", read)
        .apply("ToRawRecords", ParDo.of(new ToRawRecord(c.valueFormat)))
        .setCoder(AvroCoder.of(RawRecord.class));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("bootstrapServers", c.bootstrapServers))
        .add(DisplayData.item("topics", String.join(",", c.topics)))
        .add(DisplayData.item("valueFormat", c.valueFormat.name()))
        .add(DisplayData.item("eventTimeField", c.eventTimeField))
        .add(DisplayData.item("maxDelay", c.maxDelay))
        .add(DisplayData.item("idleTimeout", c.idleTimeout))
        .addIfNotNull(DisplayData.item("maxNumRecords", c.maxNumRecords))
        .addIfNotNull(DisplayData.item("startReadTime", c.startReadTime));
  }

  /**
   * Event time from the JSON value (when {@code field} is set; none when unreadable), else the
   * Kafka timestamp.
   */
  private static final class EventTimePolicyFactory
      implements TimestampPolicyFactory<byte[], byte[]> {
    private final @Nullable String field;
    private final Duration maxDelay;
    private final Duration idleTimeout;
    private final ProcessingClock clock;

    EventTimePolicyFactory(
        @Nullable String field, Duration maxDelay, Duration idleTimeout, ProcessingClock clock) {
      this.field = field;
      this.maxDelay = maxDelay;
      this.idleTimeout = idleTimeout;
      this.clock = clock;
    }

    @Override
    public TimestampPolicy<byte[], byte[]> createTimestampPolicy(
        TopicPartition tp, Optional<Instant> previousWatermark) {
      String f = field;
      return new EventTimeWatermarkPolicy(
          r ->
              f == null
                  ? Long.valueOf(r.getTimestamp())
                  : EventTimes.fromJson(r.getKV().getValue(), f),
          maxDelay,
          idleTimeout,
          clock,
          previousWatermark);
    }
  }

  private static final class ToRawRecord extends DoFn<KafkaRecord<byte[], byte[]>, RawRecord> {
    private final Format valueFormat;

    ToRawRecord(Format valueFormat) {
      this.valueFormat = valueFormat;
    }

    @ProcessElement
    public void process(@Element KafkaRecord<byte[], byte[]> r, OutputReceiver<RawRecord> out) {
      byte[] value = r.getKV().getValue();
      boolean json = valueFormat == Format.JSONL;
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
