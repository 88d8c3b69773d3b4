package io.ctrbeam.quality;

/** How a field is profiled and compared. */
public enum FieldKind {
  /** An identifier: completeness and uniqueness, no distribution (every value is new). */
  ID,
  /**
   * A string: top-K categories and the share of the rest; drift on the reference's top categories.
   */
  CATEGORICAL,
  /** A number: quantiles and a histogram; drift on the reference's deciles. */
  NUMERIC,
  /** Epoch millis: range and freshness; no drift (time moves on by design). */
  TIMESTAMP,
  /** An array: profiled by its length, as a number. */
  LIST
}
