package io.ctrbeam.ingest;

import java.util.Locale;

/**
 * How log records are encoded: in input files ({@link ReadLogs}), in Kafka values ({@code
 * ReadKafkaRecords}, JSONL or AVRO) and in the generator's output ({@code LogGenerator}, JSONL,
 * AVRO or both). The output tables' formats, which add Parquet, are {@code storage.FileFormat}.
 */
public enum Format {
  /** One JSON object a line, §1 field names. */
  JSONL,
  /** Avro object container files. */
  AVRO,
  /** By extension: {@code .jsonl}/{@code .json} or {@code .avro} (after a compression suffix). */
  AUTO;

  private static final String[] COMPRESSION_SUFFIXES = {
    ".gz", ".bz2", ".zip", ".deflate", ".zst", ".lzo"
  };

  /** The concrete format of one file: this one, or for AUTO the one its name says, else null. */
  Format resolve(String fileName) {
    if (this != AUTO) {
      return this;
    }
    String name = fileName.toLowerCase(Locale.ROOT);
    for (String suffix : COMPRESSION_SUFFIXES) {
      if (name.endsWith(suffix)) {
        name = name.substring(0, name.length() - suffix.length());
      }
    }
    if (name.endsWith(".jsonl") || name.endsWith(".json")) {
      return JSONL;
    }
    if (name.endsWith(".avro")) {
      return AVRO;
    }
    return null;
  }
}
