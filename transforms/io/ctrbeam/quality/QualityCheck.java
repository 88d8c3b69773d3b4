package io.ctrbeam.quality;

import java.io.Serializable;

/**
 * One metric of one field, with its threshold and verdict. {@code n} is the sample size, {@code m}
 * the reference's (drift only), {@code expectedNoise} and {@code noiseBound} the value that
 * sampling alone gives on average and exceeds with probability {@code alpha} (drift only); a drift
 * check fails only above both its threshold and its noise bound. {@code exact} tells a counted
 * figure from a sketched one, whose {@code errorBound} is given.
 */
public record QualityCheck(
    String recordType,
    String field,
    String metric,
    double value,
    Double threshold,
    String verdict,
    long n,
    Long m,
    Double expectedNoise,
    Double noiseBound,
    String band,
    boolean exact,
    Double errorBound)
    implements Serializable {
  public static final String PASS = "pass";
  public static final String FAIL = "fail";

  /** Reported with no threshold. */
  public static final String INFO = "info";

  public boolean failed() {
    return FAIL.equals(verdict);
  }

  /**
   * e.g. {@code impression.device psi = 0.4512 > threshold 0.2 (n=1000, m=1200, noise bound
   * 0.0123)}.
   */
  public String describe() {
    StringBuilder s =
        new StringBuilder(recordType + "." + field + " " + metric + " = " + number(value));
    if (threshold != null) {
      boolean upper = QualityConfig.UPPER_BOUNDS.contains(metric);
      String op = failed() ? (upper ? " > " : " < ") : (upper ? " <= " : " >= ");
      s.append(op).append("threshold ").append(number(threshold));
    }
    s.append(" (n=").append(n);
    if (m != null) {
      s.append(", m=").append(m);
    }
    if (noiseBound != null) {
      s.append(", noise bound ").append(number(noiseBound));
    }
    return s.append(")").toString();
  }

  /** Six significant digits, no trailing zeros: 0.2, 0.879112, 1.5e-05. */
  public static String number(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return Double.toString(v);
    }
    String s =
        new java.math.BigDecimal(v)
            .round(new java.math.MathContext(6))
            .stripTrailingZeros()
            .toString();
    return s.contains("E") ? s.replace("E", "e") : s;
  }
}
