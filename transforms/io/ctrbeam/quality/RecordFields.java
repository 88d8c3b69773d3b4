package io.ctrbeam.quality;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.Provenance;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * The profiled fields of one record type, read from its Avro schema: strings are categorical unless
 * named as ids, numbers numeric, {@code timestamp-millis} timestamps, arrays lists. Works on
 * specific and generic records alike (by field position).
 */
public final class RecordFields implements Serializable {
  public static final RecordFields IMPRESSION =
      of(
          "impression",
          Provenance.specSchema(Impression.getClassSchema()),
          "event_time",
          Set.of("impression_id", "request_id"),
          "impression_id");
  public static final RecordFields CLICK =
      of(
          "click",
          Provenance.specSchema(Click.getClassSchema()),
          "event_time",
          Set.of("click_id", "impression_id"),
          "click_id");
  public static final RecordFields CONVERSION =
      of(
          "conversion",
          Provenance.specSchema(Conversion.getClassSchema()),
          "event_time",
          Set.of("conversion_id", "impression_id"),
          "conversion_id");
  public static final RecordFields TRAINING =
      of(
          "training",
          TrainingExample.getClassSchema(),
          "event_time",
          Set.of("impression_id", "request_id"),
          null);

  private final String recordType;
  private final String timeField;
  private final String dedupIdField;
  private final List<FieldSpec> fields;

  private RecordFields(
      String recordType, String timeField, String dedupIdField, List<FieldSpec> fields) {
    this.recordType = recordType;
    this.timeField = timeField;
    this.dedupIdField = dedupIdField;
    this.fields = List.copyOf(fields);
  }

  /**
   * The fields of {@code schema}; {@code timeField} drives freshness, {@code idFields} are not
   * given distributions, and {@code dedupIdField} (or null) is the id whose duplicates ingest
   * dead-letters, so its uniqueness is exact.
   */
  public static RecordFields of(
      String recordType,
      Schema schema,
      String timeField,
      Set<String> idFields,
      String dedupIdField) {
    checkArgument(
        schema.getField(timeField) != null,
        "time field %s is not in %s, got %s",
        timeField,
        recordType,
        schema.getFields());
    List<FieldSpec> out = new ArrayList<>();
    for (Schema.Field f : schema.getFields()) {
      Schema s = f.schema();
      boolean required = s.getType() != Schema.Type.UNION;
      if (!required) {
        s =
            s.getTypes().stream()
                .filter(t -> t.getType() != Schema.Type.NULL)
                .findFirst()
                .orElseThrow();
      }
      out.add(new FieldSpec(f.name(), f.pos(), kind(f.name(), s, idFields), required));
    }
    return new RecordFields(recordType, timeField, dedupIdField, out);
  }

  private static FieldKind kind(String name, Schema s, Set<String> idFields) {
    if (idFields.contains(name)) {
      return FieldKind.ID;
    }
    if (s.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
      return FieldKind.TIMESTAMP;
    }
    switch (s.getType()) {
      case STRING:
      case ENUM:
        return FieldKind.CATEGORICAL;
      case ARRAY:
        return FieldKind.LIST;
      case INT:
      case LONG:
      case FLOAT:
      case DOUBLE:
      case BOOLEAN:
        return FieldKind.NUMERIC;
      default:
        throw new IllegalArgumentException("field " + name + " has an unprofiled type, got " + s);
    }
  }

  public String recordType() {
    return recordType;
  }

  public String timeField() {
    return timeField;
  }

  /** The id that ingest deduplicates (its uniqueness before dedup is exact), or null. */
  public String dedupIdField() {
    return dedupIdField;
  }

  public List<FieldSpec> fields() {
    return fields;
  }

  public FieldSpec field(String name) {
    return fields.stream().filter(f -> f.name().equals(name)).findFirst().orElse(null);
  }

  /**
   * A field's value as a Double (numbers, timestamps, list sizes), a String (ids, categories) or
   * null.
   */
  static Object value(IndexedRecord r, FieldSpec f) {
    Object v = r.get(f.pos());
    if (v == null) {
      return null;
    }
    switch (f.kind()) {
      case ID:
      case CATEGORICAL:
        return v.toString();
      case TIMESTAMP:
        return v instanceof Instant
            ? (double) ((Instant) v).toEpochMilli()
            : ((Number) v).doubleValue();
      case LIST:
        return (double) ((Collection<?>) v).size();
      default:
        return v instanceof Boolean ? ((Boolean) v ? 1.0 : 0.0) : ((Number) v).doubleValue();
    }
  }
}
