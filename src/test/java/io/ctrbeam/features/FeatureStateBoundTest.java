package io.ctrbeam.features;

import static io.ctrbeam.features.FeatureScenario.H;
import static io.ctrbeam.features.FeatureScenario.MIN;
import static io.ctrbeam.features.FeatureScenario.T0;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.FeatureSnapshot;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.TestPipelineExtension;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
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
 * The speed layer's feature state is bounded by what is in flight: over four days of event time and
 * ~170 keys, the keys holding window state at any moment are only those with an event in the last
 * window + period (+ two GC grid steps and two delivery steps), keys idle longer keep only their
 * decayed sums until negligible, and at the end nothing is left. The snapshots still equal the
 * features by their definition (the brute-force oracle), for hot keys and for keys that come back.
 */
@ExtendWith(TestPipelineExtension.class)
class FeatureStateBoundTest {
  static final long DAY = 24 * H;
  static final int DAYS = 4;
  static final int DAILY = 20;

  /** A short window and half-life, so eight days hold many windows and residues expire. */
  static final FeatureParams Q =
      new FeatureParams(2 * H, 30 * MIN, FeatureParams.DEFAULT_ALPHA, FeatureParams.DEFAULT_BETA);

  static final long PERIOD = 20 * MIN;
  static final long STEP = 2 * H;

  /**
   * Each day 20 new users, each with 4 impressions within an hour (a quarter clicked); two hot
   * users with an impression every 30 min all along; and one user who comes back after 3 h 20 min
   * (window state gone, decayed sums kept) and after 3 days (everything gone).
   */
  static FeatureScenario manyDays() {
    Random r = new Random(17);
    FeatureScenario s = new FeatureScenario();
    int n = 0;
    for (int d = 0; d < DAYS; d++) {
      for (int j = 0; j < DAILY; j++) {
        String u = "d" + d + "u" + j;
        long start = T0 + d * DAY + (j % 20) * H;
        for (int k = 0; k < 4; k++) {
          long t = start + k * 15 * MIN + r.nextInt(60) * 1000L;
          Long click = r.nextInt(4) == 0 ? t + 30_000 + r.nextInt(60) * 1000L : null;
          s.add("i" + n++, t, u, "ad-" + u, null, null, click);
        }
      }
    }
    for (long t = T0; t < T0 + DAYS * DAY; t += 30 * MIN) {
      for (String hot : new String[] {"hot1", "hot2"}) {
        Long click = r.nextInt(5) == 0 ? t + 45_000 : null;
        s.add("i" + n++, t + r.nextInt(60) * 1000L, hot, "ad-" + hot, null, null, click);
      }
    }
    long back = T0 + 2 * H;
    for (int k = 0; k < 4; k++) {
      s.add(
          "i" + n++,
          back + k * 10 * MIN,
          "back",
          "ad-back",
          null,
          null,
          back + k * 10 * MIN + 20_000);
    }
    s.add("i" + n++, back + 30 * MIN + 3 * H + 20 * MIN, "back", "ad-back", null, null, null);
    s.add("i" + n++, back + 3 * DAY, "back", "ad-back", null, null, null);
    return s;
  }

  /** The event times (impressions and clicks) of every key of the kinds used here. */
  static Map<String, List<Long>> eventsByKey(FeatureScenario sc) {
    Map<String, List<Long>> m = new HashMap<>();
    for (Impression i : sc.impressions) {
      long t = i.getEventTime().toEpochMilli();
      m.computeIfAbsent("user|" + i.getUserId(), k -> new ArrayList<>()).add(t);
      m.computeIfAbsent("ad|" + i.getAdId(), k -> new ArrayList<>()).add(t);
    }
    for (TrainingExample e : sc.examples) {
      if (e.getClicked() == 1) {
        long t = e.getClickTime().toEpochMilli();
        m.get("user|" + e.getUserId()).add(t);
        m.get("ad|" + e.getAdId()).add(t);
      }
    }
    return m;
  }

  /**
   * The most keys that may hold window state at once: at each watermark step W, the keys with an
   * event in (W − (window + period + 2 GC grid steps + 2 steps), W + step]: a key's GC is due on
   * the grid step after its expiry and runs at the end of that step.
   */
  static long inFlightBound(Map<String, List<Long>> events) {
    long grid = EntityStore.GC_SLICES * EntityStore.sliceFor(Q.windowMillis);
    long back = Q.windowMillis + PERIOD + 2 * grid + 2 * STEP;
    long most = 0;
    for (long w = T0 - H; w <= T0 + DAYS * DAY + 6 * DAY; w += STEP) {
      long n = 0;
      for (List<Long> ts : events.values()) {
        for (long t : ts) {
          if (t > w - back && t <= w + STEP) {
            n++;
            break;
          }
        }
      }
      most = Math.max(most, n);
    }
    return most;
  }

