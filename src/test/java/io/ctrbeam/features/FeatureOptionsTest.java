package io.ctrbeam.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.UserProfile;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** The builders reject bad values at once and show their configuration. */
class FeatureOptionsTest {
  static String item(DisplayData d, String key) {
    for (DisplayData.Item i : d.items()) {
      if (i.getKey().equals(key)) {
        return String.valueOf(i.getValue());
      }
    }
    return null;
  }

  @Test
  void buildersValidateAndShowTheirConfiguration() {
    TestPipeline p = TestPipeline.create().enableAbandonedNodeEnforcement(false);
    PCollection<Impression> imps = p.apply(Create.empty(AvroCoder.of(Impression.class)));
    AddPointInTimeFeatures f = AddPointInTimeFeatures.from(imps);
    assertThrows(IllegalArgumentException.class, () -> f.withBuckets(0));
    assertThrows(IllegalArgumentException.class, () -> f.withWindow(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> f.withHalfLife(Duration.millis(-1)));
    assertThrows(IllegalArgumentException.class, () -> f.withSmoothing(0, 0));
    assertThrows(IllegalArgumentException.class, () -> f.withLabelWait(Duration.millis(-1)));
    DisplayData d = DisplayData.from(f.withBuckets(16).withSmoothing(2, 3));
    assertEquals("16", item(d, "buckets"));
    assertEquals("3.0", item(d, "beta"));

    assertThrows(IllegalArgumentException.class, () -> FeatureSnapshots.asOf());
    assertThrows(
        IllegalArgumentException.class,
        () -> FeatureSnapshots.asOf(new Instant(0)).withPeriod(Duration.standardMinutes(1)));
    DisplayData s =
        DisplayData.from(
            FeatureSnapshots.current().from(imps).withPeriod(Duration.standardMinutes(5)));
    assertEquals(String.valueOf(5 * 60_000L), item(s, "period"));

    EnrichExamples e =
        EnrichExamples.of(
            p.apply("Profiles", Create.empty(AvroCoder.of(UserProfile.class))),
            p.apply("Ads", Create.empty(AvroCoder.of(AdMetadata.class))));
    assertThrows(IllegalArgumentException.class, () -> e.withBuckets(-3));
    assertEquals("8", item(DisplayData.from(e.withBuckets(8)), "buckets"));
  }
}
