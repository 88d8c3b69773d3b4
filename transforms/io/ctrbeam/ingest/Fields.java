package io.ctrbeam.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrbeam.common.Reason;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * Reads the §1 fields of one input record, whatever its encoding, and applies the contract §6 type
 * and range rules. Absent or null required fields are MISSING_FIELD; values of the wrong type are
 * PARSE_ERROR, except timestamps, which are BAD_TIMESTAMP.
 */
abstract class Fields {
  private final long earliestMillis;
  private final long latestMillis;

  Fields(long earliestMillis, long latestMillis) {
    this.earliestMillis = earliestMillis;
    this.latestMillis = latestMillis;
  }

  /** The raw value of a field as a Java scalar, list or record; null when absent or null. */
  abstract Object value(String name);

  /** Strings, numbers and booleans; records, maps, arrays and bytes are not scalars. */
  static boolean isScalar(Object v) {
    return v instanceof CharSequence || v instanceof Number || v instanceof Boolean;
  }

  String requiredString(String name) throws InvalidRecordException {
    Object v = value(name);
    if (v == null) {
      throw missing(name);
    }
    return asString(name, v);
  }

  String optionalString(String name) throws InvalidRecordException {
    Object v = value(name);
    return v == null ? null : asString(name, v);
  }

  private static String asString(String name, Object v) throws InvalidRecordException {
    if (!isScalar(v)) {
      throw new InvalidRecordException(Reason.PARSE_ERROR, name + " is not a string: " + v);
    }
    return v.toString();
  }

  int requiredInt(String name) throws InvalidRecordException {
    Object v = value(name);
    if (v == null) {
      throw missing(name);
    }
    Long l = integral(v);
    if (l == null || l != l.intValue()) {
      throw new InvalidRecordException(Reason.PARSE_ERROR, name + " is not an int: " + v);
    }
    return l.intValue();
  }

  Double optionalDouble(String name) throws InvalidRecordException {
    Object v = value(name);
    if (v == null) {
      return null;
    }
    if (v instanceof Number) {
      return ((Number) v).doubleValue();
    }
    try {
      return Double.parseDouble(v.toString());
    } catch (NumberFormatException e) {
      throw new InvalidRecordException(Reason.PARSE_ERROR, name + " is not a number: " + v);
    }
  }

  List<String> optionalStringList(String name) throws InvalidRecordException {
    Object v = value(name);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Collection)) {
      throw new InvalidRecordException(Reason.PARSE_ERROR, name + " is not an array: " + v);
    }
    List<String> out = new ArrayList<>();
    for (Object item : (Collection<?>) v) {
      if (item == null) {
        throw new InvalidRecordException(Reason.PARSE_ERROR, name + " holds a null");
      }
      out.add(asString(name, item));
    }
    return out;
  }

  /** The epoch millis of a timestamp field if it is a whole number, else null. */
  Long readableTime(String name) {
    Object v = value(name);
    return v == null ? null : integral(v);
  }

  /** A required timestamp within [2000-01-01, clock + 1 h]. */
  long requiredTime(String name) throws InvalidRecordException {
    Object v = value(name);
    if (v == null) {
      throw missing(name);
    }
    Long millis = integral(v);
    if (millis == null) {
      throw new InvalidRecordException(
          Reason.BAD_TIMESTAMP, name + " is not epoch milliseconds: " + v);
    }
    if (millis < earliestMillis) {
      throw new InvalidRecordException(
          Reason.BAD_TIMESTAMP, name + " " + millis + " is before 2000-01-01");
    }
    if (millis > latestMillis) {
      throw new InvalidRecordException(
          Reason.BAD_TIMESTAMP,
          name
              + " "
              + millis
              + " is more than 1 h after the run's clock (limit "
              + latestMillis
              + ")");
    }
    return millis;
  }

  /** An optional ISO 3166-1 alpha-2 code: two upper-case ASCII letters. */
  String optionalCountry(String name) throws InvalidRecordException {
    String c = optionalString(name);
    if (c != null && !(c.length() == 2 && isUpperAscii(c.charAt(0)) && isUpperAscii(c.charAt(1)))) {
      throw new InvalidRecordException(
          Reason.BAD_COUNTRY, name + " '" + c + "' is not two upper-case letters");
    }
    return c;
  }

  private static boolean isUpperAscii(char ch) {
    return ch >= 'A' && ch <= 'Z';
  }

  /** A whole number from a JSON/Avro number or a numeric string, else null. */
  private static Long integral(Object v) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof Number) {
      double d = ((Number) v).doubleValue();
      return d == Math.rint(d) && Math.abs(d) < 9.0e15 ? (long) d : null;
    }
    if (v instanceof CharSequence) {
      try {
        return Long.parseLong(v.toString().trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  private static InvalidRecordException missing(String name) {
    return new InvalidRecordException(Reason.MISSING_FIELD, name + " is missing or null");
  }

  /** Fields of a Jackson object node. */
  static Fields ofJson(JsonNode node, long earliestMillis, long latestMillis) {
    return new Fields(earliestMillis, latestMillis) {
      @Override
      Object value(String name) {
        return jsonValue(node.get(name));
      }
    };
  }

  private static Object jsonValue(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return null;
    }
    if (n.isTextual()) {
      return n.textValue();
    }
    if (n.isIntegralNumber()) {
      return n.canConvertToLong() ? (Object) n.longValue() : n.doubleValue();
    }
    if (n.isNumber()) {
      return n.doubleValue();
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isArray()) {
      List<Object> items = new ArrayList<>();
      n.forEach(item -> items.add(jsonValue(item)));
      return items;
    }
    return n;
  }

  /** Fields of a generic Avro record decoded in its writer schema. */
  static Fields ofAvro(GenericRecord record, long earliestMillis, long latestMillis) {
    return new Fields(earliestMillis, latestMillis) {
      @Override
      Object value(String name) {
        Schema.Field f = record.getSchema().getField(name);
        return f == null ? null : avroValue(record.get(f.pos()));
      }
    };
  }

  private static Object avroValue(Object v) {
    if (v instanceof Collection) {
      List<Object> items = new ArrayList<>();
      for (Object item : (Collection<?>) v) {
        items.add(avroValue(item));
      }
      return items;
    }
    if (v instanceof CharSequence || v instanceof org.apache.avro.generic.GenericEnumSymbol) {
      return v.toString();
    }
    return v;
  }
}
