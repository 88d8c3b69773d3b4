package io.ctrbeam.label;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import io.ctrbeam.label.SummarizeLabels.StatsPoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.datasketches.kll.KllSketch;
import org.junit.jupiter.api.Test;

/**
 * The streaming stats keep a fixed-size accumulator: its encoded size does not grow with the number
 * of delays, and its quantiles stay within the sketch's rank error of the exact ones (computed here
 * by sorting every delay).
 */
class LabelStatsTest {
  private static final long W = 30 * 60_000L;
  private static final SummarizeLabels.StatsFn FN = new SummarizeLabels.StatsFn(W, null, 1e-6);

  private static Coder<SummarizeLabels.StatsFn.Acc> accCoder() {
    return FN.getAccumulatorCoder(CoderRegistry.createDefault(), StatsPoint.PointCoder.INSTANCE);
  }

  /** Heavy-tailed delays (log-normal around 2 min), as click delays are. */
  private static long[] delays(int n, long seed) {
    Random r = new Random(seed);
    long[] d = new long[n];
    for (int i = 0; i < n; i++) {
      d[i] = 1 + Math.round(120_000 * Math.exp(1.2 * r.nextGaussian()));
    }
    return d;
  }

  /** Four accumulators fed round-robin and merged, as a distributed combine does. */
  private static SummarizeLabels.StatsFn.Acc accumulate(long[] delays) {
    List<SummarizeLabels.StatsFn.Acc> parts = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      StatsPoint positive = new StatsPoint.Count("rows_positive", 1L);
      parts.add(FN.addInput(FN.createAccumulator(), positive));
    }
    for (int i = 0; i < delays.length; i++) {
      FN.addInput(parts.get(i % 4), new StatsPoint.Delay(delays[i]));
    }
    return FN.mergeAccumulators(parts);
  }

  @Test
  void accumulatorSizeStaysFlatFrom10kTo1mDelays() throws Exception {
    int[] sizes = new int[3];
    int[] ns = {10_000, 100_000, 1_000_000};
    for (int i = 0; i < ns.length; i++) {
      SummarizeLabels.StatsFn.Acc acc = accumulate(delays(ns[i], 7));
      byte[] bytes = CoderUtils.encodeToByteArray(accCoder(), acc);
      sizes[i] = bytes.length;
      // The coder round-trips: the decoded accumulator gives the same stats.
      SummarizeLabels.StatsFn.Acc back = CoderUtils.decodeFromByteArray(accCoder(), bytes);
      assertThat(FN.extractOutput(back), equalTo(FN.extractOutput(acc)));
    }
    System.out.printf(
        "LabelStats accumulator bytes for 10k / 100k / 1M delays: %s%n", Arrays.toString(sizes));
    // A list of every delay takes >= 1 byte per delay (8 MB of longs at 1M). The sketch's size is
    // capped for any count the job could ever see (2^50 delays, from the library's own bound),
    // plus the exact totals and counts (< 100 bytes here); 100x more delays add < 50%.
    long cap =
        KllSketch.getMaxSerializedSizeBytes(
            LabelStats.SKETCH_K, 1L << 50, KllSketch.SketchType.DOUBLES_SKETCH, false);
    assertThat(cap, lessThan(10_000L));
    for (int size : sizes) {
      assertThat((long) size, lessThanOrEqualTo(cap + 100));
    }
    assertThat((double) sizes[2], lessThan(1.5 * sizes[0]));
  }

  @Test
  void quantilesWithinTheSketchErrorOfExactOnesAndMeanExact() {
    double eps = LabelStats.quantileRankError();
    assertThat(eps, lessThan(0.02));
    for (int n : new int[] {10_000, 1_000_000}) {
      long[] d = delays(n, 11);
      LabelStats s = FN.extractOutput(accumulate(d));
      long[] sorted = d.clone();
      Arrays.sort(sorted);
      long sum = 0;
      long past = 0;
      for (long x : d) {
        sum += x;
        past += x > W ? 1 : 0;
      }
      assertThat(s.matchedClicks(), equalTo((long) n));
      assertThat(s.meanDelayMs(), closeTo((double) sum / n, 1e-9 * sum / n));
      assertThat(s.sharePastWindow(), equalTo((double) past / n));
      assertThat(s.count("rows_positive"), equalTo(4L));
      assertWithinRank(sorted, 0.50, s.p50DelayMs(), eps);
      assertWithinRank(sorted, 0.90, s.p90DelayMs(), eps);
      assertWithinRank(sorted, 0.99, s.p99DelayMs(), eps);
    }
  }

  @Test
  void quantilesAreExactNearestRankWhileTheSketchHoldsEveryDelay() {
    long[] d = delays(150, 3);
    LabelStats s = FN.extractOutput(accumulate(d));
    long[] sorted = d.clone();
    Arrays.sort(sorted);
    // Nearest rank: the ceil(q·n)-th smallest.
    assertThat(s.p50DelayMs(), equalTo(sorted[75 - 1]));
    assertThat(s.p90DelayMs(), equalTo(sorted[135 - 1]));
    assertThat(s.p99DelayMs(), equalTo(sorted[149 - 1]));
    assertThat(FN.extractOutput(FN.createAccumulator()).p50DelayMs(), equalTo(-1L));
  }

  /** Both kinds of stats input survive their coder, and counts and delays go to their own sums. */
  @Test
  void statsPointsRoundTripAndCountsStayApartFromDelays() throws Exception {
    StatsPoint count = new StatsPoint.Count("dead_letter.click_ORPHAN_CLICK", 3L);
    StatsPoint delay = new StatsPoint.Delay(90_000L);
    CoderProperties.coderDecodeEncodeEqual(StatsPoint.PointCoder.INSTANCE, count);
    CoderProperties.coderDecodeEncodeEqual(StatsPoint.PointCoder.INSTANCE, delay);
    LabelStats s = FN.extractOutput(FN.addInput(FN.addInput(FN.createAccumulator(), count), delay));
    assertThat(s.count("dead_letter.click_ORPHAN_CLICK"), equalTo(3L));
    assertThat(s.counts().size(), equalTo(1));
    assertThat(s.matchedClicks(), equalTo(1L));
    assertThat(s.p50DelayMs(), equalTo(90_000L));
  }

  /** The estimate's rank interval [share below, share at or below] lies within eps of q. */
  private static void assertWithinRank(long[] sorted, double q, long estimate, double eps) {
    int below = lowerBound(sorted, estimate);
    int atOrBelow = lowerBound(sorted, estimate + 1);
    double lo = (double) below / sorted.length;
    double hi = (double) atOrBelow / sorted.length;
    assertThat("q=" + q + " rank low", lo, lessThanOrEqualTo(q + eps));
    assertThat("q=" + q + " rank high", q - eps, lessThanOrEqualTo(hi));
  }

  private static int lowerBound(long[] a, long x) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
