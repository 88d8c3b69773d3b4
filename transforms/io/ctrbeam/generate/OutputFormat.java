package io.ctrbeam.generate;

import java.util.Locale;

/** File formats {@link LogGenerator#write} can produce. */
public enum OutputFormat {
  JSONL(true, false),
  AVRO(false, true),
  BOTH(true, true);

  private final boolean jsonl;
  private final boolean avro;

  OutputFormat(boolean jsonl, boolean avro) {
    this.jsonl = jsonl;
    this.avro = avro;
  }

  public boolean jsonl() { return jsonl; }

  public boolean avro() { return avro; }

  /** Parses {@code jsonl}, {@code avro} or {@code both} (any case). */
  public static OutputFormat parse(String s) {
    return valueOf(s.trim().toUpperCase(Locale.ROOT));
  }
}
