package io.ctrbeam.common;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The one JSON rendering of Avro records (generated {@code SpecificRecord}s or {@code
 * GenericRecord}s), one object a line: the schema's field names (snake_case), timestamps as
 * epoch-millis numbers, dates as epoch days, arrays as arrays, bytes as base64 strings. Unlike
 * Avro's own JSON encoding, unions are not wrapped, so a line reads like an input JSON line.
 *
 * <ul>
 *   <li>{@link #allFields}: every field, nulls as {@code null}: the rows, dead letters, corrections
 *       and snapshots that JSON-lines files and Kafka topics hold.
 *   <li>{@link #toJson}: a log record as an input line: its §1 fields only (no {@link Provenance}
 *       fields), nulls as {@code null}.
 *   <li>{@link #logLine}: a log record as the generator writes it: §1 fields, nulls left out unless
 *       named, and one field replaced by a raw token (or left out) to make a defect.
 * </ul>
 */
public final class RecordJson {
  private RecordJson() {}

  /** Every field of {@code record}, nulls as {@code null}. */
  public static String allFields(IndexedRecord record) {
    return render(record, record.getSchema(), null, null, null);
  }

  /** A log record as an input line: its §1 fields, nulls as {@code null}. */
  public static String toJson(SpecificRecord record) {
    return render(record, Provenance.specSchema(record.getSchema()), null, null, null);
  }

  /**
   * A log record's §1 fields; a null field is left out unless it is in {@code writtenNulls}. {@code
   * overrideField} (when not null) is written as the raw JSON {@code overrideToken}, or left out
   * when the token is null.
   */
  public static String logLine(
      IndexedRecord record,
      Set<String> writtenNulls,
      @Nullable String overrideField,
      @Nullable String overrideToken) {
    return render(
        record,
        Provenance.specSchema(record.getSchema()),
        writtenNulls,
        overrideField,
        overrideToken);
  }

  /** A JSON string literal with RFC 8259 escaping. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2);
    quote(sb, s);
    return sb.toString();
  }

  /** Appends a JSON string literal with RFC 8259 escaping. */
  public static void quote(StringBuilder sb, String s) {
    sb.append('"');
    if (plain(s)) {
      sb.append(s).append('"');
      return;
    }
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (ch < 0x20) {
            sb.append(String.format("\\u%04x", (int) ch));
          } else {
            sb.append(ch);
          }
        }
      }
    }
    sb.append('"');
  }

  /** {@code writtenNulls} null: every null is written. */
  private static String render(
      IndexedRecord record,
      Schema schema,
      @Nullable Set<String> writtenNulls,
      @Nullable String overrideField,
      @Nullable String overrideToken) {
    StringBuilder sb = new StringBuilder(256);
    object(sb, record, schema, writtenNulls, overrideField, overrideToken);
    return sb.toString();
  }

  private static void object(
      StringBuilder sb,
      IndexedRecord record,
      Schema schema,
      @Nullable Set<String> writtenNulls,
      @Nullable String overrideField,
      @Nullable String overrideToken) {
    sb.append('{');
    boolean first = true;
    for (Schema.Field f : schema.getFields()) {
      String name = f.name();
      boolean override = name.equals(overrideField);
      Object v = override ? overrideToken : record.get(f.pos());
      if (v == null && (override || (writtenNulls != null && !writtenNulls.contains(name)))) {
        continue;
      }
      if (!first) {
        sb.append(',');
      }
      first = false;
      quote(sb, name);
      sb.append(':');
      if (override) {
        sb.append(overrideToken);
      } else {
        value(sb, v);
      }
    }
    sb.append('}');
  }

  private static void value(StringBuilder sb, @Nullable Object v) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof CharSequence || v instanceof GenericEnumSymbol || v instanceof Enum) {
      quote(sb, v.toString());
    } else if (v instanceof Instant t) {
      sb.append(t.toEpochMilli());
    } else if (v instanceof LocalDate d) {
      sb.append(d.toEpochDay());
    } else if (v instanceof Integer || v instanceof Long || v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isFinite(d)) {
        sb.append(v);
      } else {
        quote(sb, v.toString()); // NaN and infinities as strings, as Jackson writes them
      }
    } else if (v instanceof ByteBuffer b) {
      ByteBuffer dup = b.duplicate();
      byte[] bytes = new byte[dup.remaining()];
      dup.get(bytes);
      quote(sb, Base64.getEncoder().encodeToString(bytes));
    } else if (v instanceof GenericFixed f) {
      quote(sb, Base64.getEncoder().encodeToString(f.bytes()));
    } else if (v instanceof IndexedRecord r) {
      object(sb, r, r.getSchema(), null, null, null);
    } else if (v instanceof Collection<?> items) {
      sb.append('[');
      boolean first = true;
      for (Object item : items) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        value(sb, item);
      }
      sb.append(']');
    } else {
      checkArgument(v instanceof Map, "no JSON form for a value, got %s", v.getClass().getName());
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        quote(sb, e.getKey().toString());
        sb.append(':');
        value(sb, e.getValue());
      }
      sb.append('}');
    }
  }

  /** Whether {@code s} needs no escaping (the common case: ids and codes). */
  private static boolean plain(String s) {
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch < 0x20 || ch == '"' || ch == '\\') {
        return false;
      }
    }
    return true;
  }
}
