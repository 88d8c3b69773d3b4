package io.ctrbeam.generate;

/** The five log record types, with their dead-letter type name and output directory. */
public enum RecordType {
  IMPRESSION("impression", "impressions"),
  CLICK("click", "clicks"),
  CONVERSION("conversion", "conversions"),
  USER_PROFILE("user_profile", "users"),
  AD_METADATA("ad_metadata", "ads");

  private final String typeName;
  private final String directory;

  RecordType(String typeName, String directory) {
    this.typeName = typeName;
    this.directory = directory;
  }

  /** The record type name used by dead letters and counters, e.g. {@code impression}. */
  public String typeName() {
    return typeName;
  }

  /** The directory under the output root, e.g. {@code impressions}. */
  public String directory() {
    return directory;
  }
}
