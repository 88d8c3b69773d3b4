package io.ctrbeam.quality;

import io.ctrbeam.common.Reason;

/** The contract §6 rules that one value can break, for records that did not come through ingest. */
final class FieldRules {
  static final long YEAR_2000 = 946_684_800_000L;
  static final long ONE_HOUR = 3_600_000L;

  private FieldRules() {}

  /**
   * The broken rule of a field's value, or null. {@code latestMillis} bounds the record's event
   * time (clock + 1 h; Long.MAX_VALUE for no bound).
   */
  static Reason check(FieldSpec f, Object v, boolean isTimeField, long latestMillis) {
    if (v == null) {
      return f.required() ? Reason.MISSING_FIELD : null;
    }
    switch (f.kind()) {
      case TIMESTAMP:
        double t = (Double) v;
        return t < YEAR_2000 || (isTimeField && t > latestMillis) ? Reason.BAD_TIMESTAMP : null;
      case NUMERIC:
        double d = (Double) v;
        if (Double.isNaN(d) || Double.isInfinite(d)) {
          return Reason.PARSE_ERROR;
        }
        return f.name().equals("position") && d < 1 ? Reason.BAD_POSITION : null;
      case CATEGORICAL:
        return f.name().equals("country") && !isCountry((String) v) ? Reason.BAD_COUNTRY : null;
      default:
        return null;
    }
  }

  private static boolean isCountry(String c) {
    return c.length() == 2 && upper(c.charAt(0)) && upper(c.charAt(1));
  }

  private static boolean upper(char ch) {
    return ch >= 'A' && ch <= 'Z';
  }
}
