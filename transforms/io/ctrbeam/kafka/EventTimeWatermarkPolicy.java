package io.ctrbeam.kafka;

import io.ctrbeam.ingest.ProcessingClock;
import java.util.Optional;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.TimestampPolicy;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * A partition's watermark driven by event time: the second largest plausible event time seen, never
 * past the processing clock, minus a bounded disorder ({@code maxDelay}).
 *
 * <ul>
 *   <li>It never jumps to wall clock while records flow, so historical logs replayed through Kafka
 *       are labeled by their own time.
 *   <li>A lone outlier does not carry it: the largest event time alone never counts, and no event
 *       time counts past the processing clock (a record stamped just under now + 1 h is valid, but
 *       must not make every other record late).
 *   <li>An idle partition does not hold it: once no record has arrived for {@code idleTimeout} of
 *       processing time and the partition has no backlog, its watermark advances to now − {@code
 *       maxDelay}, as a partition with live traffic would. A partition that never saw a record
 *       advances the same way, counted from the reader's start. Records a replay later puts into a
 *       partition that idled past them are late. {@code idleTimeout} of zero turns this off.
 *   <li>A record whose event time is unreadable or implausible (before 2000, or more than 1 h past
 *       the clock; parsing dead-letters it) neither moves the watermark nor is late: it is stamped
 *       with the latest plausible event time.
 *   <li>The watermark never goes back, also across a restore. The checkpoint keeps only the
 *       watermark, so a restored policy needs two new records (or the idle timeout) to move it.
 * </ul>
 */
final class EventTimeWatermarkPolicy extends TimestampPolicy<byte[], byte[]> {
  private static final long YEAR_2000 = 946_684_800_000L;
  private static final long FUTURE_SLACK = 3_600_000L;
  private static final long NONE = BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis();

  private final SerializableFunction<KafkaRecord<byte[], byte[]>, Long> eventTime;
  private final long maxDelay;
  private final long idleTimeout;
  private final ProcessingClock clock;
  private long largest = NONE;
  private long secondLargest = NONE;
  private long lastRecordAt;
  private long watermark;

  EventTimeWatermarkPolicy(
      SerializableFunction<KafkaRecord<byte[], byte[]>, Long> eventTime,
      Duration maxDelay,
      Duration idleTimeout,
      ProcessingClock clock,
      Optional<Instant> previousWatermark) {
    this.eventTime = eventTime;
    this.maxDelay = maxDelay.getMillis();
    this.idleTimeout = idleTimeout.getMillis();
    this.clock = clock;
    this.lastRecordAt = clock.nowMillis();
    this.watermark = previousWatermark.map(Instant::getMillis).orElse(NONE);
  }

  @Override
  public Instant getTimestampForRecord(PartitionContext ctx, KafkaRecord<byte[], byte[]> record) {
    long now = clock.nowMillis();
    lastRecordAt = now;
    Long t = eventTime.apply(record);
    if (t == null || t < YEAR_2000 || t > now + FUTURE_SLACK) {
      return new Instant(largest != NONE ? largest : YEAR_2000);
    }
    if (t > largest) {
      secondLargest = largest;
      largest = t;
    } else if (t > secondLargest) {
      secondLargest = t;
    }
    return new Instant(t);
  }

  @Override
  public Instant getWatermark(PartitionContext ctx) {
    long now = clock.nowMillis();
    if (secondLargest != NONE) {
      watermark = Math.max(watermark, Math.min(secondLargest, now) - maxDelay);
    }
    if (idleTimeout > 0 && now - lastRecordAt >= idleTimeout && noBacklog(ctx)) {
      watermark = Math.max(watermark, now - maxDelay);
    }
    return new Instant(watermark);
  }

  private static boolean noBacklog(PartitionContext ctx) {
    if (ctx == null) {
      return true;
    }
    long backlog = ctx.getMessageBacklog();
    return backlog == 0 || backlog == UnboundedSource.UnboundedReader.BACKLOG_UNKNOWN;
  }
}