  /** The scenario streamed (TestStream, one-step chunks) into the snapshots step. */
  static PCollection<FeatureSnapshot> snapshots(Pipeline p, FeatureScenario sc, int buckets) {
    return snapshots(p, sc, STEP, PERIOD, buckets);
  }

  /**
   * The scenario streamed in chunks of {@code step} into snapshots every {@code period} (params Q).
   */
  static PCollection<FeatureSnapshot> snapshots(
      Pipeline p, FeatureScenario sc, long step, long period, int buckets) {
    PCollection<KV<Impression, TrainingExample>> in = p.apply("Stream", sc.stream(step, 5));
    PCollection<Impression> imps =
        in.apply("SplitImpressions", ParDo.of(new FeatureScenario.Impressions()))
            .setCoder(AvroCoder.of(Impression.class));
    return in.apply("SplitExamples", ParDo.of(new FeatureScenario.Examples()))
        .setCoder(TrainingRows.CODER)
        .apply(
            "Snapshots",
            FeatureSnapshots.current()
                .from(imps)
                .withWindow(Duration.millis(Q.windowMillis))
                .withHalfLife(Duration.millis(Q.halfLifeMillis))
                .withPeriod(Duration.millis(period))
                .withBuckets(buckets));
  }

  @Test
  void liveKeysAreThoseInFlightAndSnapshotsMatchTheOracle(TestPipeline p) {
    FeatureScenario sc = manyDays();
    PCollection<FeatureSnapshot> out = snapshots(p, sc, 1);
    PAssert.that(out)
        .satisfies(
            rows -> {
              Set<String> backTicks = new HashSet<>();
              for (FeatureSnapshot s : rows) {
                if (s.getKey().endsWith("back") && s.getAsOf().toEpochMilli() >= T0 + 3 * DAY) {
                  assertGoneAndBack(s, sc);
                  continue;
                }
                FeatureSnapshotsTest.assertMatchesOracle(s, sc, Q);
                if (s.getKey().equals("back") && s.getImpressions24h() == 1) {
                  backTicks.add(s.getAsOf().toString());
                }
              }
              // Both comebacks were snapshotted (and matched the oracle above).
              assertThat(backTicks.size(), equalTo(2));
              return null;
            });
    PipelineResult r = p.run();
    r.waitUntilFinish();

    Map<String, List<Long>> events = eventsByKey(sc);
    long bound = inFlightBound(events);
    long most = maxOf(r, "bucket_state_entities");
    System.out.printf(
        "feature state: %d keys seen, at most %d holding window state at once (in-flight bound %d)%n",
        events.size(), most, bound);
    assertThat(events.size(), greaterThan(160));
    assertThat(bound, lessThan(events.size() / 5L));
    assertThat(most, greaterThan(0L));
    assertThat(most, lessThanOrEqualTo(bound));
    // The watermark ends at +∞: every key's window state, slices and residue are gone.
    assertThat(counter(r, "state_entities"), equalTo(0L));
    assertThat(counter(r, "state_slices"), equalTo(0L));
    assertThat(counter(r, "state_residues"), equalTo(0L));
  }

  /**
   * After 3 days idle the key's decayed sums had fallen below {@link EntityHistory#NEGLIGIBLE} (the
   * oracle's clicks: ~1e-43) and were dropped: they read 0, the rest is exact.
   */
  static void assertGoneAndBack(FeatureSnapshot s, FeatureScenario sc) {
    double[] o =
        sc.oracle(
            FeatureSnapshotsTest.kind(s.getKeyKind()),
            s.getKey(),
            s.getAsOf().toEpochMilli(),
            true,
            Q);
    assertThat(o[3], lessThan(EntityHistory.NEGLIGIBLE));
    assertThat(s.getDecayedClicks(), equalTo(0.0));
    assertThat(s.getImpressions24h(), equalTo((long) o[0]));
    assertThat(s.getClicks24h(), equalTo((long) o[1]));
    FeatureAssertions.assertClose(o[2], s.getDecayedImpressions(), "back decayed imps");
  }

  static long counter(PipelineResult r, String name) {
    long sum = 0;
    for (MetricResult<Long> c : query(r, name).getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }

  static long maxOf(PipelineResult r, String name) {
    long max = 0;
    for (MetricResult<DistributionResult> d : query(r, name).getDistributions()) {
      max = Math.max(max, d.getAttempted().getMax());
    }
    return max;
  }

  private static org.apache.beam.sdk.metrics.MetricQueryResults query(
      PipelineResult r, String name) {
    return r.metrics()
        .queryMetrics(
            MetricsFilter.builder()
                .addNameFilter(MetricNameFilter.named(EntityStore.NAMESPACE, name))
                .build());
  }
}
