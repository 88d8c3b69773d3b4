package io.ctrbeam.generate;

import java.util.List;

/**
 * Hand-built JSON object lines (fast, exact field names). One field can be overridden with a raw
 * token, or omitted when the token is null, to make defective records.
 */
final class JsonLine {
  private final StringBuilder sb = new StringBuilder(256);
  private final String overrideField;
  private final String overrideToken;
  private boolean first = true;

  JsonLine(String overrideField, String overrideToken) {
    this.overrideField = overrideField;
    this.overrideToken = overrideToken;
    sb.append('{');
  }

  private boolean name(String name) {
    if (name.equals(overrideField)) {
      if (overrideToken != null) {
        key(name);
        sb.append(overrideToken);
      }
      return false;
    }
    key(name);
    return true;
  }

  private void key(String name) {
    if (!first) {
      sb.append(',');
    }
    first = false;
    sb.append('"').append(name).append("\":");
  }

  JsonLine str(String name, String value) {
    if (name(name)) {
      quote(sb, value);
    }
    return this;
  }

  /** An optional string: omitted when null, or written as null when {@code explicitNull}. */
  JsonLine optStr(String name, String value, boolean explicitNull) {
    if (value == null && !explicitNull && !name.equals(overrideField)) {
      return this;
    }
    if (name(name)) {
      if (value == null) {
        sb.append("null");
      } else {
        quote(sb, value);
      }
    }
    return this;
  }

  JsonLine num(String name, long value) {
    if (name(name)) {
      sb.append(value);
    }
    return this;
  }

  JsonLine optNum(String name, Double value) {
    if (value == null && !name.equals(overrideField)) {
      return this;
    }
    if (name(name)) {
      sb.append(value == null ? "null" : value.toString());
    }
    return this;
  }

  JsonLine strArray(String name, List<String> values) {
    if (values == null && !name.equals(overrideField)) {
      return this;
    }
    if (name(name)) {
      if (values == null) {
        sb.append("null");
        return this;
      }
      sb.append('[');
      for (int i = 0; i < values.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        quote(sb, values.get(i));
      }
      sb.append(']');
    }
    return this;
  }

  String end() {
    return sb.append('}').toString();
  }

  /** Appends a JSON string literal with RFC 8259 escaping. */
  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    if (plain(s)) {
      sb.append(s).append('"');
      return;
    }
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"': sb.append("\\\""); break;
        case '\\': sb.append("\\\\"); break;
        case '\n': sb.append("\\n"); break;
        case '\r': sb.append("\\r"); break;
        case '\t': sb.append("\\t"); break;
        case '\b': sb.append("\\b"); break;
        case '\f': sb.append("\\f"); break;
        default:
          if (ch < 0x20) {
            sb.append(String.format("\\u%04x", (int) ch));
          } else {
            sb.append(ch);
          }
      }
    }
    sb.append('"');
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

  static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2);
    quote(sb, s);
    return sb.toString();
  }
}
