package io.ctrbeam.storage;

import io.ctrbeam.schema.FeatureSnapshot;

/**
 * Feature snapshots of the batch layer: Parquet partitioned {@code date=YYYY-MM-DD/} by {@code
 * as_of} (UTC). Returns a {@link WriteRecords}.
 */
public final class WriteFeatureSnapshots {
  private WriteFeatureSnapshots() {}

  /** Writes feature snapshots under {@code outputDir}. */
  public static WriteRecords<FeatureSnapshot> to(String outputDir) {
    return WriteRecords.of(FeatureSnapshot.class)
        .to(outputDir)
        .withPartitioning(s -> Partitions.date(s.getAsOf()), "date= of as_of")
        .withFormat(FileFormat.PARQUET);
  }
}
