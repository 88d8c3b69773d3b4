package io.ctrbeam.features;

import static io.ctrbeam.features.FeatureScenario.H;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.schema.UserProfile;
import io.ctrbeam.testing.TestPipelineExtension;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class EnrichExamplesTest {
  static final long T = FeatureScenario.T0 + 10 * H;

  static UserProfile profile(String user, long at, String age) {
    return UserProfile.newBuilder()
        .setUserId(user)
        .setUpdatedAt(Instant.ofEpochMilli(at))
        .setAgeBucket(age)
        .setGender("f")
        .setInterests(List.of("sport", age))
        .build();
  }

  static AdMetadata ad(String id, long at, String category) {
    return AdMetadata.newBuilder()
        .setAdId(id)
        .setUpdatedAt(Instant.ofEpochMilli(at))
        .setAdvertiserId("adv-" + category)
        .setCategory(category)
        .build();
  }

  static final List<UserProfile> PROFILES =
      List.of(
          profile("u1", T - 5 * H, "18-24"),
          profile("u1", T - 2 * H, "25-34"),
          profile("u1", T + H, "35-44"), // updated after the impression: not used
          profile("u2", T + 1, "45-54")); // u2 has no version by T
  static final List<AdMetadata> ADS =
      List.of(ad("a1", T - 24 * H, "shoes"), ad("a1", T, "boots"), ad("a2", T - H, "cars"));

  static List<TrainingExample> examples() {
    List<TrainingExample> ex = new ArrayList<>();
    ex.add(
        FeatureScenario.example(FeatureScenario.imp("e1", T, "u1", "a1", null, null), null, null));
    ex.add(
        FeatureScenario.example(
            FeatureScenario.imp("e2", T, "u2", "a2", null, null), T + 60_000, null));
    ex.add(
        FeatureScenario.example(
            FeatureScenario.imp("e3", T - 3 * H, "u1", "a1", null, null), null, null));
    ex.add(
        FeatureScenario.example(FeatureScenario.imp("e4", T, "u3", "a9", null, null), null, null));
    return ex;
  }

  static Void check(Iterable<TrainingExample> rows) {
    Map<String, TrainingExample> m = new HashMap<>();
    rows.forEach(e -> m.put(e.getImpressionId(), e));
    assertEquals(4, m.size(), "records in = records out");
    assertEquals("25-34", m.get("e1").getUserAgeBucket()); // latest at or before T, not T + 1 h
    assertEquals(List.of("sport", "25-34"), m.get("e1").getUserInterests());
    assertEquals("boots", m.get("e1").getAdMetaCategory()); // updated exactly at T: in
    assertEquals("adv-boots", m.get("e1").getAdMetaAdvertiserId());
    assertNull(m.get("e2").getUserAgeBucket()); // only a version after T
    assertNull(m.get("e2").getUserGender());
    assertEquals("cars", m.get("e2").getAdMetaCategory());
    assertEquals("18-24", m.get("e3").getUserAgeBucket());
    assertEquals("shoes", m.get("e3").getAdMetaCategory());
    assertNull(m.get("e4").getUserInterests()); // no profile, no metadata
    assertNull(m.get("e4").getAdMetaCategory());
    return null;
  }

  @Test
  void batchTakesTheLatestVersionAtOrBeforeTheImpression(TestPipeline p) {
    PCollection<TrainingExample> out =
        p.apply("Examples", Create.of(examples()).withCoder(AvroCoder.of(TrainingExample.class)))
            .apply(
                "Enrich",
                EnrichExamples.of(
                        p.apply(
                            "Profiles",
                            Create.of(PROFILES).withCoder(AvroCoder.of(UserProfile.class))),
                        p.apply("Ads", Create.of(ADS).withCoder(AvroCoder.of(AdMetadata.class))))
                    .withBuckets(3));
    PAssert.that(out).satisfies(EnrichExamplesTest::check);
    p.run().waitUntilFinish();
  }

  /** Decodes one tagged record of the test stream. */
  static final class Untag<X> extends DoFn<KV<Integer, byte[]>, X> {
    private final int tag;
    private final Class<X> type;

    Untag(int tag, Class<X> type) {
      this.tag = tag;
      this.type = type;
    }

    @ProcessElement
    public void process(@Element KV<Integer, byte[]> kv, OutputReceiver<X> out) throws Exception {
      if (kv.getKey() == tag) {
        out.output(CoderUtils.decodeFromByteArray(AvroCoder.of(type), kv.getValue()));
      }
    }
  }

  static <X> TimestampedValue<KV<Integer, byte[]>> tagged(int tag, Class<X> type, X x, long ts)
      throws Exception {
    return TimestampedValue.of(
        KV.of(tag, CoderUtils.encodeToByteArray(AvroCoder.of(type), x)),
        org.joda.time.Instant.ofEpochMilli(ts));
  }

  @Test
  void streamingGivesTheSameAsOfJoin(TestPipeline p) throws Exception {
    // Versions arrive at their updated_at, examples at their label time, the watermark in steps.
    List<TimestampedValue<KV<Integer, byte[]>>> all = new ArrayList<>();
    for (UserProfile u : PROFILES) {
      all.add(tagged(0, UserProfile.class, u, u.getUpdatedAt().toEpochMilli()));
    }
    for (AdMetadata a : ADS) {
      all.add(tagged(1, AdMetadata.class, a, a.getUpdatedAt().toEpochMilli()));
    }
    for (TrainingExample e : examples()) {
      all.add(tagged(2, TrainingExample.class, e, e.getLabelTime().toEpochMilli()));
    }
    all.sort((a, b) -> a.getTimestamp().compareTo(b.getTimestamp()));
    TestStream.Builder<KV<Integer, byte[]>> b =
        TestStream.create(KvCoder.of(VarIntCoder.of(), ByteArrayCoder.of()))
            .advanceWatermarkTo(org.joda.time.Instant.ofEpochMilli(T - 30 * H));
    for (int k = 0; k < all.size(); k += 2) {
      // Deliver in pairs, the later one first (out of order), then advance to the next one.
      if (k + 1 < all.size()) {
        b = b.addElements(all.get(k + 1));
      }
      b = b.addElements(all.get(k));
      if (k + 2 < all.size()) {
        b = b.advanceWatermarkTo(all.get(k + 2).getTimestamp());
      }
    }
    PCollection<KV<Integer, byte[]>> in = p.apply("Stream", b.advanceWatermarkToInfinity());
    PCollection<TrainingExample> out =
        in.apply("Examples", ParDo.of(new Untag<>(2, TrainingExample.class)))
            .setCoder(AvroCoder.of(TrainingExample.class))
            .apply(
                "Enrich",
                EnrichExamples.of(
                        in.apply("Profiles", ParDo.of(new Untag<>(0, UserProfile.class)))
                            .setCoder(AvroCoder.of(UserProfile.class)),
                        in.apply("Ads", ParDo.of(new Untag<>(1, AdMetadata.class)))
                            .setCoder(AvroCoder.of(AdMetadata.class)))
                    .withBuckets(2));
    PAssert.that(out).satisfies(EnrichExamplesTest::check);
    p.run().waitUntilFinish();
  }
}
