package io.ctrbeam.quality;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

/**
 * PSI, KL(P‖Q) and Jensen–Shannon between a current histogram P (actual) and a reference Q
 * (expected) on the same bins, natural logarithms.
 *
 * <p>Smoothing: each share becomes (s + ε) / (1 + kε) for k bins, so an empty bin on either side
 * gives a finite value (an unseen category lands in "other", never at +∞). Shares of an empty
 * histogram (n = 0) are all zero and become uniform.
 *
 * <p>Sampling noise: for two samples of one distribution of sizes n and m on k bins, Σ(p−q)²/q
 * is about χ²(k−1)·(1/n + 1/m). PSI ≈ Σ(p−q)²/q, KL ≈ ½Σ(p−q)²/q and JS ≈ ⅛Σ(p−q)²/q to second
 * order, so their expected values under no drift are (k−1)(1/n+1/m) times 1, ½ and ⅛, and a bound
 * that pure noise passes with probability α takes the χ² quantile in place of k−1.
 */
public final class Drift {
  /** Default smoothing of empty bins. */
  public static final double DEFAULT_EPSILON = 1e-4;
  /** Default probability that pure sampling noise exceeds the noise bound. */
  public static final double DEFAULT_ALPHA = 0.001;

  private Drift() {}

  /** The drift measures of {@link Drift}. */
  public enum Measure {
    PSI(1.0),
    KL(0.5),
    JS(0.125);

    /** E[measure] ≈ factor · (k−1)(1/n + 1/m) under no drift. */
    final double noiseFactor;

    Measure(double noiseFactor) {
      this.noiseFactor = noiseFactor;
    }

    public String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Shares of counts, smoothed with ε and renormalized. */
  public static double[] smooth(long[] counts, double epsilon) {
    checkArgument(epsilon >= 0 && epsilon < 1, "epsilon must be in [0, 1), got %s", epsilon);
    long n = 0;
    for (long c : counts) {
      n += c;
    }
    double[] s = new double[counts.length];
    double z = 1 + counts.length * epsilon;
    for (int i = 0; i < s.length; i++) {
      double share = n == 0 ? 1.0 / counts.length : (double) counts[i] / n;
      s[i] = (share + epsilon) / z;
    }
    return s;
  }

  /** PSI = Σ (P_i − Q_i) ln(P_i / Q_i) on smoothed shares. */
  public static double psi(long[] current, long[] reference, double epsilon) {
    double[] p = smooth(current, epsilon);
    double[] q = smooth(reference, epsilon);
    checkSameBins(p, q);
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      sum += (p[i] - q[i]) * Math.log(p[i] / q[i]);
    }
    return sum;
  }

  /** KL(P‖Q) = Σ P_i ln(P_i / Q_i) on smoothed shares, P current, Q reference. */
  public static double kl(long[] current, long[] reference, double epsilon) {
    double[] p = smooth(current, epsilon);
    double[] q = smooth(reference, epsilon);
    checkSameBins(p, q);
    return kl(p, q);
  }

  /** Jensen–Shannon divergence ½KL(P‖M) + ½KL(Q‖M), M = (P+Q)/2, on smoothed shares; at most ln 2. */
  public static double js(long[] current, long[] reference, double epsilon) {
    double[] p = smooth(current, epsilon);
    double[] q = smooth(reference, epsilon);
    checkSameBins(p, q);
    double[] m = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      m[i] = (p[i] + q[i]) / 2;
    }
    return 0.5 * kl(p, m) + 0.5 * kl(q, m);
  }

  public static double measure(Measure m, long[] current, long[] reference, double epsilon) {
    switch (m) {
      case PSI:
        return psi(current, reference, epsilon);
      case KL:
        return kl(current, reference, epsilon);
      default:
        return js(current, reference, epsilon);
    }
  }

  private static double kl(double[] p, double[] q) {
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      sum += p[i] * Math.log(p[i] / q[i]);
    }
    return sum;
  }

  private static void checkSameBins(double[] p, double[] q) {
    checkArgument(p.length == q.length, "current and reference need the same bins, got %s and %s", p.length, q.length);
  }

  /** Bins that hold data on either side: only those carry sampling noise. */
  public static int occupiedBins(long[] current, long[] reference) {
    int k = 0;
    for (int i = 0; i < current.length; i++) {
      k += current[i] > 0 || reference[i] > 0 ? 1 : 0;
    }
    return k;
  }

  /** The expected value of the measure from sampling noise alone, at sizes n and m on k occupied bins. */
  public static double expectedNoise(Measure measure, int k, long n, long m) {
    if (n == 0 || m == 0) {
      return Double.POSITIVE_INFINITY;
    }
    return measure.noiseFactor * Math.max(0, k - 1) * (1.0 / n + 1.0 / m);
  }

  /** The value that sampling noise alone exceeds with probability alpha. */
  public static double noiseBound(Measure measure, int k, long n, long m, double alpha) {
    if (n == 0 || m == 0) {
      return Double.POSITIVE_INFINITY;
    }
    return measure.noiseFactor * chiSquareQuantile(Math.max(1, k - 1), 1 - alpha) * (1.0 / n + 1.0 / m);
  }

  /** The p-quantile of χ²(ν), Wilson–Hilferty: ν(1 − 2/(9ν) + z_p √(2/(9ν)))³. */
  static double chiSquareQuantile(int nu, double p) {
    double z = normalQuantile(p);
    double a = 2.0 / (9 * nu);
    double c = 1 - a + z * Math.sqrt(a);
    return nu * c * c * c;
  }

  /** The p-quantile of the standard normal (Acklam's rational approximation, |error| < 1.2e-9). */
  static double normalQuantile(double p) {
    checkArgument(p > 0 && p < 1, "p must be in (0, 1), got %s", p);
    double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01};
    double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
    double lo = 0.02425;
    if (p < lo) {
      double q = Math.sqrt(-2 * Math.log(p));
      return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - lo) {
      return -normalQuantile(1 - p);
    }
    double q = p - 0.5;
    double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }

  /** SPEC 5 bands: below 0.1 none, 0.1 to 0.2 moderate, above 0.2 significant. */
  public static String band(double value) {
    return value < 0.1 ? "none" : value <= 0.2 ? "moderate" : "significant";
  }
}
