package io.ctrbeam.features;

import static io.ctrbeam.features.FeatureScenario.H;
import static io.ctrbeam.features.FeatureScenario.MIN;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.FeatureSnapshot;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.TestPipelineExtension;
import java.util.HashMap;
import java.util.Map;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class AddPointInTimeFeaturesTest {
  static final long T = FeatureScenario.T0 + 48 * H;
  static final FeatureParams P =
      new FeatureParams(24 * H, 24 * H, FeatureParams.DEFAULT_ALPHA, FeatureParams.DEFAULT_BETA);

  /** 2^(−Δ / 24 h): the decay of an event Δ ms before the query. */
  static double d(long deltaMillis) {
    return Math.pow(2, -(double) deltaMillis / (24 * H));
  }

  /** The hand-made scenario of the boundary and leakage tests; the query is i4 at T. */
  static FeatureScenario hand() {
    FeatureScenario s = new FeatureScenario();
    s.add("i1", T - 24 * H, "u1", "a1", "v1", "c1", null);
    s.add("i2", T - 23 * H, "u1", "a1", "v1", "c1", T - 23 * H + 5 * MIN);
    s.add("i3", T - H, "u1", "a1", "v1", "c1", T - H + 10 * MIN);
    s.add("i5", T - 2 * H, "u1", "a2", "v2", "c2", null);
    s.add("i6", T - 3 * H, "u2", "a1", "v1", "c1", null);
    s.add("i7", T - 4 * H, "u3", "a3", "v1", "c3", null);
    s.add("i8", T, "u1", "a4", null, null, null);
    s.add("i4", T, "u1", "a1", "v1", "c1", T + MIN);
    s.add("i9", T + 30 * MIN, "u1", "a1", "v1", "c1", null);
    return s;
  }

  static PCollection<Impression> impressions(TestPipeline p, FeatureScenario s) {
    return p.apply(
        "Impressions", Create.of(s.impressions).withCoder(AvroCoder.of(Impression.class)));
  }

  static PCollection<TrainingExample> examples(TestPipeline p, FeatureScenario s) {
    return p.apply("Examples", Create.of(s.examples).withCoder(TrainingRows.CODER));
  }

  static Map<String, TrainingExample> byId(Iterable<TrainingExample> rows) {
    Map<String, TrainingExample> m = new HashMap<>();
    rows.forEach(e -> m.put(e.getImpressionId(), e));
    return m;
  }

  static Void checkHand(Iterable<TrainingExample> rows) {
    Map<String, TrainingExample> m = byId(rows);
    TrainingExample q = m.get("i4");
    // user u1: i2, i3, i5 in (T−24h, T); i1 at exactly T−24h and i4, i8 at T are out.
    double userImps = d(24 * H) + d(23 * H) + d(H) + d(2 * H);
    double clicks = d(23 * H - 5 * MIN) + d(50 * MIN);
    FeatureAssertions.assertFeatures(q, KeyKind.USER, new double[] {3, 2, userImps, clicks}, P);
    FeatureAssertions.assertFeatures(
        q, KeyKind.AD, new double[] {3, 2, d(24 * H) + d(23 * H) + d(H) + d(3 * H), clicks}, P);
    FeatureAssertions.assertFeatures(
        q,
        KeyKind.ADVERTISER,
        new double[] {4, 2, d(24 * H) + d(23 * H) + d(H) + d(3 * H) + d(4 * H), clicks},
        P);
    FeatureAssertions.assertFeatures(
        q, KeyKind.USER_CATEGORY, new double[] {2, 2, d(24 * H) + d(23 * H) + d(H), clicks}, P);
    assertEquals(2.0 / 3, q.getUserCtr24h(), 1e-12);
    assertEquals(0.5, q.getAdvertiserCtr24h(), 1e-12);
    // i1 is the first event of u1: zero counts, null CTR, the prior as decayed CTR.
    TrainingExample first = m.get("i1");
    assertEquals(0L, first.getUserImpressions24h());
    assertNull(first.getUserCtr24h());
    assertEquals(0.0, first.getUserDecayedImpressions());
    FeatureAssertions.assertClose(1.0 / 50, first.getUserDecayedCtr(), "prior");
    // i8 has no advertiser and no category: those kinds stay null.
    TrainingExample noAdv = m.get("i8");
    assertNull(noAdv.getAdvertiserImpressions24h());
    assertNull(noAdv.getAdvertiserDecayedCtr());
    assertNull(noAdv.getUserCategoryImpressions24h());
    assertEquals(3L, noAdv.getUserImpressions24h());
    assertEquals(m.size(), 9);
    return null;
  }

  @Test
  void slidingCtrByHandForEachKindWithWindowBoundaries(TestPipeline p) {
    FeatureScenario s = hand();
    PCollection<TrainingExample> out =
        examples(p, s)
            .apply("AddFeatures", AddPointInTimeFeatures.from(impressions(p, s)).withBuckets(4));
    PAssert.that(out).satisfies(AddPointInTimeFeaturesTest::checkHand);
    p.run().waitUntilFinish();
  }

  /** The rows as their own impression events: the same hand-worked values, and no leak. */
  @Test
  void fromExamplesCountsEachRowAsItsImpressionByHand(TestPipeline p) {
    FeatureScenario s = hand();
    PCollection<TrainingExample> out =
        examples(p, s).apply("AddFeatures", AddPointInTimeFeatures.fromExamples().withBuckets(4));
    PAssert.that(out).satisfies(AddPointInTimeFeaturesTest::checkHand);
    PAssert.that(out).satisfies(AddPointInTimeFeaturesTest::checkNoLeak);
    p.run().waitUntilFinish();
  }

  @Test
  void fromExamplesMatchesTheOracleWithEitherAttach(TestPipeline p) {
    FeatureScenario s = FeatureScenario.random(13, 300).onePerImpression();
    assertEquals(s.impressions.size(), s.examples.size());
    PCollection<TrainingExample> in = examples(p, s);
    PAssert.that(in.apply("ByGrouping", AddPointInTimeFeatures.fromExamples().withBuckets(5)))
        .satisfies(rows -> FeatureAssertions.allMatchOracle(rows, s, P));
    PAssert.that(
            in.apply(
                "Stateful",
                AddPointInTimeFeatures.fromExamples().withBuckets(3).withStatefulInBatch(true)))
        .satisfies(rows -> FeatureAssertions.allMatchOracle(rows, s, P));
    p.run().waitUntilFinish();
  }

  @Test
  void fromExamplesRefusesUnboundedExamples(TestPipeline p) {
    p.enableAbandonedNodeEnforcement(false);
    PCollection<TrainingExample> unbounded =
        examples(p, hand()).setIsBoundedInternal(PCollection.IsBounded.UNBOUNDED);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> unbounded.apply("AddFeatures", AddPointInTimeFeatures.fromExamples()));
    assertThat(e.getMessage(), containsString("bounded"));
  }

  static Void checkNoLeak(Iterable<TrainingExample> rows) {
    TrainingExample q = byId(rows).get("i4");
    // Its own impression (at T) and its own click (T + 1 min) are not counted.
    assertEquals(3L, q.getUserImpressions24h());
    assertEquals(2L, q.getUserClicks24h());
    assertEquals(2L, q.getUserCategoryClicks24h());
    return null;
  }

  static Void checkSnapshotsSeeMore(Iterable<FeatureSnapshot> rows) {
    Map<Long, FeatureSnapshot> user = new HashMap<>();
    for (FeatureSnapshot s : rows) {
      if (s.getKeyKind().equals("user") && s.getKey().equals("u1")) {
        user.put(s.getAsOf().toEpochMilli(), s);
      }
    }
    // As of T events at T are in: i4 and i8 count, so the value differs from the example's.
    assertEquals(5L, user.get(T).getImpressions24h());
    assertEquals(2L, user.get(T).getClicks24h());
    // As of T + 1 min i4's own click is in: including it would have changed the feature.
    assertEquals(3L, user.get(T + MIN).getClicks24h());
    assertNotEquals(2L, user.get(T + MIN).getClicks24h());
    return null;
  }

  @Test
  void leakageOwnImpressionAndClickAndLaterEventsAreNotUsed(TestPipeline p) {
    FeatureScenario s = hand();
    PCollection<Impression> imps = impressions(p, s);
    PCollection<TrainingExample> ex = examples(p, s);
    PCollection<TrainingExample> out =
        ex.apply("AddFeatures", AddPointInTimeFeatures.from(imps).withBuckets(2));
    PCollection<FeatureSnapshot> snaps =
        ex.apply(
            "Snapshots",
            FeatureSnapshots.asOf(new org.joda.time.Instant(T), new org.joda.time.Instant(T + MIN))
                .from(imps)
                .withBuckets(2));
    PAssert.that(out).satisfies(AddPointInTimeFeaturesTest::checkNoLeak);
    PAssert.that(snaps).satisfies(AddPointInTimeFeaturesTest::checkSnapshotsSeeMore);
    p.run().waitUntilFinish();
  }

  @Test
  void batchWithTheStatefulAttachMatchesOracle(TestPipeline p) {
    FeatureScenario s = FeatureScenario.random(11, 300);
    PCollection<TrainingExample> out =
        examples(p, s)
            .apply(
                "AddFeatures",
                AddPointInTimeFeatures.from(impressions(p, s))
                    .withBuckets(5)
                    .withStatefulInBatch(true));
    PAssert.that(out).satisfies(rows -> FeatureAssertions.allMatchOracle(rows, s, P));
    p.run().waitUntilFinish();
  }

  @Test
  void batchMatchesOracleForEveryKindAndKeepsEveryRecord(TestPipeline p) {
    FeatureScenario s = FeatureScenario.random(7, 300);
    PCollection<TrainingExample> out =
        examples(p, s)
            .apply("AddFeatures", AddPointInTimeFeatures.from(impressions(p, s)).withBuckets(5));
    PAssert.that(out).satisfies(rows -> FeatureAssertions.allMatchOracle(rows, s, P));
    p.run().waitUntilFinish();
  }

  @Test
  void halfLifeAndSmoothingAreParameters(TestPipeline p) {
    FeatureScenario s = FeatureScenario.random(11, 120);
    FeatureParams q = new FeatureParams(6 * H, 3 * H, 2.0, 8.0);
    PCollection<TrainingExample> out =
        examples(p, s)
            .apply(
                "AddFeatures",
                AddPointInTimeFeatures.from(impressions(p, s))
                    .withWindow(Duration.standardHours(6))
                    .withHalfLife(Duration.standardHours(3))
                    .withSmoothing(2.0, 8.0)
                    .withBuckets(3));
    PAssert.that(out).satisfies(rows -> FeatureAssertions.allMatchOracle(rows, s, q));
    p.run().waitUntilFinish();
  }

  /** Collects rows by pipeline run for the parity test (DirectRunner runs in this JVM). */
  static final Map<String, Map<String, TrainingExample>> COLLECTED = new ConcurrentHashMap<>();

  static final class Collect extends DoFn<TrainingExample, Void> {
    private final String run;

    Collect(String run) {
      this.run = run;
    }

    @ProcessElement
    public void process(@Element TrainingExample e) {
      COLLECTED
          .computeIfAbsent(run, k -> new ConcurrentHashMap<>())
          .put(e.getImpressionId() + "/" + e.getLabelTime() + "/" + e.getClicked(), e);
    }
  }

  static Void checkStreaming(Iterable<TrainingExample> rows, FeatureScenario s) {
    // The late impression (delivered behind the watermark) is counted for the later example.
    assertEquals(1L, byId(rows).get("late2").getUserImpressions24h());
    return FeatureAssertions.allMatchOracle(rows, s, P);
  }

  static void assertSameFeatures(TrainingExample a, TrainingExample b) {
    for (KeyKind kind : KeyKind.values()) {
      for (String suffix : new String[] {"_impressions_24h", "_clicks_24h"}) {
        assertEquals(
            FeatureAssertions.field(a, kind, suffix),
            FeatureAssertions.field(b, kind, suffix),
            kind + suffix);
      }
      for (String suffix :
          new String[] {"_ctr_24h", "_decayed_impressions", "_decayed_clicks", "_decayed_ctr"}) {
        Double x = (Double) FeatureAssertions.field(a, kind, suffix);
        Double y = (Double) FeatureAssertions.field(b, kind, suffix);
        if (x == null || y == null) {
          assertEquals(x, y, a.getImpressionId() + " " + kind + suffix);
        } else {
          FeatureAssertions.assertClose(x, y, a.getImpressionId() + " " + kind + suffix);
        }
      }
    }
  }

  @Test
  void streamingWithTestStreamMatchesBatchToOneInABillion(TestPipeline stream, TestPipeline batch) {
    FeatureScenario s = FeatureScenario.random(3, 160);
    PCollection<KV<Impression, TrainingExample>> in = stream.apply("Stream", s.stream(2 * H, 5));
    PCollection<Impression> imps =
        in.apply("SplitImpressions", ParDo.of(new FeatureScenario.Impressions()))
            .setCoder(AvroCoder.of(Impression.class));
    PCollection<TrainingExample> ex =
        in.apply("SplitExamples", ParDo.of(new FeatureScenario.Examples()))
            .setCoder(TrainingRows.CODER);
    PCollection<TrainingExample> streamed =
        ex.apply(
            "AddFeatures",
            AddPointInTimeFeatures.from(imps)
                .withBuckets(4)
                .withAllowedLateness(Duration.standardMinutes(30)));
    PAssert.that(streamed).satisfies(rows -> checkStreaming(rows, s));
    streamed.apply("Collect", ParDo.of(new Collect("pitStream")));
    stream.run().waitUntilFinish();

    batch
        .apply("Examples", Create.of(s.examples).withCoder(TrainingRows.CODER))
        .apply(
            "AddFeatures",
            AddPointInTimeFeatures.from(
                    batch.apply(
                        "Impressions",
                        Create.of(s.impressions).withCoder(AvroCoder.of(Impression.class))))
                .withBuckets(7))
        .apply("Collect", ParDo.of(new Collect("pitBatch")));
    batch.run().waitUntilFinish();

    Map<String, TrainingExample> a = COLLECTED.get("pitStream");
    Map<String, TrainingExample> b = COLLECTED.get("pitBatch");
    assertEquals(b.keySet(), a.keySet());
    for (String k : a.keySet()) {
      assertSameFeatures(a.get(k), b.get(k));
    }
  }
}
