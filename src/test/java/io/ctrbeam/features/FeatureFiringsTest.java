package io.ctrbeam.features;

import static io.ctrbeam.features.FeatureScenario.H;
import static io.ctrbeam.features.FeatureScenario.MIN;
import static io.ctrbeam.features.FeatureScenario.T0;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;

import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.FeatureSnapshot;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.TestPipelineExtension;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A timer firing of the streaming feature steps reads only the entries due, never its bucket (issue
 * 8, defect 7). 360 impressions of 360 users (and 7 ads), 10 s apart, all in ONE bucket and all
 * delivered before the watermark moves; then the watermark passes every deadline. The expected
 * counts per firing come from the events, and every output still equals the features by their
 * definition (the oracle).
 */
@ExtendWith(TestPipelineExtension.class)
class FeatureFiringsTest {
  static final int N = 360;
  static final long GAP = 10_000;
  static final int ADS = 7;
  static final long PERIOD = MIN;
  static final FeatureParams Q = FeatureStateBoundTest.Q;

  static FeatureScenario crowd() {
    FeatureScenario s = new FeatureScenario();
    for (int k = 0; k < N; k++) {
      s.add("i" + k, T0 + k * GAP, "u" + k, "ad" + (k % ADS), null, null, null);
    }
    return s;
  }

  @Test
  void aTickReadsOnlyTheKeysUpdatedForIt(TestPipeline p) {
    FeatureScenario sc = crowd();
    // In one chunk: every element is in before the watermark first moves.
    PCollection<FeatureSnapshot> out = FeatureStateBoundTest.snapshots(p, sc, 24 * H, PERIOD, 1);
    // From the events: the keys with an event in each tick's period (no clicks here).
    Map<Long, Set<String>> perTick = new HashMap<>();
    for (Impression i : sc.impressions) {
      long t = i.getEventTime().toEpochMilli();
      long tick = Math.floorDiv(t + PERIOD - 1, PERIOD) * PERIOD;
      Set<String> keys = perTick.computeIfAbsent(tick, k -> new HashSet<>());
      keys.add("user|" + i.getUserId());
      keys.add("ad|" + i.getAdId());
    }
    long total = perTick.values().stream().mapToLong(Set::size).sum();
    long most = perTick.values().stream().mapToLong(Set::size).max().orElseThrow();
    PAssert.that(out)
        .satisfies(
            rows -> {
              long n = 0;
              for (FeatureSnapshot s : rows) {
                FeatureSnapshotsTest.assertMatchesOracle(s, sc, Q);
                n++;
              }
              assertThat(n, equalTo(total));
              return null;
            });
    PipelineResult r = p.run();
    r.waitUntilFinish();

    DistributionResult ticks = distribution(r, "dirty_keys_per_tick");
    System.out.printf(
        "ticks: %d firings, at most %d keys read per firing (bucket: %d keys)%n",
        ticks.getCount(), ticks.getMax(), N + ADS);
    assertThat(ticks.getMax(), equalTo(most)); // 6 users + 6 ads, not the bucket's 367 keys
    assertThat(ticks.getSum(), equalTo(total));
    assertThat(ticks.getCount(), equalTo((long) perTick.size()));
    assertGcReadsOnlyDue(r);
  }

  @Test
  void pointInTimeFiringsReadOnlyTheQueriesDue(TestPipeline p) {
    FeatureScenario sc = crowd();
    PCollection<KV<Impression, TrainingExample>> in = p.apply("Stream", sc.stream(24 * H, 5));
    PCollection<Impression> imps =
        in.apply("SplitImpressions", ParDo.of(new FeatureScenario.Impressions()))
            .setCoder(AvroCoder.of(Impression.class));
    PCollection<TrainingExample> rows =
        in.apply("SplitExamples", ParDo.of(new FeatureScenario.Examples()))
            .setCoder(TrainingRows.CODER)
            .apply(
                "AddFeatures",
                AddPointInTimeFeatures.from(imps)
                    .withWindow(Duration.millis(Q.windowMillis))
                    .withHalfLife(Duration.millis(Q.halfLifeMillis))
                    .withBuckets(1));
    PAssert.that(rows).satisfies(r -> FeatureAssertions.allMatchOracle(r, sc, Q));
    PipelineResult r = p.run();
    r.waitUntilFinish();

    // Each row asks one query for its user and one for its ad (no advertiser or category), in the
    // one step of all kinds; rows are answered at their label time, 10 s apart, so each 1 s slice
    // holds one row's two queries.
    DistributionResult q = distribution(r, "due_queries_per_firing");
    System.out.printf(
        "point-in-time: %d firings, at most %d queries read per firing (%d queries)%n",
        q.getCount(), q.getMax(), q.getSum());
    assertThat(q.getMax(), equalTo(2L));
    assertThat(q.getSum(), equalTo(2L * N));
    assertThat(q.getCount(), equalTo((long) N));
    assertGcReadsOnlyDue(r);
  }

  /**
   * GC firings read only the keys filed under their grid step: none reads the bucket's 1,207 keys,
   * and in all they read each key a few times (its window state, its moves on the grid, its
   * residue), not once per firing.
   */
  static void assertGcReadsOnlyDue(PipelineResult r) {
    DistributionResult gc = distribution(r, "gc_entries_per_firing");
    System.out.printf(
        "GC: %d firings, at most %d keys read per firing, %d in all%n",
        gc.getCount(), gc.getMax(), gc.getSum());
    assertThat(gc.getCount(), greaterThan(1L));
    assertThat(gc.getMax(), lessThan((long) (N + ADS) / 2));
    assertThat(gc.getSum(), lessThan(3L * (N + ADS)));
  }

  /** A distribution of namespace {@value EntityStore#NAMESPACE}, over every step that has it. */
  static DistributionResult distribution(PipelineResult r, String name) {
    DistributionResult all = DistributionResult.IDENTITY_ELEMENT;
    for (MetricResult<DistributionResult> d :
        r.metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(EntityStore.NAMESPACE, name))
                    .build())
            .getDistributions()) {
      DistributionResult a = d.getAttempted();
      all =
          DistributionResult.create(
              all.getSum() + a.getSum(),
              all.getCount() + a.getCount(),
              Math.min(all.getMin(), a.getMin()),
              Math.max(all.getMax(), a.getMax()));
    }
    assertThat("no distribution " + name, all.getCount(), greaterThan(0L));
    return all;
  }
}
