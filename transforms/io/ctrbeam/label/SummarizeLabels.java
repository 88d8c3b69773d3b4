package io.ctrbeam.label;

import io.ctrbeam.common.CombineInBundles;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * One {@link LabelStats} report of a labeling run from its outputs: counts of rows, corrections and
 * dead letters, and the matched click delays summarized in bounded memory (exact count, sum and
 * count past W, and a KLL quantile sketch; see {@link LabelStats}).
 *
 * <p>Input: a tuple with {@link #EXAMPLES}, {@link #CORRECTIONS}, {@link #DEAD_LETTERS} and {@link
 * #CLICK_DELAYS}. Bounded input gives exactly one report; unbounded input an accumulating pane a
 * minute of processing time after data arrives, and a final one when input ends.
 */
public final class SummarizeLabels extends PTransform<PCollectionTuple, PCollection<LabelStats>> {
  public static final TupleTag<TrainingExample> EXAMPLES =
      new TupleTag<TrainingExample>("examples") {};
  public static final TupleTag<LabelCorrection> CORRECTIONS =
      new TupleTag<LabelCorrection>("corrections") {};
  public static final TupleTag<DeadLetter> DEAD_LETTERS =
      new TupleTag<DeadLetter>("deadLetters") {};
  public static final TupleTag<Long> CLICK_DELAYS = new TupleTag<Long>("clickDelays") {};

  private final long windowMs;
  private final @Nullable Double decayRateGiven;
  private final double decayRateFallback;

  private SummarizeLabels(long windowMs, @Nullable Double decayRateGiven, double fallback) {
    this.windowMs = windowMs;
    this.decayRateGiven = decayRateGiven;
    this.decayRateFallback = fallback;
  }

  /** Stats of a click join with attribution window W, which used the given decay rate. */
  public static SummarizeLabels withDecayRate(long windowMs, double decayRate) {
    return new SummarizeLabels(windowMs, decayRate, decayRate);
  }

  /**
   * Stats of a click join with attribution window W, whose decay rate was estimated from the
   * matched click delays (or {@code fallback} when none was matched), as the stats estimate it.
   */
  public static SummarizeLabels withEstimatedDecayRate(long windowMs, double fallback) {
    return new SummarizeLabels(windowMs, null, fallback);
  }

  @Override
  public PCollection<LabelStats> expand(PCollectionTuple in) {
    PCollection<StatsPoint> points =
        PCollectionList.of(points(in.get(EXAMPLES), "RowPoints", new RowPointFn()))
            .and(points(in.get(CORRECTIONS), "CorrectionPoints", new CorrectionPointFn()))
            .and(points(in.get(DEAD_LETTERS), "DeadLetterPoints", new DeadLetterPointFn()))
            .and(points(in.get(CLICK_DELAYS), "DelayPoints", new DelayPointFn()))
            .apply("FlattenPoints", Flatten.pCollections());
    StatsFn fn = new StatsFn(windowMs, decayRateGiven, decayRateFallback);
    PCollection<LabelStats> stats;
    if (points.isBounded() == PCollection.IsBounded.BOUNDED) {
      stats = points.apply("Stats", CombineInBundles.globally(fn));
    } else {
      stats =
          points
              .apply(
                  "StatsTrigger",
                  Window.<StatsPoint>into(new GlobalWindows())
                      .triggering(
                          Repeatedly.forever(
                              AfterProcessingTime.pastFirstElementInPane()
                                  .plusDelayOf(Duration.standardMinutes(1))))
                      .accumulatingFiredPanes()
                      .withAllowedLateness(Duration.ZERO))
              .apply("Stats", Combine.globally(fn).withoutDefaults());
    }
    return stats.setCoder(SerializableCoder.of(LabelStats.class));
  }

  private static <T> PCollection<StatsPoint> points(
      PCollection<T> xs, String name, DoFn<T, StatsPoint> fn) {
    return xs.apply(name, ParDo.of(fn)).setCoder(StatsPoint.PointCoder.INSTANCE);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder b) {
    super.populateDisplayData(b);
    b.add(DisplayData.item("attributionWindowMs", windowMs))
        .addIfNotNull(DisplayData.item("decayRate", decayRateGiven));
  }

  /** One input of the stats: a count under a name, or one matched click delay. */
  sealed interface StatsPoint permits StatsPoint.Count, StatsPoint.Delay {
    /** {@code n} more under {@code name} in {@link LabelStats#counts()}. */
    record Count(String name, long n) implements StatsPoint {}

    /** The delay of one matched click. */
    record Delay(long ms) implements StatsPoint {}

    /** A tag byte (0 count, 1 delay), then the fields. */
    final class PointCoder extends CustomCoder<StatsPoint> {
      static final PointCoder INSTANCE = new PointCoder();
      private static final Coder<String> NAME = StringUtf8Coder.of();
      private static final Coder<Long> LONG = VarLongCoder.of();

      @Override
      public void encode(StatsPoint p, OutputStream out) throws IOException {
        if (p instanceof Delay d) {
          out.write(1);
          LONG.encode(d.ms(), out);
        } else {
          Count c = (Count) p;
          out.write(0);
          NAME.encode(c.name(), out);
          LONG.encode(c.n(), out);
        }
      }

      @Override
      public StatsPoint decode(InputStream in) throws IOException {
        int tag = in.read();
        if (tag == 1) {
          return new Delay(LONG.decode(in));
        }
        if (tag == 0) {
          return new Count(NAME.decode(in), LONG.decode(in));
        }
        throw new IOException("bad StatsPoint tag " + tag);
      }
    }
  }

  private static final StatsPoint POSITIVE = new StatsPoint.Count("rows_positive", 1);
  private static final StatsPoint NEGATIVE = new StatsPoint.Count("rows_negative", 1);
  private static final StatsPoint CONVERTED = new StatsPoint.Count("rows_converted", 1);
  private static final StatsPoint CORRECTION = new StatsPoint.Count("corrections", 1);

  private static final class RowPointFn extends DoFn<TrainingExample, StatsPoint> {
    @ProcessElement
    public void process(@Element TrainingExample row, OutputReceiver<StatsPoint> out) {
      out.output(row.getClicked() == 1 ? POSITIVE : NEGATIVE);
      if (row.getConverted() == 1) {
        out.output(CONVERTED);
      }
    }
  }

  private static final class CorrectionPointFn extends DoFn<LabelCorrection, StatsPoint> {
    @ProcessElement
    public void process(OutputReceiver<StatsPoint> out) {
      out.output(CORRECTION);
    }
  }

  private static final class DeadLetterPointFn extends DoFn<DeadLetter, StatsPoint> {
    @ProcessElement
    public void process(@Element DeadLetter dl, OutputReceiver<StatsPoint> out) {
      String name = "dead_letter." + dl.getRecordType() + "_" + dl.getReason();
      out.output(new StatsPoint.Count(name, 1));
    }
  }

  private static final class DelayPointFn extends DoFn<Long, StatsPoint> {
    @ProcessElement
    public void process(@Element Long delayMs, OutputReceiver<StatsPoint> out) {
      out.output(new StatsPoint.Delay(delayMs));
    }
  }

  /**
   * Combines the points. The accumulator has a fixed size: exact count, sum and count past W of the
   * delays, and a KLL sketch (k = {@value LabelStats#SKETCH_K}) for their quantiles, never the
   * delays themselves.
   */
  static final class StatsFn extends Combine.CombineFn<StatsPoint, StatsFn.Acc, LabelStats> {
    private final long windowMs;
    private final @Nullable Double lambdaGiven;
    private final double lambdaDefault;

    StatsFn(long windowMs, @Nullable Double lambdaGiven, double lambdaDefault) {
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
      KllDoublesSketch sketch = KllDoublesSketch.newHeapInstance(LabelStats.SKETCH_K);
    }

    @Override
    public Acc createAccumulator() {
      return new Acc();
    }

    @Override
    public Acc addInput(Acc acc, StatsPoint point) {
      if (point instanceof StatsPoint.Delay delay) {
        long d = delay.ms();
        acc.delays++;
        acc.sumDelayMs += d;
        acc.pastWindow += d > windowMs ? 1 : 0;
        acc.sketch.update(d);
      } else {
        StatsPoint.Count c = (StatsPoint.Count) point;
        acc.counts.merge(c.name(), c.n(), Long::sum);
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
      double lambda =
          lambdaGiven != null ? lambdaGiven : LabelStats.estimate(n, sum, lambdaDefault);
      return new LabelStats(
          lambda,
          lambdaGiven == null,
          n,
          mean,
          LabelStats.quantile(acc.sketch, 0.50),
          LabelStats.quantile(acc.sketch, 0.90),
          LabelStats.quantile(acc.sketch, 0.99),
          n == 0 ? 0.0 : (double) acc.pastWindow / n,
          acc.counts);
    }

    @Override
    public Coder<Acc> getAccumulatorCoder(CoderRegistry registry, Coder<StatsPoint> input) {
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
}
