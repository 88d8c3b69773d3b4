package io.ctrbeam.quality;

import java.io.Serializable;
import java.util.List;

/**
 * The profile of one record type over a run (batch) or a window (streaming): its record count, the
 * latest event time (for freshness) and a {@link FieldProfile} per field. Written as {@code
 * profile.json}; a later run reads it back as its drift reference, bin edges frozen.
 */
public record DatasetProfile(
    String recordType,
    long records,
    Long earliestEventTime,
    Long latestEventTime,
    List<FieldProfile> fields)
    implements Serializable {

  public FieldProfile field(String name) {
    return fields.stream().filter(f -> f.name().equals(name)).findFirst().orElse(null);
  }
}
