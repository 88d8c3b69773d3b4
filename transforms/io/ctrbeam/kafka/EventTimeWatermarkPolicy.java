package io.ctrbeam.kafka;

import java.util.Optional;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.TimestampPolicy;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * A partition's watermark driven by event time alone: the largest plausible event time seen minus
 * a bounded disorder. Unlike {@code CustomTimestampPolicyWithLimitedDelay} it never jumps to wall
 * clock time when a partition idles, so replayed or historical logs are labeled by their own time.
 * A record whose event time is unreadable or implausible (before 2000, or more than 1 h past wall
 * clock — parsing dead-letters it) neither moves the watermark nor is late: it is stamped with the
 * latest plausible event time.
 */
final class EventTimeWatermarkPolicy extends TimestampPolicy<byte[], byte[]> {
  private static final long YEAR_2000 = 946_684_800_000L;
  private static final long FUTURE_SLACK = 3_600_000L;

  private final SerializableFunction<KafkaRecord<byte[], byte[]>, Long> eventTime;
  private final Duration maxDelay;
  private Instant maxEventTime;

  EventTimeWatermarkPolicy(
      SerializableFunction<KafkaRecord<byte[], byte[]>, Long> eventTime,
      Duration maxDelay,
      Optional<Instant> previousWatermark) {
    this.eventTime = eventTime;
    this.maxDelay = maxDelay;
    this.maxEventTime = previousWatermark.map(w -> w.plus(maxDelay)).orElse(BoundedWindow.TIMESTAMP_MIN_VALUE);
  }

  @Override
  public Instant getTimestampForRecord(PartitionContext ctx, KafkaRecord<byte[], byte[]> record) {
    Long t = eventTime.apply(record);
    if (t == null || t < YEAR_2000 || t > System.currentTimeMillis() + FUTURE_SLACK) {
      return maxEventTime.isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE) ? maxEventTime : new Instant(YEAR_2000);
    }
    Instant ts = new Instant(t);
    if (ts.isAfter(maxEventTime)) {
      maxEventTime = ts;
    }
    return ts;
  }

  @Override
  public Instant getWatermark(PartitionContext ctx) {
    if (!maxEventTime.isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE)) {
      return BoundedWindow.TIMESTAMP_MIN_VALUE;
    }
    return maxEventTime.minus(maxDelay);
  }
}
