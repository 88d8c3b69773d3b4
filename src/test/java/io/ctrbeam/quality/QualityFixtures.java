package io.ctrbeam.quality;

import io.ctrbeam.schema.Impression;
import java.time.Instant;
import java.util.List;

/** Small hand-made records and their profiles, computed with the same combine the pipeline runs. */
final class QualityFixtures {
  static final long T0 = Instant.parse("2025-06-01T00:00:00Z").toEpochMilli();

  private QualityFixtures() {}

  static Impression impression(int i, String device, String country, int position) {
    return Impression.newBuilder()
        .setImpressionId("imp_" + i)
        .setEventTime(Instant.ofEpochMilli(T0 + i * 1000L))
        .setUserId("u" + (i % 7))
        .setAdId("a" + (i % 3))
        .setPosition(position)
        .setAdvertiserId(null)
        .setAdCategory("cat")
        .setDevice(device)
        .setCountry(country)
        .setRequestId("r" + i / 10)
        .build();
  }

  /** The profile of impressions, with bins counted on {@code reference} when it is not null. */
  static DatasetProfile profile(List<Impression> records, DatasetProfile reference) {
    ProfileFn<Impression> fn =
        new ProfileFn<>(RecordFields.IMPRESSION, reference, 20, Long.MAX_VALUE);
    return fn.apply(records);
  }

  /** The profile as a batch run merges it: partial accumulators per split, then merged. */
  static DatasetProfile profileInParts(
      List<Impression> records, DatasetProfile reference, int parts) {
    ProfileFn<Impression> fn =
        new ProfileFn<>(RecordFields.IMPRESSION, reference, 20, Long.MAX_VALUE);
    java.util.List<ProfileAccumulator> accs = new java.util.ArrayList<>();
    for (int p = 0; p < parts; p++) {
      ProfileAccumulator a = fn.createAccumulator();
      for (int i = p; i < records.size(); i += parts) {
        fn.addInput(a, records.get(i));
      }
      accs.add(roundTrip(a));
    }
    return fn.extractOutput(fn.mergeAccumulators(accs));
  }

  static ProfileAccumulator roundTrip(ProfileAccumulator a) {
    try {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      ProfileAccumulatorCoder.INSTANCE.encode(a, out);
      return ProfileAccumulatorCoder.INSTANCE.decode(
          new java.io.ByteArrayInputStream(out.toByteArray()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
