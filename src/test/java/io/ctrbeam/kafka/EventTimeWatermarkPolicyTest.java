package io.ctrbeam.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.Optional;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaTimestampType;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class EventTimeWatermarkPolicyTest {
  private static final long T0 = 1_709_596_800_000L;

  private static KafkaRecord<byte[], byte[]> record(long eventTime) {
    return new KafkaRecord<>("t", 0, 0, 0L, KafkaTimestampType.CREATE_TIME, null, KV.of(null, Long.toString(eventTime).getBytes()));
  }

  private static EventTimeWatermarkPolicy policy() {
    return new EventTimeWatermarkPolicy(r -> Long.parseLong(new String(r.getKV().getValue())), Duration.standardMinutes(5), Optional.empty());
  }

  @Test
  void watermarkTrailsTheLatestEventTimeAndNeverJumpsToWallClock() {
    EventTimeWatermarkPolicy p = policy();
    assertThat(p.getWatermark(null), equalTo(BoundedWindow.TIMESTAMP_MIN_VALUE));
    p.getTimestampForRecord(null, record(T0 + 60_000));
    p.getTimestampForRecord(null, record(T0));
    assertThat(p.getWatermark(null), equalTo(new Instant(T0 + 60_000 - 300_000)));
  }

  @Test
  void implausibleTimesAreStampedAtTheLatestEventTimeAndDoNotMoveTheWatermark() {
    EventTimeWatermarkPolicy p = policy();
    p.getTimestampForRecord(null, record(T0));
    long year2100 = 4_102_444_800_000L;
    assertThat(p.getTimestampForRecord(null, record(year2100)), equalTo(new Instant(T0)));
    assertThat(p.getTimestampForRecord(null, record(12)), equalTo(new Instant(T0)));
    assertThat(p.getWatermark(null), equalTo(new Instant(T0 - 300_000)));
  }
}
