package io.ctrbeam.quality;

import java.io.Serializable;
import java.util.Map;
import java.util.Set;

/**
 * Dead letters by record type and reason, and by {@code type.field} and reason where the message
 * names the field (ingest's messages start with it). Records refused by ingest count against the
 * validity and completeness of their type.
 */
public record DeadLetterCounts(
    Map<String, Map<String, Long>> byType, Map<String, Map<String, Long>> byField)
    implements Serializable {
  /**
   * The contract §6 reasons that make a record invalid; duplicates and label-stage reasons do not.
   */
  public static final Set<String> VALIDITY_REASONS =
      Set.of("PARSE_ERROR", "MISSING_FIELD", "BAD_TIMESTAMP", "BAD_POSITION", "BAD_COUNTRY");

  public static DeadLetterCounts empty() {
    return new DeadLetterCounts(Map.of(), Map.of());
  }

  public long count(String recordType, String reason) {
    return byType.getOrDefault(recordType, Map.of()).getOrDefault(reason, 0L);
  }

  /** Invalid records of a type: refused for a validity reason. */
  public long invalid(String recordType) {
    return byType.getOrDefault(recordType, Map.of()).entrySet().stream()
        .filter(e -> VALIDITY_REASONS.contains(e.getKey()))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }

  /** Records of a type refused for a validity reason that names this field. */
  public long invalid(String recordType, String field) {
    return byField.getOrDefault(recordType + "." + field, Map.of()).entrySet().stream()
        .filter(e -> VALIDITY_REASONS.contains(e.getKey()))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }

  public long count(String recordType, String field, String reason) {
    return byField.getOrDefault(recordType + "." + field, Map.of()).getOrDefault(reason, 0L);
  }
}
