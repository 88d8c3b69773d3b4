package io.ctrbeam.storage;

/** The file formats {@link WriteRecords} writes. */
public enum FileFormat {
  /** Apache Parquet, columns typed by the Avro schema (timestamps as TIMESTAMP(MILLIS)). */
  PARQUET(".parquet"),
  /** Avro container files with the record's schema. */
  AVRO(".avro"),
  /** One plain JSON object a line ({@link io.ctrbeam.common.RecordJson#allFields}). */
  JSONL(".jsonl");

  private final String suffix;

  FileFormat(String suffix) {
    this.suffix = suffix;
  }

  /** The file name suffix, with its dot. */
  public String suffix() {
    return suffix;
  }
}
