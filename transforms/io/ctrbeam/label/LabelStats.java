package io.ctrbeam.label;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.values.KV;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/**
 * A small report of one labeling run: the decay rate used (and whether it was estimated), the
 * click-delay quantiles of matched clicks (from a KLL sketch: exact up to 200 delays, then within
 * {@link #quantileRankError()} in rank; count, mean and share past W are exact), the share of
 * matched clicks past W, and counts per
 * outcome ({@code rows_positive}, {@code rows_negative}, {@code rows_converted}, {@code
 * corrections}, {@code dead_letter.<type>_<REASON>}).
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

  /** Clicks matched to their impression with a positive delay (first valid ones and those past W). */
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
        lambdaPerMs * 3_600_000, lambdaEstimated ? "estimated" : "given", matchedClicks, meanDelayMs,
        p50DelayMs, p90DelayMs, p99DelayMs, sharePastWindow, counts);
  }

  /** The stats as a two-column table, one line each, for a report a person reads. */
  public String toTable() {
    StringBuilder s = new StringBuilder();
    row(s, "decay rate of negative confidence", String.format("%.6g per hour (%s)", lambdaPerMs * 3_600_000, lambdaEstimated ? "estimated" : "given"));
    row(s, "matched clicks", String.format("%,d", matchedClicks));
    row(s, "click delay", String.format("mean %s, p50 %s, p90 %s, p99 %s (quantiles ±%.1f%% in rank)",
        delay(Math.round(meanDelayMs)), delay(p50DelayMs), delay(p90DelayMs), delay(p99DelayMs),
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
    return seconds < 60 ? String.format("%.1fs", ms / 1000.0) : String.format("%dm%02ds", seconds / 60, seconds % 60);
  }

  /**
   * Combines (name, value) points: {@code delay} points are delays, the rest are counts. The
   * accumulator has a fixed size: exact count, sum and count past W of the delays, and a KLL
   * sketch (k = {@value #SKETCH_K}) for their quantiles, never the delays themselves.
   */
  static final class StatsFn extends Combine.CombineFn<KV<String, Long>, StatsFn.Acc, LabelStats> {
    static final String DELAY = "delay";
    private final long windowMs;
    private final Double lambdaGiven;
    private final double lambdaDefault;

    StatsFn(long windowMs, Double lambdaGiven, double lambdaDefault) {
      this.windowMs = windowMs;
      this.lambdaGiven = lambdaGiven;
      this.lambdaDefault = lambdaDefault;
    }

    /** Counts by name, and the delays as exact n, sum, count past W and a quantile sketch. */
    static final class Acc {
      final TreeMap<String, Long> counts = new TreeMap<>();
      long delays;
      long sumDelayMs;
      long pastWindow;
      KllDoublesSketch sketch = KllDoublesSketch.newHeapInstance(SKETCH_K);
    }

    @Override
    public Acc createAccumulator() {
      return new Acc();
    }

    @Override
    public Acc addInput(Acc acc, KV<String, Long> point) {
      if (DELAY.equals(point.getKey())) {
        long d = point.getValue();
        acc.delays++;
        acc.sumDelayMs += d;
        acc.pastWindow += d > windowMs ? 1 : 0;
        acc.sketch.update(d);
      } else {
        acc.counts.merge(point.getKey(), point.getValue(), Long::sum);
      }
      return acc;
    }

    @Override
    public Acc mergeAccumulators(Iterable<Acc> accs) {
      Acc out = new Acc();
      for (Acc a : accs) {
        a.counts.forEach((k, v) -> out.counts.merge(k, v, Long::sum));
        out.delays += a.delays;
        out.sumDelayMs += a.sumDelayMs;
        out.pastWindow += a.pastWindow;
        out.sketch.merge(a.sketch);
      }
      return out;
    }

    @Override
    public LabelStats extractOutput(Acc acc) {
      long n = acc.delays;
      double sum = acc.sumDelayMs;
      double mean = n == 0 ? Double.NaN : sum / n;
      double lambda = lambdaGiven != null ? lambdaGiven : estimate(n, sum, lambdaDefault);
      return new LabelStats(
          lambda, lambdaGiven == null, n, mean, quantile(acc.sketch, 0.50),
          quantile(acc.sketch, 0.90), quantile(acc.sketch, 0.99),
          n == 0 ? 0.0 : (double) acc.pastWindow / n, acc.counts);
    }

    @Override
    public Coder<Acc> getAccumulatorCoder(CoderRegistry registry, Coder<KV<String, Long>> input) {
      return new AccCoder();
    }
  }

  /** Writes an accumulator: counts, the exact delay totals, then the sketch's bytes. */
  static final class AccCoder extends CustomCoder<StatsFn.Acc> {
    private static final Coder<Map<String, Long>> COUNTS =
        MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    private static final Coder<Long> LONG = VarLongCoder.of();
    private static final Coder<byte[]> BYTES = ByteArrayCoder.of();

    @Override
    public void encode(StatsFn.Acc a, OutputStream os) throws IOException {
      COUNTS.encode(a.counts, os);
      LONG.encode(a.delays, os);
      LONG.encode(a.sumDelayMs, os);
      LONG.encode(a.pastWindow, os);
      BYTES.encode(a.sketch.toByteArray(), os);
    }

    @Override
    public StatsFn.Acc decode(InputStream is) throws IOException {
      StatsFn.Acc a = new StatsFn.Acc();
      a.counts.putAll(COUNTS.decode(is));
      a.delays = LONG.decode(is);
      a.sumDelayMs = LONG.decode(is);
      a.pastWindow = LONG.decode(is);
      a.sketch = KllDoublesSketch.heapify(Memory.wrap(BYTES.decode(is)));
      return a;
    }
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
    return sketch.isEmpty() ? -1 : Math.round(sketch.getQuantile(q, QuantileSearchCriteria.INCLUSIVE));
  }

  /** The exponential MLE 1 / mean delay, or the fallback when nothing was matched. */
  static double estimate(long n, double sumDelayMs, double fallback) {
    return n == 0 || sumDelayMs <= 0 ? fallback : n / sumDelayMs;
  }
}
