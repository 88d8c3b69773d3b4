package io.ctrbeam.serving;

import static io.ctrbeam.testing.TestSnapshots.snapshot;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import io.ctrbeam.schema.FeatureSnapshot;
import io.ctrbeam.testing.RedisServerProcess;
import io.ctrbeam.testing.TestPipelineExtension;
import java.util.Map;
import java.util.Optional;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.joda.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.clients.jedis.Jedis;

@ExtendWith(TestPipelineExtension.class)
class RedisFeaturesIT {
  private static final long T0 = 1_709_596_800_000L;
  private static RedisServerProcess redis;

  @BeforeAll
  static void startRedis() throws Exception {
    redis = RedisServerProcess.start();
  }

  @AfterAll
  static void stopRedis() throws Exception {
    redis.close();
  }

  @BeforeEach
  void flush() {
    try (Jedis j = redis.client()) {
      j.flushAll();
    }
  }

  private WriteFeaturesToRedis write() {
    return WriteFeaturesToRedis.to(redis.host(), redis.port());
  }

  @Test
  void snapshotsReadBackWithLayoutAndTtl(TestPipeline p) {
    FeatureSnapshot user = snapshot("user", "u1", T0, 10, 3);
    FeatureSnapshot empty = snapshot("ad", "a9", T0 + 5, 0, 0);
    FeatureSnapshot pair = snapshot("user_category", "u1|sports", T0 + 7, 4, 1);
    p.apply(Create.of(user, empty, pair).withCoder(AvroCoder.of(FeatureSnapshot.class)))
        .apply("WriteFeaturesToRedis", write());
    p.run().waitUntilFinish();

    try (RedisFeatureReader reader = RedisFeatureReader.connect(redis.host(), redis.port())) {
      assertThat(reader.read("user", "u1"), equalTo(Optional.of(user)));
      assertThat(reader.read("ad", "a9"), equalTo(Optional.of(empty)));
      assertThat(reader.read("user_category", "u1|sports"), equalTo(Optional.of(pair)));
      assertThat(reader.read("user", "nobody"), equalTo(Optional.empty()));
      // ctr_24h is an absent field when null.
      assertThat(
          reader.rawFields("ad", "a9").containsKey(RedisFeatureLayout.CTR_24H), equalTo(false));
      assertThat(reader.rawFields("user", "u1").get("as_of"), equalTo(Long.toString(T0)));
      assertThat(
          reader.ttlMillis("user", "u1"),
          allOf(greaterThan(47L * 3_600_000L), lessThanOrEqualTo(48L * 3_600_000L)));
    }
    try (Jedis j = redis.client()) {
      assertThat(j.exists("ctr:feat:user_category:u1|sports"), equalTo(true));
    }
  }

  @Test
  void olderSnapshotNeverOverwritesNewer(TestPipeline first, TestPipeline second) {
    FeatureSnapshot newer = snapshot("user", "u1", T0 + 500, 20, 5);
    FeatureSnapshot older = snapshot("user", "u1", T0 + 300, 99, 99);
    FeatureSnapshot newest = snapshot("user", "u2", T0 + 900, 2, 1);
    first
        .apply(
            Create.of(newer, snapshot("user", "u2", T0 + 100, 1, 0))
                .withCoder(AvroCoder.of(FeatureSnapshot.class)))
        .apply("WriteFeaturesToRedis", write());
    first.run().waitUntilFinish();

    second
        .apply(Create.of(older, newest).withCoder(AvroCoder.of(FeatureSnapshot.class)))
        .apply("WriteFeaturesToRedis", write().withTtl(Duration.standardSeconds(30)));
    PipelineResult result = second.run();
    result.waitUntilFinish();

    try (RedisFeatureReader reader = RedisFeatureReader.connect(redis.host(), redis.port())) {
      assertThat(reader.read("user", "u1").get(), equalTo(newer));
      assertThat(reader.read("user", "u2").get(), equalTo(newest));
      assertThat(
          reader.ttlMillis("user", "u2"), allOf(greaterThan(0L), lessThanOrEqualTo(30_000L)));
      // The stale write did not refresh the newer key's TTL either.
      assertThat(reader.ttlMillis("user", "u1"), greaterThan(30_000L));
    }
    assertThat(counter(result, "stale_skipped"), equalTo(1L));
    assertThat(counter(result, "written"), equalTo(1L));
  }

  @Test
  void unboundedSnapshotsKeepTheLatestPerKey(TestPipeline p) {
    TestStream<FeatureSnapshot> stream =
        TestStream.create(AvroCoder.of(FeatureSnapshot.class))
            .addElements(snapshot("ad", "a1", T0 + 1_000, 1, 0))
            .advanceWatermarkTo(new org.joda.time.Instant(T0 + 60_000))
            .addElements(snapshot("ad", "a1", T0 + 61_000, 2, 1))
            // A straggler from before the current value.
            .addElements(snapshot("ad", "a1", T0 + 30_000, 7, 7))
            .advanceWatermarkToInfinity();
    p.apply(stream).apply("WriteFeaturesToRedis", write());
    p.run().waitUntilFinish();

    try (RedisFeatureReader reader = RedisFeatureReader.connect(redis.host(), redis.port())) {
      assertThat(reader.read("ad", "a1").get(), equalTo(snapshot("ad", "a1", T0 + 61_000, 2, 1)));
    }
  }

  private static long counter(PipelineResult result, String name) {
    long sum = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(
                        MetricNameFilter.named(WriteFeaturesToRedis.METRICS_NAMESPACE, name))
                    .build())
            .getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }

  @Test
  void layoutRoundTripsEveryField() {
    FeatureSnapshot s = snapshot("advertiser", "adv-1", T0, 3, 1);
    Map<String, String> fields = RedisFeatureLayout.fields(s);
    assertThat(RedisFeatureLayout.fromFields("advertiser", "adv-1", fields), equalTo(s));
    assertThat(RedisFeatureLayout.key("ctr:feat", "user", "u1"), equalTo("ctr:feat:user:u1"));
  }
}
