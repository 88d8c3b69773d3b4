package io.ctrbeam.storage;

import io.ctrbeam.schema.TrainingExample;

/**
 * Training data (contract §7): Parquet by default, partitioned {@code
 * date=YYYY-MM-DD/hour=HH/country=CC/} by the impression's UTC event time (country {@code unknown}
 * when null). Returns a {@link WriteRecords}, so format, windows and file size are its options.
 */
public final class WriteTrainingData {
  private WriteTrainingData() {}

  /** Writes training examples under {@code outputDir}. */
  public static WriteRecords<TrainingExample> to(String outputDir) {
    return WriteRecords.of(TrainingExample.class)
        .to(outputDir)
        .withPartitioning(
            e -> Partitions.dateHourCountry(e.getEventTime(), e.getCountry()),
            "date=/hour=/country= of event_time")
        .withFormat(FileFormat.PARQUET);
  }
}
