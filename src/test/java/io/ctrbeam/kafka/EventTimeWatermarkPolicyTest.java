package io.ctrbeam.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaTimestampType;
import org.apache.beam.sdk.io.kafka.TimestampPolicy.PartitionContext;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class EventTimeWatermarkPolicyTest {
  private static final long T0 = 1_709_596_800_000L;
  private static final long MIN = 60_000L;
  private static final long MAX_DELAY = 5 * MIN;
  private static final Instant NONE = BoundedWindow.TIMESTAMP_MIN_VALUE;

  /**
   * A processing clock the test moves; static so the serializable lambda reads the test's value.
   */
  private static final AtomicLong NOW = new AtomicLong();

  private static KafkaRecord<byte[], byte[]> record(long eventTime) {
    return new KafkaRecord<>(
        "t",
        0,
        0,
        0L,
        KafkaTimestampType.CREATE_TIME,
        null,
        KV.of(null, Long.toString(eventTime).getBytes()));
  }

  private static EventTimeWatermarkPolicy policy(Duration idleTimeout) {
    return new EventTimeWatermarkPolicy(
        r -> Long.parseLong(new String(r.getKV().getValue())),
        Duration.millis(MAX_DELAY),
        idleTimeout,
        NOW::get,
        Optional.empty());
  }

  private static EventTimeWatermarkPolicy policy() {
    return policy(Duration.standardMinutes(1));
  }

  private static long stamp(EventTimeWatermarkPolicy p, long eventTime) {
    return p.getTimestampForRecord(null, record(eventTime)).getMillis();
  }

  /** The reader's watermark, as KafkaIO computes it: the least over its partitions. */
  private static Instant readerWatermark(List<EventTimeWatermarkPolicy> partitions) {
    Instant least = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (EventTimeWatermarkPolicy p : partitions) {
      Instant w = p.getWatermark(null);
      least = w.isBefore(least) ? w : least;
    }
    return least;
  }

  @Test
  void replayedLogsKeepTheirOwnTimeWhileRecordsFlow() {
    NOW.set(T0 + 300 * 24 * 60 * MIN); // the logs are 300 days old
    EventTimeWatermarkPolicy p = policy();
    assertThat(p.getWatermark(null), equalTo(NONE));
    stamp(p, T0 + 60_000);
    stamp(p, T0);
    stamp(p, T0 + 30_000);
    // the second largest event time (T0 + 30 s) drives it, minus the disorder bound
    assertThat(p.getWatermark(null), equalTo(new Instant(T0 + 30_000 - MAX_DELAY)));
  }

  @Test
  void aLoneOutlierInAReplayDoesNotCarryTheWatermark() {
    NOW.set(T0 + 300 * 24 * 60 * MIN);
    EventTimeWatermarkPolicy p = policy();
    for (int s = 0; s <= 100; s += 10) {
      stamp(p, T0 + s * 1000L);
    }
    stamp(p, T0 + 10 * 60 * MIN); // ten hours ahead of everything else
    assertThat(p.getWatermark(null), equalTo(new Instant(T0 + 100_000 - MAX_DELAY)));
    // so the next on-time record is not late
    assertThat(stamp(p, T0 + 20_000), greaterThanOrEqualTo(p.getWatermark(null).getMillis()));
  }

  @Test
  void recordsStampedJustUnderAnHourAheadDoNotMakeLiveTrafficLate() {
    long now = T0;
    NOW.set(now);
    EventTimeWatermarkPolicy p = policy();
    stamp(p, now - 2 * MIN);
    stamp(p, now - MIN);
    // two of them, both valid (less than 1 h ahead of the clock): the cap at the clock holds
    stamp(p, now + 59 * MIN);
    stamp(p, now + 58 * MIN);
    assertThat(p.getWatermark(null), equalTo(new Instant(now - MAX_DELAY)));
    NOW.set(now + MIN);
    assertThat(p.getWatermark(null), equalTo(new Instant(now + MIN - MAX_DELAY)));
    long onTime = now - 3 * MIN; // within maxDelay of the clock
    assertThat(stamp(p, onTime), greaterThanOrEqualTo(p.getWatermark(null).getMillis()));
  }

  @Test
  void anIdlePartitionAdvancesWithTheClockAfterTheIdleTimeout() {
    long now = T0;
    NOW.set(now);
    List<EventTimeWatermarkPolicy> partitions = List.of(policy(), policy(), policy());
    for (int step = 0; step < 3; step++) {
      NOW.set(now + step * 20_000L);
      stamp(partitions.get(0), NOW.get() - 30_000);
      stamp(partitions.get(1), NOW.get() - 40_000);
      // partition 2 never sees a record: within the timeout it holds the reader back
      assertThat(readerWatermark(partitions), equalTo(NONE));
    }
    NOW.set(now + 60_000);
    stamp(partitions.get(0), NOW.get() - 30_000);
    stamp(partitions.get(1), NOW.get() - 40_000);
    Instant w = readerWatermark(partitions);
    // partition 2 is past the idle timeout: the busy partitions decide now. Partition 1 is the
    // slower; its second largest event time is the one of step 2 (now + 40 s - 40 s).
    assertThat(w, equalTo(new Instant(now + 40_000 - 40_000 - MAX_DELAY)));
    assertThat(
        partitions.get(2).getWatermark(null), equalTo(new Instant(now + 60_000 - MAX_DELAY)));
  }

  @Test
  void withTheTimeoutOffOrABacklogAnIdlePartitionHolds() {
    NOW.set(T0);
    EventTimeWatermarkPolicy off = policy(Duration.ZERO);
    EventTimeWatermarkPolicy behind = policy();
    NOW.set(T0 + 10 * MIN);
    assertThat(off.getWatermark(null), equalTo(NONE));
    PartitionContext backlog =
        new PartitionContext() {
          @Override
          public long getMessageBacklog() {
            return 12;
          }

          @Override
          public Instant getBacklogCheckTime() {
            return new Instant(NOW.get());
          }
        };
    assertThat(behind.getWatermark(backlog), equalTo(NONE));
    assertThat(behind.getWatermark(null), equalTo(new Instant(T0 + 10 * MIN - MAX_DELAY)));
  }

  @Test
  void theWatermarkNeverGoesBackAfterAnIdleAdvanceOrARestore() {
    NOW.set(T0);
    EventTimeWatermarkPolicy p = policy();
    NOW.set(T0 + 2 * MIN);
    Instant idle = p.getWatermark(null);
    assertThat(idle, equalTo(new Instant(T0 + 2 * MIN - MAX_DELAY)));
    stamp(p, T0 - 30 * MIN);
    stamp(p, T0 - 29 * MIN);
    assertThat(p.getWatermark(null), equalTo(idle));
    EventTimeWatermarkPolicy restored =
        new EventTimeWatermarkPolicy(
            r -> Long.parseLong(new String(r.getKV().getValue())),
            Duration.millis(MAX_DELAY),
            Duration.standardMinutes(1),
            NOW::get,
            Optional.of(idle));
    assertThat(restored.getWatermark(null), equalTo(idle));
  }

  @Test
  void implausibleTimesAreStampedAtTheLatestEventTimeAndDoNotMoveTheWatermark() {
    NOW.set(T0 + 300 * 24 * 60 * MIN);
    EventTimeWatermarkPolicy p = policy();
    stamp(p, T0 - 1000);
    stamp(p, T0);
    long year2100 = 4_102_444_800_000L;
    assertThat(stamp(p, year2100), equalTo(T0));
    assertThat(stamp(p, 12), equalTo(T0));
    assertThat(p.getWatermark(null), equalTo(new Instant(T0 - 1000 - MAX_DELAY)));
    assertThat(p.getWatermark(null).getMillis(), lessThanOrEqualTo(T0));
  }
}
