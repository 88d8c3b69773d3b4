package io.ctrbeam.weights;

import io.ctrbeam.schema.TrainingExample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Training examples with a known positive rate and positions, and hand-written propensity files.
 */
final class WeightFixtures {
  /** 2025-06-01T00:00:00Z. */
  static final long T0 = 1_748_736_000_000L;

  private WeightFixtures() {}

  static TrainingExample example(
      String id, int position, String device, boolean clicked, long eventMillis) {
    return TrainingExample.newBuilder()
        .setImpressionId(id)
        .setEventTime(Instant.ofEpochMilli(eventMillis))
        .setUserId("u-" + id)
        .setAdId("ad-" + position)
        .setPosition(position)
        .setDevice(device)
        .setCountry("US")
        .setClicked(clicked ? 1 : 0)
        .setConverted(0)
        .setLabelTime(Instant.ofEpochMilli(eventMillis + 7_200_000))
        .setElapsedMs(7_200_000)
        .setLabelConfidence(1.0)
        .setLabelKind("WAIT")
        .setHourOfDay(0)
        .setDayOfWeek(7)
        .build();
  }

  /**
   * {@code n} examples at positions 1..3 in turn, exactly one in {@code every} clicked, a second
   * apart.
   */
  static List<TrainingExample> examples(int n, int every) {
    List<TrainingExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          example(
              String.format("imp-%06d", i),
              1 + i % 3,
              i % 2 == 0 ? "mobile" : "desktop",
              i % every == 0,
              T0 + i * 1_000L));
    }
    return out;
  }

  /**
   * A propensity file: position 1 → 1.0, 2 → 0.5, 3 → 0.04 (IPW 25, above the default clip of 20).
   */
  static Path propensityFile(Path dir) throws IOException {
    Path f = dir.resolve("propensities.json");
    Files.writeString(
        f,
        "{\"propensities\": ["
            + "{\"position\": 1, \"propensity\": 1.0},"
            + "{\"position\": 2, \"propensity\": 0.5},"
            + "{\"position\": 3, \"propensity\": 0.04}]}");
    return f;
  }
}
