package io.ctrbeam.storage;

import io.ctrbeam.schema.TrainingExample;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Small training examples and feature snapshots for storage tests. */
final class SampleRecords {
  /** 2024-03-05T00:00:00Z. */
  static final long T0 = 1_709_596_800_000L;

  private SampleRecords() {}

  static TrainingExample example(String id, long eventMillis, String country, int clicked) {
    return TrainingExample.newBuilder()
        .setImpressionId(id)
        .setEventTime(Instant.ofEpochMilli(eventMillis))
        .setUserId("u-" + id)
        .setAdId("ad-" + (id.hashCode() & 7))
        .setPosition(1 + (id.hashCode() & 3))
        .setCountry(country)
        .setClicked(clicked)
        .setConverted(0)
        .setClickTime(clicked == 1 ? Instant.ofEpochMilli(eventMillis + 5_000) : null)
        .setClickDelayMs(clicked == 1 ? 5_000L : null)
        .setLabelTime(Instant.ofEpochMilli(eventMillis + (clicked == 1 ? 5_000 : 7_200_000)))
        .setElapsedMs(clicked == 1 ? 5_000 : 7_200_000)
        .setLabelConfidence(clicked == 1 ? 1.0 : 0.5)
        .setLabelKind("WAIT")
        .setHourOfDay(0)
        .setDayOfWeek(2)
        .setUserInterests(List.of("sports", "news"))
        .setUserCtr24h(clicked == 1 ? 0.25 : null)
        .setWeight(1.5)
        .build();
  }

  /**
   * {@code n} examples spread over hours 0, 1 and 2 of T0 and countries US, DE and null; every
   * fifth one clicked.
   */
  static List<TrainingExample> examples(int n) {
    String[] countries = {"US", "DE", null};
    List<TrainingExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long t = T0 + (i % 3) * 3_600_000L + i * 1_000L;
      out.add(example(String.format("imp-%04d", i), t, countries[(i / 3) % 3], i % 5 == 0 ? 1 : 0));
    }
    return out;
  }
}
