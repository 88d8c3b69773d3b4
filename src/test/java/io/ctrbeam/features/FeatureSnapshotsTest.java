package io.ctrbeam.features;

import static io.ctrbeam.features.FeatureScenario.H;
import static io.ctrbeam.features.FeatureScenario.MIN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ctrbeam.schema.FeatureSnapshot;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.TestPipelineExtension;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class FeatureSnapshotsTest {
  static final FeatureParams P = AddPointInTimeFeaturesTest.P;

  static KeyKind kind(String label) {
    for (KeyKind k : KeyKind.values()) {
      if (k.label.equals(label)) {
        return k;
      }
    }
    throw new IllegalArgumentException(label);
  }

  /** Every snapshot equals the oracle as of its time over events at or before it. */
  static void assertMatchesOracle(FeatureSnapshot s, FeatureScenario sc) {
    assertMatchesOracle(s, sc, P);
  }

  /** As above, with the given window, half-life and smoothing. */
  static void assertMatchesOracle(FeatureSnapshot s, FeatureScenario sc, FeatureParams P) {
    long t = s.getAsOf().toEpochMilli();
    double[] o = sc.oracle(kind(s.getKeyKind()), s.getKey(), t, true, P);
    String what = s.getKeyKind() + "/" + s.getKey() + "@" + t;
    assertEquals((long) o[0], s.getImpressions24h(), what + " impressions");
    assertEquals((long) o[1], s.getClicks24h(), what + " clicks");
    if (o[0] == 0) {
      assertNull(s.getCtr24h(), what);
    } else {
      FeatureAssertions.assertClose(o[1] / o[0], s.getCtr24h(), what + " ctr");
    }
    FeatureAssertions.assertClose(o[2], s.getDecayedImpressions(), what + " decayed imps");
    FeatureAssertions.assertClose(o[3], s.getDecayedClicks(), what + " decayed clicks");
    FeatureAssertions.assertClose(
        P.smoothedCtr(o[3], o[2]), s.getDecayedCtr(), what + " decayed ctr");
  }

  /** The (kind|key) with any event at or before t. */
  static Set<String> keysWithEventsBy(FeatureScenario sc, long t) {
    Set<String> keys = new TreeSet<>();
    for (Impression i : sc.impressions) {
      for (KeyKind k : KeyKind.values()) {
        if (k.keyOf(i) != null && i.getEventTime().toEpochMilli() <= t) {
          keys.add(k.label + "|" + k.keyOf(i));
        }
      }
    }
    for (TrainingExample e : sc.examples) {
      for (KeyKind k : KeyKind.values()) {
        if (k.keyOf(e) != null && e.getClicked() == 1 && e.getClickTime().toEpochMilli() <= t) {
          keys.add(k.label + "|" + k.keyOf(e));
        }
      }
    }
    return keys;
  }

  static Void checkBatch(Iterable<FeatureSnapshot> rows, FeatureScenario sc, long[] times) {
    Map<Long, Set<String>> keys = new ConcurrentHashMap<>();
    for (FeatureSnapshot s : rows) {
      assertMatchesOracle(s, sc);
      assertTrue(
          keys.computeIfAbsent(s.getAsOf().toEpochMilli(), k -> new HashSet<>())
              .add(s.getKeyKind() + "|" + s.getKey()),
          "one snapshot per key and time");
    }
    for (long t : times) {
      assertEquals(keysWithEventsBy(sc, t), new TreeSet<>(keys.getOrDefault(t, Set.of())));
    }
    return null;
  }

  @Test
  void batchAsOfMatchesOracleWithEventsAtTIncluded(TestPipeline p) {
    FeatureScenario sc = FeatureScenario.random(21, 200);
    long[] times = {
      FeatureScenario.T0 + 5 * H, FeatureScenario.T0 + 30 * H + 7 * MIN, FeatureScenario.T0 + 71 * H
    };
    // An impression exactly at the first time (in) and one exactly 24 h before the last (out).
    sc.add("at", times[0], "uAt", "aAt", "vAt", "cAt", null);
    sc.add("edge", times[2] - 24 * H, "uAt", "aAt", "vAt", "cAt", null);
    PCollection<Impression> imps =
        p.apply("Impressions", Create.of(sc.impressions).withCoder(AvroCoder.of(Impression.class)));
    PCollection<FeatureSnapshot> out =
        p.apply("Examples", Create.of(sc.examples).withCoder(AvroCoder.of(TrainingExample.class)))
            .apply(
                "Snapshots",
                FeatureSnapshots.asOf(
                        new Instant(times[0]), new Instant(times[1]), new Instant(times[2]))
                    .from(imps)
                    .withBuckets(3));
    PAssert.that(out).satisfies(rows -> checkBatch(rows, sc, times));
    PAssert.that(out)
        .satisfies(
            rows -> {
              for (FeatureSnapshot s : rows) {
                if (s.getKey().equals("uAt") && s.getAsOf().toEpochMilli() == times[0]) {
                  assertEquals(1L, s.getImpressions24h()); // the event at t is in
                }
                if (s.getKey().equals("uAt") && s.getAsOf().toEpochMilli() == times[2]) {
                  assertEquals(0L, s.getImpressions24h()); // the event at t − 24 h is out
                  assertNull(s.getCtr24h());
                }
              }
              return null;
            });
    p.run().waitUntilFinish();
  }

  static final Map<String, Map<String, FeatureSnapshot>> COLLECTED = new ConcurrentHashMap<>();

  static final class Collect extends DoFn<FeatureSnapshot, Void> {
    private final String run;

    Collect(String run) {
      this.run = run;
    }

    @ProcessElement
    public void process(@Element FeatureSnapshot s) {
      COLLECTED
          .computeIfAbsent(run, k -> new ConcurrentHashMap<>())
          .put(s.getKeyKind() + "|" + s.getKey() + "@" + s.getAsOf().toEpochMilli(), s);
    }
  }

  static Void checkStreaming(Iterable<FeatureSnapshot> rows, FeatureScenario sc, long period) {
    Set<String> emitted = new HashSet<>();
    for (FeatureSnapshot s : rows) {
      assertMatchesOracle(s, sc);
      assertEquals(0, s.getAsOf().toEpochMilli() % period, "snapshots are at ticks");
      assertTrue(emitted.add(s.getKeyKind() + "|" + s.getKey() + "@" + s.getAsOf().toEpochMilli()));
    }
    // Every key with an on-time event in (τ − period, τ] has a snapshot at τ.
    for (Impression i : sc.impressions) {
      if (sc.late.contains(i.getImpressionId())) {
        continue;
      }
      long t = i.getEventTime().toEpochMilli();
      long tick = Math.floorDiv(t + period - 1, period) * period;
      for (KeyKind k : KeyKind.values()) {
        if (k.keyOf(i) != null) {
          assertTrue(
              emitted.contains(k.label + "|" + k.keyOf(i) + "@" + tick), "updated key at tick");
        }
      }
    }
    return null;
  }

  @Test
  void streamingTicksMatchBatchAsOfTheSameTimes(TestPipeline stream, TestPipeline batch) {
    FeatureScenario sc = FeatureScenario.random(5, 160);
    // Period = delivery step: the late impression arrives after the watermark passed it but before
    // its tick fires (a late event arriving after its tick fired is only in later ticks).
    long period = 2 * H;
    PCollection<KV<Impression, TrainingExample>> in = stream.apply("Stream", sc.stream(2 * H, 9));
    PCollection<Impression> imps =
        in.apply("SplitImpressions", ParDo.of(new FeatureScenario.Impressions()))
            .setCoder(AvroCoder.of(Impression.class));
    PCollection<FeatureSnapshot> streamed =
        in.apply("SplitExamples", ParDo.of(new FeatureScenario.Examples()))
            .setCoder(AvroCoder.of(TrainingExample.class))
            .apply(
                "Snapshots",
                FeatureSnapshots.current()
                    .from(imps)
                    .withPeriod(Duration.millis(period))
                    .withBuckets(4));
    PAssert.that(streamed).satisfies(rows -> checkStreaming(rows, sc, period));
    streamed.apply("Collect", ParDo.of(new Collect("stream")));
    stream.run().waitUntilFinish();

    Map<String, FeatureSnapshot> s = COLLECTED.get("stream");
    Set<Long> ticks = new TreeSet<>();
    s.values().forEach(v -> ticks.add(v.getAsOf().toEpochMilli()));
    Instant[] asOf = ticks.stream().map(Instant::new).toArray(Instant[]::new);
    PCollection<Impression> bImps =
        batch.apply(
            "Impressions", Create.of(sc.impressions).withCoder(AvroCoder.of(Impression.class)));
    batch
        .apply("Examples", Create.of(sc.examples).withCoder(AvroCoder.of(TrainingExample.class)))
        .apply("Snapshots", FeatureSnapshots.asOf(asOf).from(bImps).withBuckets(5))
        .apply("Collect", ParDo.of(new Collect("batch")));
    batch.run().waitUntilFinish();

    Map<String, FeatureSnapshot> b = COLLECTED.get("batch");
    assertTrue(b.keySet().containsAll(s.keySet()));
    for (Map.Entry<String, FeatureSnapshot> e : s.entrySet()) {
      FeatureSnapshot x = e.getValue();
      FeatureSnapshot y = b.get(e.getKey());
      assertEquals(y.getImpressions24h(), x.getImpressions24h(), e.getKey());
      assertEquals(y.getClicks24h(), x.getClicks24h(), e.getKey());
      assertEquals(y.getCtr24h() == null, x.getCtr24h() == null, e.getKey());
      if (x.getCtr24h() != null) {
        FeatureAssertions.assertClose(y.getCtr24h(), x.getCtr24h(), e.getKey());
      }
      FeatureAssertions.assertClose(
          y.getDecayedImpressions(), x.getDecayedImpressions(), e.getKey());
      FeatureAssertions.assertClose(y.getDecayedClicks(), x.getDecayedClicks(), e.getKey());
      FeatureAssertions.assertClose(y.getDecayedCtr(), x.getDecayedCtr(), e.getKey());
    }
  }
}
