package io.ctrbeam.features;

import static io.ctrbeam.features.FeatureScenario.H;
import static io.ctrbeam.features.FeatureScenario.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.schema.UserProfile;
import io.ctrbeam.testing.TestPipelineExtension;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bounded features with enrichment answer both in one grouping ({@link CountsAndVersions}): the
 * features must still match the brute-force feature oracle, and the profile and ad fields a
 * brute-force as-of join (latest updated_at ≤ event_time), including versions updated exactly at an
 * impression's time and rows whose user or ad has no version yet.
 */
@ExtendWith(TestPipelineExtension.class)
class CountsAndVersionsTest {
  /** Versions of the scenario's users and ads, some at the very millisecond of an impression. */
  static final class Versions implements Serializable {
    final List<UserProfile> profiles = new ArrayList<>();
    final List<AdMetadata> ads = new ArrayList<>();

    static Versions of(FeatureScenario s, long seed) {
      Random r = new Random(seed);
      Versions v = new Versions();
      Set<String> seen = new HashSet<>();
      for (Impression i : s.impressions) {
        if (seen.add("u" + i.getUserId()) && r.nextInt(4) != 0) { // a quarter of users: none
          for (int k = 0; k < 3; k++) {
            long at = k == 0 ? i.getEventTime().toEpochMilli() : T0 + r.nextInt(72) * H + k;
            v.profiles.add(EnrichExamplesTest.profile(i.getUserId(), at, "age" + r.nextInt(6)));
          }
        }
        if (seen.add("a" + i.getAdId())) {
          long first = i.getEventTime().toEpochMilli();
          v.ads.add(EnrichExamplesTest.ad(i.getAdId(), first, "cat" + r.nextInt(5)));
          v.ads.add(EnrichExamplesTest.ad(i.getAdId(), first + 5 * H + 1, "cat" + r.nextInt(5)));
        }
      }
      v.ads.add(EnrichExamplesTest.ad("a0", T0 + 500 * H, "future")); // after every impression
      return v;
    }

    /** The latest profile of the row's user with updated_at ≤ event_time, by brute force. */
    UserProfile profileAt(TrainingExample e) {
      return latest(profiles, UserProfile::getUserId, UserProfile::getUpdatedAt, e.getUserId(), e);
    }

    AdMetadata adAt(TrainingExample e) {
      return latest(ads, AdMetadata::getAdId, AdMetadata::getUpdatedAt, e.getAdId(), e);
    }

    private static <R> R latest(
        List<R> versions,
        Function<R, String> id,
        Function<R, Instant> at,
        String key,
        TrainingExample e) {
      R best = null;
      for (R v : versions) {
        if (id.apply(v).equals(key)
            && !at.apply(v).isAfter(e.getEventTime())
            && (best == null || at.apply(v).isAfter(at.apply(best)))) {
          best = v;
        }
      }
      return best;
    }

    EnrichExamples enrichment(TestPipeline p) {
      return EnrichExamples.of(
          p.apply("Profiles", Create.of(profiles).withCoder(AvroCoder.of(UserProfile.class))),
          p.apply("Ads", Create.of(ads).withCoder(AvroCoder.of(AdMetadata.class))));
    }
  }

  static Void allMatch(Iterable<TrainingExample> rows, FeatureScenario s, Versions v) {
    FeatureAssertions.allMatchOracle(rows, s, AddPointInTimeFeaturesTest.P);
    int profiled = 0;
    int atTheSameMillisecond = 0;
    for (TrainingExample e : rows) {
      UserProfile p = v.profileAt(e);
      AdMetadata a = v.adAt(e);
      String id = e.getImpressionId();
      assertEquals(p == null ? null : p.getAgeBucket(), e.getUserAgeBucket(), id + " age");
      assertEquals(p == null ? null : p.getGender(), e.getUserGender(), id + " gender");
      assertEquals(p == null ? null : p.getInterests(), e.getUserInterests(), id + " interests");
      assertEquals(a == null ? null : a.getCategory(), e.getAdMetaCategory(), id + " ad category");
      assertEquals(
          a == null ? null : a.getAdvertiserId(), e.getAdMetaAdvertiserId(), id + " advertiser");
      profiled += p == null ? 0 : 1;
      atTheSameMillisecond += p != null && p.getUpdatedAt().equals(e.getEventTime()) ? 1 : 0;
    }
    // The data exercise what the test claims: rows with and without a profile, and ties.
    assertEquals(true, profiled > 0 && atTheSameMillisecond > 0, "profiled rows and ties");
    return null;
  }

  @Test
  void rowsAsImpressionsGetFeaturesAndVersionsFromOneGroupingWithEitherAttach(TestPipeline p) {
    FeatureScenario s = FeatureScenario.random(29, 300).onePerImpression();
    Versions v = Versions.of(s, 7);
    PCollection<TrainingExample> in = AddPointInTimeFeaturesTest.examples(p, s);
    EnrichExamples enrichment = v.enrichment(p);
    PAssert.that(
            in.apply(
                "ByGrouping",
                AddPointInTimeFeatures.fromExamples().withBuckets(5).withEnrichment(enrichment)))
        .satisfies(rows -> allMatch(rows, s, v));
    PAssert.that(
            in.apply(
                "Stateful",
                AddPointInTimeFeatures.fromExamples()
                    .withBuckets(3)
                    .withStatefulInBatch(true)
                    .withEnrichment(enrichment)))
        .satisfies(rows -> allMatch(rows, s, v));
    p.run().waitUntilFinish();
  }

  @Test
  void impressionsAndRowsApartGetTheSameFromOneGrouping(TestPipeline p) {
    FeatureScenario s = FeatureScenario.random(31, 300); // duplicate positives, fake negatives
    Versions v = Versions.of(s, 11);
    PCollection<TrainingExample> out =
        AddPointInTimeFeaturesTest.examples(p, s)
            .apply(
                "AddFeatures",
                AddPointInTimeFeatures.from(AddPointInTimeFeaturesTest.impressions(p, s))
                    .withBuckets(4)
                    .withEnrichment(v.enrichment(p)));
    PAssert.that(out).satisfies(rows -> allMatch(rows, s, v));
    p.run().waitUntilFinish();
  }
}
