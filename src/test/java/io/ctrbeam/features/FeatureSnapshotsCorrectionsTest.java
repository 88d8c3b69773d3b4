package io.ctrbeam.features;

import static io.ctrbeam.features.FeatureScenario.H;
import static io.ctrbeam.features.FeatureScenario.MIN;
import static io.ctrbeam.features.FeatureScenario.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.ctrbeam.schema.FeatureSnapshot;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.TestPipelineExtension;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Streaming snapshots fed the labeler's corrections: after a late click (LATE_OUTCOME) and a click
 * moved earlier (EARLIER_OUTCOME) arrive behind the watermark, each touched key's last snapshot
 * equals the brute-force oracle over the corrected rows; without the corrections it does not.
 */
@ExtendWith(TestPipelineExtension.class)
class FeatureSnapshotsCorrectionsTest {
  private static final long PERIOD = H;

  /** i1 clicked at CLICK_LATER first (its positive row), then at CLICK_EARLIER (a correction). */
  private static final long I1 = T0 + H;

  private static final long CLICK_LATER = I1 + 40 * MIN;
  private static final long CLICK_EARLIER = I1 + 10 * MIN;

  /** i2's negative row went out at I2 + 2 h; its click at LATE_CLICK came after (a correction). */
  private static final long I2 = T0 + 2 * H;

  private static final long LATE_CLICK = I2 + 30 * MIN;

  private static final Map<String, Map<String, FeatureSnapshot>> LAST = new TreeMap<>();

  /** Impressions, rows and corrections, keyed "i", "e" or "c" in one stream. */
  private static final KvCoder<String, byte[]> UNION =
      KvCoder.of(StringUtf8Coder.of(), ByteArrayCoder.of());

  private static Impression i1() {
    return FeatureScenario.imp("i1", I1, "u", "a", "v", "c");
  }

  private static Impression i2() {
    return FeatureScenario.imp("i2", I2, "u", "a2", "v", "c");
  }

  private static Impression i3() {
    return FeatureScenario.imp("i3", T0 + 3 * H, "u", "a", "v", "c");
  }

  private static LabelCorrection correction(
      Impression i, long at, Long previous, int oldLabel, String kind) {
    return LabelCorrection.newBuilder()
        .setImpressionId(i.getImpressionId())
        .setLabel("clicked")
        .setOldLabel(oldLabel)
        .setNewLabel(1)
        .setCorrectionTime(java.time.Instant.ofEpochMilli(at))
        .setImpressionTime(i.getEventTime())
        .setOutcomeId("k-" + i.getImpressionId() + "-" + at)
        .setLabelKind("WAIT")
        .setDelayMs(at - i.getEventTime().toEpochMilli())
        .setKind(kind)
        .setPreviousOutcomeTime(previous == null ? null : java.time.Instant.ofEpochMilli(previous))
        .setUserId(i.getUserId())
        .setAdId(i.getAdId())
        .setAdvertiserId(i.getAdvertiserId())
        .setAdCategory(i.getAdCategory())
        .build();
  }

  /** The snapshots of one run, each key's latest kept. */
  private static final class KeepLast extends DoFn<FeatureSnapshot, Void> {
    private final String run;

    KeepLast(String run) {
      this.run = run;
    }

    @ProcessElement
    public void process(@Element FeatureSnapshot s) {
      synchronized (LAST) {
        Map<String, FeatureSnapshot> m = LAST.computeIfAbsent(run, k -> new TreeMap<>());
        m.merge(
            s.getKeyKind() + "|" + s.getKey(),
            s,
            (a, b) -> a.getAsOf().isAfter(b.getAsOf()) ? a : b);
      }
    }
  }

