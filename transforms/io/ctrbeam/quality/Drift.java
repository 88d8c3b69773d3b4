package io.ctrbeam.quality;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * PSI, KL(P‖Q) and Jensen–Shannon between a current histogram P (actual) and a reference Q
 * (expected) on the same bins, natural logarithms.
 *
 * <p>Smoothing: each share becomes (s + ε) / (1 + kε) for k bins, so an empty bin on either side
 * gives a finite value (an unseen category lands in "other", never at +∞). Shares of an empty
 * histogram (n = 0) are all zero and become uniform.
 *
 * <p>Sampling noise: for two samples of one distribution of sizes n and m on k bins, Σ(p−q)²/q is
 * about χ²(k−1)·(1/n + 1/m). PSI ≈ Σ(p−q)²/q, KL ≈ ½Σ(p−q)²/q and JS ≈ ⅛Σ(p−q)²/q to second order,
 * so their expected values under no drift are about (k−1)(1/n+1/m) times 1, ½ and ⅛. That
 * approximation fails for small samples, where empty bins meet ε (PSI of 10 values on 11 bins is
 * several times it), so the gate's noise level is simulated ({@link #noise}).
 */
public final class Drift {
  /** Default smoothing of empty bins. */
  public static final double DEFAULT_EPSILON = 1e-4;

  /** Default probability that pure sampling noise exceeds the noise bound. */
  public static final double DEFAULT_ALPHA = 0.001;

  /** Simulated draws of the noise; with the default alpha the bound is the second largest. */
  public static final int DEFAULT_DRAWS = 2000;

  private Drift() {}

  /** The drift measures of {@link Drift}. */
  public enum Measure {
    PSI(1.0),
    KL(0.5),
    JS(0.125);

    /** E[measure] ≈ factor · (k−1)(1/n + 1/m) under no drift, to second order. */
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

  /**
   * Jensen–Shannon divergence ½KL(P‖M) + ½KL(Q‖M), M = (P+Q)/2, on smoothed shares; at most ln 2.
   */
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
    checkArgument(
        p.length == q.length,
        "current and reference need the same bins, got %s and %s",
        p.length,
        q.length);
  }

  /** Bins that hold data on either side: only those carry sampling noise. */
  public static int occupiedBins(long[] current, long[] reference) {
    int k = 0;
    for (int i = 0; i < current.length; i++) {
      k += current[i] > 0 || reference[i] > 0 ? 1 : 0;
    }
    return k;
  }

  /**
   * The second-order approximation of a measure's mean under no drift, factor·(k−1)(1/n + 1/m) on k
   * occupied bins. Good when every bin expects a few counts; {@link #noise} is used instead.
   */
  public static double chiSquareApproximation(Measure measure, int k, long n, long m) {
    return measure.noiseFactor * Math.max(0, k - 1) * (1.0 / n + 1.0 / m);
  }

  /**
   * What sampling noise alone gives: the mean of a measure and the value it exceeds with
   * probability alpha.
   */
  public record Noise(double mean, double bound) {}

  /**
   * The noise of each measure at these sample sizes, by simulation under no drift: both samples are
   * drawn again (multinomial, sizes n and m) from the pooled shares, smoothed with the same ε,
   * {@code draws} times with a seed taken from the counts, so a report is reproducible. Unlike the
   * χ² approximation this holds for small samples, where empty bins and ε dominate.
   */
  public static Noise[] noise(
      long[] current, long[] reference, double epsilon, double alpha, int draws) {
    checkSameBins(new double[current.length], new double[reference.length]);
    checkArgument(
        alpha > 0 && alpha < 1 && draws * alpha >= 1,
        "need alpha in (0, 1) and draws * alpha >= 1, got %s and %s",
        (Object) alpha,
        (Object) draws);
    long n = 0;
    long m = 0;
    for (int i = 0; i < current.length; i++) {
      n += current[i];
      m += reference[i];
    }
    Noise[] out = new Noise[Measure.values().length];
    if (n == 0 || m == 0) {
      Arrays.fill(out, new Noise(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY));
      return out;
    }
    double[] pooled = new double[current.length];
    for (int i = 0; i < pooled.length; i++) {
      pooled[i] = (double) (current[i] + reference[i]) / (n + m);
    }
    SplittableRandom rnd =
        new SplittableRandom(31L * Arrays.hashCode(current) + Arrays.hashCode(reference));
    double[][] values = new double[out.length][draws];
    long[] a = new long[pooled.length];
    long[] b = new long[pooled.length];
    for (int d = 0; d < draws; d++) {
      multinomial(n, pooled, rnd, a);
      multinomial(m, pooled, rnd, b);
      for (Measure ms : Measure.values()) {
        values[ms.ordinal()][d] = measure(ms, a, b, epsilon);
      }
    }
    int rank = Math.min(draws - 1, (int) Math.ceil((1 - alpha) * draws) - 1);
    for (Measure ms : Measure.values()) {
      double[] v = values[ms.ordinal()];
      double mean = Arrays.stream(v).average().orElse(0);
      Arrays.sort(v);
      out[ms.ordinal()] = new Noise(mean, v[rank]);
    }
    return out;
  }

  /** A multinomial draw of size n by conditional binomials. */
  static void multinomial(long n, double[] p, SplittableRandom rnd, long[] out) {
    long left = n;
    double rest = 1.0;
    for (int i = 0; i < p.length; i++) {
      if (left == 0 || rest <= 0) {
        out[i] = 0;
        continue;
      }
      double q = i == p.length - 1 ? 1.0 : Math.min(1.0, p[i] / rest);
      out[i] = binomial(left, q, rnd);
      left -= out[i];
      rest -= p[i];
    }
  }

  /**
   * Binomial(n, p): exact by waiting times for a small mean, normal approximation for a large one.
   */
  static long binomial(long n, double p, SplittableRandom rnd) {
    if (p <= 0) {
      return 0;
    }
    if (p >= 1) {
      return n;
    }
    if (p > 0.5) {
      return n - binomial(n, 1 - p, rnd);
    }
    double mean = n * p;
    if (mean < 30) {
      // Geometric waiting times between successes; O(mean).
      double logQ = Math.log1p(-p);
      long k = 0;
      long pos = 0;
      while (true) {
        pos += (long) Math.floor(Math.log(1 - rnd.nextDouble()) / logQ) + 1;
        if (pos > n) {
          return k;
        }
        k++;
      }
    }
    long x = Math.round(mean + Math.sqrt(mean * (1 - p)) * gaussian(rnd));
    return Math.max(0, Math.min(n, x));
  }

  private static double gaussian(SplittableRandom rnd) {
    double u = 1 - rnd.nextDouble();
    double v = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Contract §5 bands: below 0.1 none, 0.1 to 0.2 moderate, above 0.2 significant. */
  public static String band(double value) {
    return value < 0.1 ? "none" : value <= 0.2 ? "moderate" : "significant";
  }
}
