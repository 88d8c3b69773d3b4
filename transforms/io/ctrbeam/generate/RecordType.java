package io.ctrbeam.generate;

import io.ctrbeam.ingest.RecordKind;

/**
 * The five log record types as an enum, for the generator's tallies and switches: each is the
 * {@link RecordKind} that ingest reads it as (its name, class and time field), plus the directory
 * the generator writes it to and the fields a defect can drop.
 */
public enum RecordType {
  IMPRESSION(RecordKind.IMPRESSION, "impressions"),
  CLICK(RecordKind.CLICK, "clicks"),
  CONVERSION(RecordKind.CONVERSION, "conversions"),
  USER_PROFILE(RecordKind.USER_PROFILE, "users"),
  AD_METADATA(RecordKind.AD_METADATA, "ads");

  private final RecordKind<?> kind;
  private final String directory;

  RecordType(RecordKind<?> kind, String directory) {
    this.kind = kind;
    this.directory = directory;
  }

  /** How ingest reads this type. */
  public RecordKind<?> kind() {
    return kind;
  }

  /** The record type name used by dead letters and counters, e.g. {@code impression}. */
  public String typeName() {
    return kind.name();
  }

  /** The name of the event-time field, {@code event_time} or {@code updated_at}. */
  public String timeField() {
    return kind.timeField();
  }

  /** The required fields, id first (contract §1). */
  public String[] requiredFields() {
    return switch (this) {
      case IMPRESSION ->
          new String[] {"impression_id", "event_time", "user_id", "ad_id", "position"};
      case CLICK -> new String[] {"click_id", "impression_id", "event_time"};
      case CONVERSION -> new String[] {"conversion_id", "impression_id", "event_time"};
      case USER_PROFILE -> new String[] {"user_id", "updated_at"};
      case AD_METADATA -> new String[] {"ad_id", "updated_at"};
    };
  }

  /** The directory under the output root, e.g. {@code impressions}. */
  public String directory() {
    return directory;
  }
}
