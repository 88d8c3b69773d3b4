package io.ctrbeam.label;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/**
 * A small report of one labeling run, made by {@link SummarizeLabels}: the decay rate used (and
 * whether it was estimated), the click-delay quantiles of matched clicks (from a KLL sketch: exact
 * up to 200 delays, then within {@link #quantileRankError()} in rank; count, mean and share past W
 * are exact), the share of matched clicks past W, and counts per outcome ({@code rows_positive},
 * {@code rows_negative}, {@code rows_converted}, {@code corrections}, {@code
 * dead_letter.<type>_<REASON>}).
 */
public final class LabelStats implements Serializable {
  private final double lambdaPerMs;
  private final boolean lambdaEstimated;
  private final long matchedClicks;
  private final double meanDelayMs;
  private final long p50DelayMs;
  private final long p90DelayMs;
  private final long p99DelayMs;
  private final double sharePastWindow;
  private final TreeMap<String, Long> counts;

  LabelStats(
      double lambdaPerMs,
      boolean lambdaEstimated,
      long matchedClicks,
      double meanDelayMs,
      long p50DelayMs,
      long p90DelayMs,
      long p99DelayMs,
      double sharePastWindow,
      Map<String, Long> counts) {
    this.lambdaPerMs = lambdaPerMs;
    this.lambdaEstimated = lambdaEstimated;
    this.matchedClicks = matchedClicks;
    this.meanDelayMs = meanDelayMs;
    this.p50DelayMs = p50DelayMs;
    this.p90DelayMs = p90DelayMs;
    this.p99DelayMs = p99DelayMs;
    this.sharePastWindow = sharePastWindow;
    this.counts = new TreeMap<>(counts);
  }

  /** The decay rate per millisecond used for negative confidences. */
  public double lambdaPerMs() {
    return lambdaPerMs;
  }

  public boolean lambdaEstimated() {
    return lambdaEstimated;
  }

  /**
   * Clicks matched to their impression with a positive delay (first valid ones and those past W).
   */
  public long matchedClicks() {
    return matchedClicks;
  }

  public double meanDelayMs() {
    return meanDelayMs;
  }

  public long p50DelayMs() {
    return p50DelayMs;
  }

  public long p90DelayMs() {
    return p90DelayMs;
  }

  public long p99DelayMs() {
    return p99DelayMs;
  }

  /** Share of matched clicks whose delay is past the attribution window W. */
  public double sharePastWindow() {
    return sharePastWindow;
  }

  /** The count under a name, 0 when absent. */
  public long count(String name) {
    return counts.getOrDefault(name, 0L);
  }

  public Map<String, Long> counts() {
    return Collections.unmodifiableMap(counts);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelStats s && toString().equals(s.toString());
  }

  @Override
  public int hashCode() {
    return Objects.hash(toString());
  }

  @Override
  public String toString() {
    return String.format(
        "LabelStats{lambda=%.6g/h (%s), matchedClicks=%d, meanDelay=%.0fms, p50=%dms, p90=%dms,"
            + " p99=%dms, pastW=%.4f, counts=%s}",
        lambdaPerMs * 3_600_000,
        lambdaEstimated ? "estimated" : "given",
        matchedClicks,
        meanDelayMs,
        p50DelayMs,
        p90DelayMs,
        p99DelayMs,
        sharePastWindow,
        counts);
  }

  /** The stats as a two-column table, one line each, for a report a person reads. */
  public String toTable() {
    StringBuilder s = new StringBuilder();
    row(
        s,
        "decay rate of negative confidence",
        String.format(
            "%.6g per hour (%s)",
            lambdaPerMs * 3_600_000, lambdaEstimated ? "estimated" : "given"));
    row(s, "matched clicks", String.format("%,d", matchedClicks));
    row(
        s,
        "click delay",
        String.format(
            "mean %s, p50 %s, p90 %s, p99 %s (quantiles ±%.1f%% in rank)",
            delay(Math.round(meanDelayMs)),
            delay(p50DelayMs),
            delay(p90DelayMs),
            delay(p99DelayMs),
            100 * quantileRankError()));
    row(s, "matched clicks past W", String.format("%.2f%%", 100 * sharePastWindow));
    counts.forEach((name, n) -> row(s, name, String.format("%,d", n)));
    return s.toString().stripTrailing();
  }

  private static void row(StringBuilder s, String name, String value) {
    s.append(String.format("%-40s %s%n", name, value));
  }

  private static String delay(long ms) {
    long seconds = ms / 1000;
    return seconds < 60
        ? String.format("%.1fs", ms / 1000.0)
        : String.format("%dm%02ds", seconds / 60, seconds % 60);
  }

  /** The sketch's size parameter: quantiles within its rank error, about 1.3% (see README). */
  static final int SKETCH_K = 200;

  /** The normalized rank error of the delay quantiles (KLL, k = {@value #SKETCH_K}). */
  public static double quantileRankError() {
    return KllDoublesSketch.getNormalizedRankError(SKETCH_K, false);
  }

  /**
   * The nearest-rank quantile of the sketched values, -1 when empty: exact while the sketch holds
   * every value (n <= k), else within {@link #quantileRankError()} in rank.
   */
  static long quantile(KllDoublesSketch sketch, double q) {
    return sketch.isEmpty()
        ? -1
        : Math.round(sketch.getQuantile(q, QuantileSearchCriteria.INCLUSIVE));
  }

  /** The exponential MLE 1 / mean delay, or the fallback when nothing was matched. */
  static double estimate(long n, double sumDelayMs, double fallback) {
    return n == 0 || sumDelayMs <= 0 ? fallback : n / sumDelayMs;
  }
}