  private static Map<String, FeatureSnapshot> run(
      TestPipeline p, String name, boolean corrections) {
    LabelCorrection earlier = correction(i1(), CLICK_EARLIER, CLICK_LATER, 1, "EARLIER_OUTCOME");
    LabelCorrection late = correction(i2(), LATE_CLICK, null, 0, "LATE_OUTCOME");
    TestStream<KV<String, byte[]>> in =
        TestStream.create(UNION)
            .advanceWatermarkTo(new Instant(T0))
            .addElements(at("i", i1(), I1), at("i", i2(), I2))
            .addElements(at("e", FeatureScenario.example(i1(), CLICK_LATER, null), CLICK_LATER))
            .advanceWatermarkTo(new Instant(T0 + 3 * H))
            .addElements(at("i", i3(), T0 + 3 * H))
            .addElements(at("e", FeatureScenario.example(i2(), null, I2 + 2 * H), I2 + 2 * H))
            .advanceWatermarkTo(new Instant(T0 + 5 * H))
            // Both behind the watermark, after the ticks that counted the rows alone; the
            // EARLIER_OUTCOME one delivered twice (at least once), counted once.
            .addElements(
                at("c", earlier, CLICK_EARLIER),
                at("c", late, LATE_CLICK),
                at("c", earlier, CLICK_EARLIER))
            .advanceWatermarkTo(new Instant(T0 + 7 * H))
            .advanceWatermarkToInfinity();
    PCollection<KV<String, byte[]>> all = p.apply("Stream", in);
    PCollection<Impression> imps =
        all.apply("Impressions", ParDo.of(new Parse<>("i", Impression.class)))
            .setCoder(AvroCoder.of(Impression.class));
    PCollection<TrainingExample> rows =
        all.apply("Rows", ParDo.of(new Parse<>("e", TrainingExample.class)))
            .setCoder(AvroCoder.of(TrainingExample.class));
    FeatureSnapshots snapshots =
        FeatureSnapshots.current().from(imps).withPeriod(Duration.millis(PERIOD)).withBuckets(2);
    if (corrections) {
      snapshots =
          snapshots.withCorrections(
              all.apply("Corrections", ParDo.of(new Parse<>("c", LabelCorrection.class)))
                  .setCoder(AvroCoder.of(LabelCorrection.class)));
    }
    rows.apply("Snapshots", snapshots).apply("KeepLast", ParDo.of(new KeepLast(name)));
    p.run().waitUntilFinish();
    return LAST.get(name);
  }

  private static <T extends SpecificRecord> TimestampedValue<KV<String, byte[]>> at(
      String kind, T record, long t) {
    try {
      @SuppressWarnings("unchecked")
      Class<T> type = (Class<T>) record.getClass();
      byte[] bytes = CoderUtils.encodeToByteArray(AvroCoder.of(type), record);
      return TimestampedValue.of(KV.of(kind, bytes), new Instant(t));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Decodes one kind of the union stream. */
  private static final class Parse<T extends SpecificRecord> extends DoFn<KV<String, byte[]>, T> {
    private final String kind;
    private final Class<T> type;

    Parse(String kind, Class<T> type) {
      this.kind = kind;
      this.type = type;
    }

    @ProcessElement
    public void process(@Element KV<String, byte[]> e, OutputReceiver<T> out) throws Exception {
      if (e.getKey().equals(kind)) {
        out.output(CoderUtils.decodeFromByteArray(AvroCoder.of(type), e.getValue()));
      }
    }
  }

  /** The rows as batch has them: i1 dated by its earlier click, i2 clicked late. */
  private static FeatureScenario corrected() {
    FeatureScenario s = new FeatureScenario();
    s.impressions.add(i1());
    s.impressions.add(i2());
    s.impressions.add(i3());
    s.examples.add(FeatureScenario.example(i1(), CLICK_EARLIER, null));
    s.examples.add(FeatureScenario.example(i2(), LATE_CLICK, null));
    s.examples.add(FeatureScenario.example(i3(), null, null));
    return s;
  }

  @Test
  void lastSnapshotOfEveryTouchedKeyCountsTheCorrections(TestPipeline p) {
    Map<String, FeatureSnapshot> last = run(p, "with", true);
    FeatureScenario oracle = corrected();
    for (String key :
        new String[] {"user|u", "ad|a", "ad|a2", "advertiser|v", "user_category|u|c"}) {
      FeatureSnapshot s = last.get(key);
      FeatureSnapshotsTest.assertMatchesOracle(s, oracle);
    }
    // The corrections re-snapshot the key at the tick after its last one (T0 + 3 h).
    assertEquals(T0 + 4 * H, last.get("user|u").getAsOf().toEpochMilli());
    // By hand, user u as of T0 + 4 h: 3 impressions and 2 clicks in the window; its decayed clicks
    // are 2^(−(τ − 1:10) / 24 h) + 2^(−(τ − 2:30) / 24 h) with τ = 4:00.
    FeatureSnapshot u = last.get("user|u");
    assertEquals(3L, u.getImpressions24h());
    assertEquals(2L, u.getClicks24h());
    FeatureAssertions.assertClose(
        Math.pow(2, -(4 * H - (H + 10 * MIN)) / (24.0 * H))
            + Math.pow(2, -(4 * H - (2 * H + 30 * MIN)) / (24.0 * H)),
        u.getDecayedClicks(),
        "decayed clicks");
  }

  @Test
  void withoutCorrectionsTheLateAndMovedClicksAreMissing(TestPipeline p) {
    FeatureSnapshot u = run(p, "without", false).get("user|u");
    assertEquals(1L, u.getClicks24h());
    assertNotEquals(
        FeatureSnapshotsTest.P.smoothedCtr(0, 0), u.getDecayedCtr(), "sanity: a decayed CTR");
    FeatureAssertions.assertClose(
        Math.pow(2, -(u.getAsOf().toEpochMilli() - CLICK_LATER) / (24.0 * H)),
        u.getDecayedClicks(),
        "only the row's click, at its first time");
  }
}
