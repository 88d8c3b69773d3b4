package io.ctrbeam.features;

import static io.ctrbeam.features.FeatureScenario.H;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ctrbeam.features.DecayedCountsFn.DecayedCounts;
import io.ctrbeam.testing.TestPipelineExtension;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class DecayedSumTest {
  static final long HALF_LIFE = 24 * H;
  static final double LAMBDA = DecayedSum.lambdaPerMs(HALF_LIFE);

  /** Σ w·2^(−(t − t_i)/half-life): the definition. */
  static double direct(List<long[]> events, long t) {
    double s = 0;
    for (long[] e : events) {
      s += e[1] * Math.pow(2, -(double) (t - e[0]) / HALF_LIFE);
    }
    return s;
  }

  static List<long[]> events(long seed, int n, long spanMillis) {
    Random r = new Random(seed);
    List<long[]> ev = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ev.add(
          new long[] {FeatureScenario.T0 + (long) (r.nextDouble() * spanMillis), 1 + r.nextInt(3)});
    }
    return ev;
  }

  static DecayedSum sum(List<long[]> events) {
    DecayedSum s = new DecayedSum(LAMBDA);
    events.forEach(e -> s.add(e[0], e[1]));
    return s;
  }

  @Test
  void addingInAnyOrderGivesTheDirectFormula() {
    List<long[]> ev = events(1, 500, 30 * 24 * H);
    long t = FeatureScenario.T0 + 31 * 24 * H;
    double expected = direct(ev, t);
    Random r = new Random(2);
    for (int round = 0; round < 20; round++) {
      List<long[]> shuffled = new ArrayList<>(ev);
      Collections.shuffle(shuffled, r);
      FeatureAssertions.assertClose(expected, sum(shuffled).valueAt(t), "order " + round);
    }
  }

  @Test
  void mergingPartialSumsInAnyGroupingAndOrderGivesTheSameValue() {
    List<long[]> ev = events(3, 400, 10 * 24 * H);
    long t = FeatureScenario.T0 + 12 * 24 * H;
    double expected = direct(ev, t);
    Random r = new Random(4);
    for (int round = 0; round < 30; round++) {
      int parts = 1 + r.nextInt(9);
      List<List<long[]>> split = new ArrayList<>();
      for (int k = 0; k < parts; k++) {
        split.add(new ArrayList<>());
      }
      ev.forEach(e -> split.get(r.nextInt(parts)).add(e));
      List<DecayedSum> partial = new ArrayList<>();
      split.forEach(l -> partial.add(sum(l)));
      Collections.shuffle(partial, r);
      // Merge as a random tree: repeatedly merge two random partials.
      while (partial.size() > 1) {
        DecayedSum a = partial.remove(r.nextInt(partial.size()));
        DecayedSum b = partial.remove(r.nextInt(partial.size()));
        partial.add(r.nextBoolean() ? a.merge(b) : b.merge(a));
      }
      FeatureAssertions.assertClose(expected, partial.get(0).valueAt(t), "grouping " + round);
    }
  }

  @Test
  void numericallySafeOverLongSpans() {
    DecayedSum s = new DecayedSum(LAMBDA);
    long year = 365L * 24 * H;
    s.add(FeatureScenario.T0, 1.0);
    s.add(FeatureScenario.T0 + 20 * year, 1.0);
    s.add(FeatureScenario.T0 + 10 * year, 1.0);
    double v = s.valueAt(FeatureScenario.T0 + 20 * year + 24 * H);
    assertTrue(Double.isFinite(v));
    FeatureAssertions.assertClose(
        0.5, v, "older events have decayed to nothing, the last is halved");
    // Merging an old partial into a new one and the other way round agree.
    DecayedSum old = new DecayedSum(LAMBDA).add(FeatureScenario.T0, 5.0);
    DecayedSum recent = new DecayedSum(LAMBDA).add(FeatureScenario.T0 + 3 * 24 * H, 1.0);
    double t = FeatureScenario.T0 + 4 * 24 * H;
    FeatureAssertions.assertClose(
        5.0 / 16 + 0.5, old.copy().merge(recent).valueAt((long) t), "old+new");
    FeatureAssertions.assertClose(
        5.0 / 16 + 0.5, recent.copy().merge(old).valueAt((long) t), "new+old");
  }

  @Test
  void combineFnMergesAccumulatorsInAnyOrder() {
    DecayedCountsFn fn = DecayedCountsFn.withHalfLife(Duration.standardHours(24));
    List<long[]> ev = events(5, 200, 5 * 24 * H);
    long t = FeatureScenario.T0 + 6 * 24 * H;
    List<long[]> imps = new ArrayList<>();
    List<long[]> clicks = new ArrayList<>();
    for (int i = 0; i < ev.size(); i++) {
      (i % 4 == 0 ? clicks : imps).add(new long[] {ev.get(i)[0], 1});
    }
    Random r = new Random(6);
    for (int round = 0; round < 10; round++) {
      List<DecayedCounts> accs = new ArrayList<>();
      for (int k = 0; k < 5; k++) {
        accs.add(fn.createAccumulator());
      }
      for (int i = 0; i < ev.size(); i++) {
        fn.addInput(accs.get(r.nextInt(5)), KV.of(ev.get(i)[0], i % 4 == 0));
      }
      Collections.shuffle(accs, r);
      DecayedCounts out = fn.extractOutput(fn.mergeAccumulators(accs));
      FeatureAssertions.assertClose(direct(imps, t), out.impressionsAt(t), "impressions");
      FeatureAssertions.assertClose(direct(clicks, t), out.clicksAt(t), "clicks");
      FeatureAssertions.assertClose(
          (direct(clicks, t) + 1) / (direct(imps, t) + 50), out.ctrAt(t, 1, 49), "smoothed");
    }
  }

  @Test
  void combineFnInAPipeline(TestPipeline p) {
    List<KV<Long, Boolean>> in = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      in.add(KV.of(FeatureScenario.T0 + i * H, i % 10 == 0));
    }
    long t = FeatureScenario.T0 + 100 * H;
    PCollection<DecayedCounts> out =
        p.apply(Create.of(in).withCoder(KvCoder.of(VarLongCoder.of(), BooleanCoder.of())))
            .apply(Combine.globally(DecayedCountsFn.withHalfLife(Duration.standardHours(24))));
    PAssert.thatSingleton(out)
        .satisfies(
            c -> {
              double imps = 0;
              double clicks = 0;
              for (int i = 0; i < 100; i++) {
                double w = Math.pow(2, -(100.0 - i) / 24);
                if (i % 10 == 0) {
                  clicks += w;
                } else {
                  imps += w;
                }
              }
              FeatureAssertions.assertClose(imps, c.impressionsAt(t), "impressions");
              FeatureAssertions.assertClose(clicks, c.clicksAt(t), "clicks");
              return null;
            });
    p.run().waitUntilFinish();
  }

  @Test
  void historyCompactsExactlyDeduplicatesClicksAndRoundTrips() throws Exception {
    FeatureParams p = new FeatureParams(24 * H, 24 * H, 1, 49);
    EntityHistory h = new EntityHistory(p.lambdaPerMs);
    Random r = new Random(8);
    List<long[]> imps = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      long t = FeatureScenario.T0 + (long) (r.nextDouble() * 72 * H);
      h.add(t, false, null);
      imps.add(new long[] {t, 1});
    }
    assertTrue(h.add(FeatureScenario.T0 + H, true, "x"));
    assertFalse(h.add(FeatureScenario.T0 + H, true, "x"), "the same click twice counts once");
    long t = FeatureScenario.T0 + 80 * H;
    FeatureValues before = h.valuesAt(t, false, p);
    h.compact(t - 24 * H);
    assertTrue(h.exactAt(t, 24 * H));
    FeatureValues after = h.valuesAt(t, false, p);
    assertEquals(before.impressions24h, after.impressions24h);
    FeatureAssertions.assertClose(before.decayedImpressions, after.decayedImpressions, "compacted");
    FeatureAssertions.assertClose(direct(imps, t), after.decayedImpressions, "direct");
    assertEquals(0L, after.clicks24h);
    FeatureAssertions.assertClose(
        Math.pow(2, -79.0 / 24), after.decayedClicks, "one click, 79 h old");
    EntityHistory decoded =
        org.apache.beam.sdk.util.CoderUtils.clone(new EntityHistory.Coder(p.lambdaPerMs), h);
    FeatureValues again = decoded.valuesAt(t, false, p);
    assertEquals(after.impressions24h, again.impressions24h);
    FeatureAssertions.assertClose(after.decayedImpressions, again.decayedImpressions, "decoded");
  }
}
