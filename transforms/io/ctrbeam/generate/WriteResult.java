package io.ctrbeam.generate;

import java.nio.file.Path;

/** What {@link LogGenerator#write} wrote. */
public final class WriteResult {
  private final Path outputDir;
  private final GroundTruth truth;
  private final long files;
  private final long bytes;
  private final long records;
  private final long millis;

  WriteResult(
      Path outputDir, GroundTruth truth, long files, long bytes, long records, long millis) {
    this.outputDir = outputDir;
    this.truth = truth;
    this.files = files;
    this.bytes = bytes;
    this.records = records;
    this.millis = millis;
  }

  public Path outputDir() {
    return outputDir;
  }

  /** The ground truth (also in ground_truth.json); its per-impression labels map is empty. */
  public GroundTruth truth() {
    return truth;
  }

  /** Data files written (not counting ground_truth.json and truth/labels.jsonl). */
  public long files() {
    return files;
  }

  public long bytes() {
    return bytes;
  }

  /** Records written, counting each format once. */
  public long records() {
    return records;
  }

  public long millis() {
    return millis;
  }

  @Override
  public String toString() {
    return String.format(
        "%,d records in %,d files (%,.1f MB) under %s in %.1f s",
        records, files, bytes / 1e6, outputDir, millis / 1000.0);
  }
}
