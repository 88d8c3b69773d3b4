package io.ctrbeam.testing;

import io.ctrbeam.schema.FeatureSnapshot;
import java.time.Instant;

/** Feature snapshots for tests, with non-trivial doubles. */
public final class TestSnapshots {
  private TestSnapshots() {}

  /** A snapshot; {@code ctr_24h} is null when {@code imps} is 0. */
  public static FeatureSnapshot snapshot(
      String kind, String key, long asOf, long imps, long clicks) {
    return FeatureSnapshot.newBuilder()
        .setKeyKind(kind)
        .setKey(key)
        .setAsOf(Instant.ofEpochMilli(asOf))
        .setImpressions24h(imps)
        .setClicks24h(clicks)
        .setCtr24h(imps == 0 ? null : (double) clicks / imps)
        .setDecayedImpressions(imps / 3.0)
        .setDecayedClicks(clicks / 7.0)
        .setDecayedCtr((clicks / 7.0 + 1) / (imps / 3.0 + 11))
        .build();
  }
}
