package io.ctrbeam.label;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.CombineInBundles;
import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;

/**
 * Labels impressions with delayed clicks and conversions on event time (SPEC 2).
 *
 * <pre>{@code
 * LabelResult r = LabelInputs.of(impressions, clicks, conversions)
 *     .apply("Label", LabelImpressions.create().withAttributionWindow(Duration.standardMinutes(30)));
 * r.examples(); r.corrections(); r.deadLetters(); r.stats();
 * }</pre>
 *
 * <p>Two {@link OutcomeJoin}s with the same rules engine: impressions x clicks (window W, wait T,
 * the mode), then clicked examples x conversions (their own window and wait; unclicked rows pass
 * through with converted = 0). Confidences are applied in a separate step with the given decay
 * rate or, in batch, the one estimated from matched click delays (a side input).
 */
public final class LabelImpressions extends PTransform<LabelInputs, LabelResult> {
  /** ln(1000) / 24 h: a negative 24 h old has confidence 0.999. */
  public static final double DEFAULT_LAMBDA_PER_MS = Math.log(1000) / Duration.standardHours(24).getMillis();

  private Duration window = Duration.standardMinutes(30);
  private Duration wait = Duration.standardHours(2);
  private LabelMode mode = LabelMode.WAIT;
  private Duration tau = Duration.standardHours(1);
  private Duration conversionWindow = Duration.standardDays(7);
  private Duration conversionWait = Duration.standardDays(7);
  private boolean conversions = true;
  private Duration lateness = Duration.standardDays(1);
  private double lambdaPerMs = DEFAULT_LAMBDA_PER_MS;
  private boolean estimateLambda = false;
  private int buckets = 64;
  private boolean statefulInBatch = false;

  private LabelImpressions() {}

  /** WAIT mode, W = 30 min, T = 2 h, conversions 7 d / 7 d, lateness 1 d, 64 buckets. */
  public static LabelImpressions create() {
    return new LabelImpressions();
  }

  private LabelImpressions copy() {
    LabelImpressions c = new LabelImpressions();
    c.window = window;
    c.wait = wait;
    c.mode = mode;
    c.tau = tau;
    c.conversionWindow = conversionWindow;
    c.conversionWait = conversionWait;
    c.conversions = conversions;
    c.lateness = lateness;
    c.lambdaPerMs = lambdaPerMs;
    c.estimateLambda = estimateLambda;
    c.buckets = buckets;
    c.statefulInBatch = statefulInBatch;
    return c;
  }

  /** W: a click with 0 < delay <= W makes a positive. */
  public LabelImpressions withAttributionWindow(Duration w) {
    checkArgument(w != null && w.getMillis() > 0, "attribution window must be positive");
    LabelImpressions c = copy();
    c.window = w;
    return c;
  }

  /** T: a negative is emitted once the watermark passes t + T (T >= W, checked at expansion). */
  public LabelImpressions withLabelWait(Duration t) {
    checkArgument(t != null && t.getMillis() > 0, "label wait must be positive");
    LabelImpressions c = copy();
    c.wait = t;
    return c;
  }

  /** The labeling strategy (SPEC 2.3). */
  public LabelImpressions withMode(LabelMode m) {
    checkArgument(m != null, "mode");
    LabelImpressions c = copy();
    c.mode = m;
    return c;
  }

  /** tau, the shorter wait of ELAPSED mode (0 < tau < T). */
  public LabelImpressions withElapsedWait(Duration t) {
    checkArgument(t != null && t.getMillis() > 0, "elapsed wait must be positive");
    LabelImpressions c = copy();
    c.tau = t;
    return c;
  }

  /** A conversion within this time after the click converts it. */
  public LabelImpressions withConversionWindow(Duration w) {
    checkArgument(w != null && w.getMillis() > 0, "conversion window must be positive");
    LabelImpressions c = copy();
    c.conversionWindow = w;
    return c;
  }

  /** How long a clicked example waits for its conversion (>= the conversion window). */
  public LabelImpressions withConversionWait(Duration t) {
    checkArgument(t != null && t.getMillis() > 0, "conversion wait must be positive");
    LabelImpressions c = copy();
    c.conversionWait = t;
    return c;
  }

  /** Skips conversion labeling: every example has converted = 0, even with conversions given. */
  public LabelImpressions withoutConversions() {
    LabelImpressions c = copy();
    c.conversions = false;
    return c;
  }

  /**
   * How long after an outcome's own time + T a late outcome is still matched (and corrected); later
   * it is dead-lettered as LATE_CLICK. Tombstones live W + T + lateness after the impression.
   */
  public LabelImpressions withAllowedLateness(Duration l) {
    checkArgument(l != null && l.getMillis() >= 0, "allowed lateness must be >= 0");
    LabelImpressions c = copy();
    c.lateness = l;
    return c;
  }

  /** A fixed decay rate per millisecond for negative confidences. */
  public LabelImpressions withDecayRate(double lambdaPerMs) {
    checkArgument(lambdaPerMs > 0 && Double.isFinite(lambdaPerMs), "lambda must be positive");
    LabelImpressions c = copy();
    c.lambdaPerMs = lambdaPerMs;
    c.estimateLambda = false;
    return c;
  }

  /** Estimates the decay rate as 1 / mean matched click delay (bounded input only). */
  public LabelImpressions withEstimatedDecayRate() {
    LabelImpressions c = copy();
    c.estimateLambda = true;
    return c;
  }

  /** The number of hash buckets (keys) of the join. */
  public LabelImpressions withBuckets(int b) {
    checkArgument(b > 0, "buckets must be positive, got %s", b);
    LabelImpressions c = copy();
    c.buckets = b;
    return c;
  }

  /** Uses the stateful streaming path on bounded input too (parity and runner tests). */
  public LabelImpressions withStatefulInBatch(boolean s) {
    LabelImpressions c = copy();
    c.statefulInBatch = s;
    return c;
  }

  /** The rules of the click join. */
  public LabelRules clickRules() {
    return new LabelRules(
        OutcomeKind.CLICK, mode, window.getMillis(), wait.getMillis(), tau.getMillis(),
        lateness.getMillis());
  }

  /**
   * The rules of the conversion join, WAIT in every mode: the click mode decides when rows go out,
   * and a clicked row has one conversion label (one positive row per clicked impression).
   */
  public LabelRules conversionRules() {
    return new LabelRules(
        OutcomeKind.CONVERSION, LabelMode.WAIT, conversionWindow.getMillis(),
        conversionWait.getMillis(), tau.getMillis(), lateness.getMillis());
  }

  @Override
  public LabelResult expand(LabelInputs in) {
    LabelRules clickRules = clickRules();
    boolean bounded =
        in.impressions().isBounded() == PCollection.IsBounded.BOUNDED
            && in.clicks().isBounded() == PCollection.IsBounded.BOUNDED;
    checkArgument(!estimateLambda || bounded, "withEstimatedDecayRate() needs bounded input");

    PCollection<TrainingExample> primaries =
        in.impressions()
            .apply("ImpressionsToRows", ParDo.of(new ToRowFn(mode)))
            .setCoder(TrainingRows.CODER);
    PCollection<Outcome> clicks =
        in.clicks().apply("ClicksToOutcomes", ParDo.of(new ClickOutcomeFn())).setCoder(Outcome.OutcomeCoder.of());
    PCollectionTuple clicked =
        PCollectionTuple.of(OutcomeJoin.PRIMARIES, primaries)
            .and(OutcomeJoin.OUTCOMES, clicks)
            .apply("LabelClicks", OutcomeJoin.of(clickRules, buckets).withStatefulInBatch(statefulInBatch));

    PCollection<Long> delays = clicked.get(OutcomeJoin.DELAYS);
    ParDo.SingleOutput<TrainingExample, TrainingExample> confidence;
    if (estimateLambda) {
      PCollectionView<Double> lambdaView =
          delays
              .apply("EstimateLambda", Combine.globally(new EstimateDecayRateFn(lambdaPerMs)))
              .apply("LambdaView", View.asSingleton());
      confidence =
          ParDo.of(new EstimatedConfidenceFn())
              .withSideInput(EstimatedConfidenceFn.LAMBDA, lambdaView);
    } else {
      confidence = ParDo.of(new ConfidenceFn(lambdaPerMs));
    }
    // Before the conversion split: it changes no click field, and one fewer step moves every row.
    PCollection<TrainingExample> rows =
        clicked.get(OutcomeJoin.ROWS).apply("ApplyConfidence", confidence).setCoder(TrainingRows.CODER);
    PCollectionList<DeadLetter> dls = PCollectionList.of(clicked.get(OutcomeJoin.DEAD_LETTERS));
    PCollectionList<LabelCorrection> corrs = PCollectionList.of(clicked.get(OutcomeJoin.CORRECTIONS));
    if (conversions && in.conversions() != null) {
      PCollection<Outcome> convs =
          in.conversions()
              .apply("ConversionsToOutcomes", ParDo.of(new ConversionOutcomeFn()))
              .setCoder(Outcome.OutcomeCoder.of());
      PCollectionTuple converted;
      if (bounded && !statefulInBatch) {
        // Batch: both labels on one row, so clicked rows wait for their conversion.
        TupleTag<TrainingExample> eligible = new TupleTag<TrainingExample>("clickedRows") {};
        TupleTag<TrainingExample> passing = new TupleTag<TrainingExample>("unclickedRows") {};
        PCollectionTuple split =
            rows.apply(
                "SplitClicked",
                ParDo.of(new SplitFn(eligible, passing))
                    .withOutputTags(eligible, TupleTagList.of(passing)));
        converted =
            PCollectionTuple.of(OutcomeJoin.PRIMARIES, split.get(eligible).setCoder(TrainingRows.CODER))
                .and(OutcomeJoin.OUTCOMES, convs)
                .apply("LabelConversions", OutcomeJoin.of(conversionRules(), buckets));
        rows =
            PCollectionList.of(split.get(passing).setCoder(TrainingRows.CODER))
                .and(converted.get(OutcomeJoin.ROWS))
                .apply("FlattenConverted", Flatten.pCollections());
      } else {
        // Streaming: rows go out with their click label; conversions follow as updates.
        // Clicked rows, and impressions that a late click made clicked (a correction, no row).
        PCollection<TrainingExample> clickedKeys =
            PCollectionList.of(
                    rows.apply("ClickedKeys", ParDo.of(new ClickedKeyFn())).setCoder(TrainingRows.CODER))
                .and(
                    clicked
                        .get(OutcomeJoin.CORRECTIONS)
                        .apply("LateClickKeys", ParDo.of(new LateClickKeyFn()))
                        .setCoder(TrainingRows.CODER))
                .apply("FlattenClickedKeys", Flatten.pCollections());
        converted =
            PCollectionTuple.of(OutcomeJoin.PRIMARIES, clickedKeys)
                .and(OutcomeJoin.OUTCOMES, convs)
                .apply(
                    "ConversionUpdates",
                    OutcomeJoin.of(conversionRules().asUpdates(), buckets).withStatefulInBatch(true));
      }
      dls = dls.and(converted.get(OutcomeJoin.DEAD_LETTERS));
      corrs = corrs.and(converted.get(OutcomeJoin.CORRECTIONS));
    }
    PCollection<DeadLetter> deadLetters = dls.apply("FlattenDeadLetters", Flatten.pCollections());
    PCollection<LabelCorrection> corrections = corrs.apply("FlattenCorrections", Flatten.pCollections());
    PCollection<TrainingExample> examples = rows;

    PCollection<LabelStats> stats = stats(examples, corrections, deadLetters, delays, bounded, clickRules);
    return new LabelResult(examples, corrections, deadLetters, stats);
  }

  private PCollection<LabelStats> stats(
      PCollection<TrainingExample> examples,
      PCollection<LabelCorrection> corrections,
      PCollection<DeadLetter> deadLetters,
      PCollection<Long> delays,
      boolean bounded,
      LabelRules rules) {
    KvCoder<String, Long> kv = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    PCollection<KV<String, Long>> points =
        PCollectionList.of(examples.apply("RowPoints", ParDo.of(new RowPointFn())).setCoder(kv))
            .and(corrections.apply("CorrectionPoints", ParDo.of(new NamedPointFn<>("corrections"))).setCoder(kv))
            .and(deadLetters.apply("DeadLetterPoints", ParDo.of(new DeadLetterPointFn())).setCoder(kv))
            .and(delays.apply("DelayPoints", ParDo.of(new NamedPointFn<>(LabelStats.StatsFn.DELAY))).setCoder(kv))
            .apply("FlattenPoints", Flatten.pCollections());
    LabelStats.StatsFn fn =
        new LabelStats.StatsFn(rules.windowMs(), estimateLambda ? null : lambdaPerMs, lambdaPerMs);
    PCollection<LabelStats> stats;
    if (bounded) {
      stats = points.apply("Stats", CombineInBundles.globally(fn));
    } else {
      stats =
          points
              .apply(
                  "StatsTrigger",
                  Window.<KV<String, Long>>into(new GlobalWindows())
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

  @Override
  public void populateDisplayData(DisplayData.Builder b) {
    super.populateDisplayData(b);
    b.add(DisplayData.item("attributionWindow", window))
        .add(DisplayData.item("labelWait", wait))
        .add(DisplayData.item("mode", mode.name()))
        .add(DisplayData.item("elapsedWait", tau))
        .add(DisplayData.item("conversions", conversions))
        .add(DisplayData.item("conversionWindow", conversionWindow))
        .add(DisplayData.item("conversionWait", conversionWait))
        .add(DisplayData.item("allowedLateness", lateness))
        .add(DisplayData.item("lambdaPerMs", lambdaPerMs))
        .add(DisplayData.item("estimateLambda", estimateLambda))
        .add(DisplayData.item("buckets", buckets))
        .add(DisplayData.item("statefulInBatch", statefulInBatch));
  }

  /** The unlabeled row of an impression: all its fields, context columns, label_kind. */
  public static TrainingExample toRow(Impression imp, LabelMode mode) {
    ZonedDateTime t = imp.getEventTime().atZone(ZoneOffset.UTC);
    return TrainingExample.newBuilder()
        .setImpressionId(imp.getImpressionId())
        .setEventTime(imp.getEventTime())
        .setUserId(imp.getUserId())
        .setAdId(imp.getAdId())
        .setPosition(imp.getPosition())
        .setAdvertiserId(imp.getAdvertiserId())
        .setAdCategory(imp.getAdCategory())
        .setDevice(imp.getDevice())
        .setCountry(imp.getCountry())
        .setRequestId(imp.getRequestId())
        .setClicked(0)
        .setConverted(0)
        .setLabelTime(imp.getEventTime())
        .setElapsedMs(0L)
        .setLabelConfidence(0.0)
        .setLabelKind(mode.name())
        .setHourOfDay(t.getHour())
        .setDayOfWeek(t.getDayOfWeek().getValue())
        .build();
  }

  /** 1 - e^(-lambda * elapsed) for a negative, 1.0 for a positive. */
  public static double confidence(int clicked, long elapsedMs, double lambdaPerMs) {
    return clicked == 1 ? 1.0 : 1.0 - Math.exp(-lambdaPerMs * elapsedMs);
  }

  private static final class ToRowFn extends DoFn<Impression, TrainingExample> {
    private final LabelMode mode;

    ToRowFn(LabelMode mode) {
      this.mode = mode;
    }

    @ProcessElement
    public void process(@Element Impression imp, OutputReceiver<TrainingExample> out) {
      out.output(toRow(imp, mode));
    }
  }

  private static final class ClickOutcomeFn extends DoFn<Click, Outcome> {
    @ProcessElement
    public void process(@Element Click c, OutputReceiver<Outcome> out) {
      out.output(Outcome.of(c));
    }
  }

  private static final class ConversionOutcomeFn extends DoFn<Conversion, Outcome> {
    @ProcessElement
    public void process(@Element Conversion c, OutputReceiver<Outcome> out) {
      out.output(Outcome.of(c));
    }
  }

  private static final class SplitFn extends DoFn<TrainingExample, TrainingExample> {
    private final TupleTag<TrainingExample> eligible;
    private final TupleTag<TrainingExample> passing;

    SplitFn(TupleTag<TrainingExample> eligible, TupleTag<TrainingExample> passing) {
      this.eligible = eligible;
      this.passing = passing;
    }

    @ProcessElement
    public void process(@Element TrainingExample row, MultiOutputReceiver out) {
      out.get(OutcomeKind.CONVERSION.eligible(row) ? eligible : passing).output(row);
    }
  }

  /**
   * What the conversion join of the speed layer holds for a clicked row: its id and times only,
   * since the row itself has gone out.
   */
  private static final class ClickedKeyFn extends DoFn<TrainingExample, TrainingExample> {
    @ProcessElement
    public void process(@Element TrainingExample row, OutputReceiver<TrainingExample> out) {
      if (OutcomeKind.CONVERSION.eligible(row)) {
        out.output(clickedKey(row.getImpressionId(), row.getEventTime(), row.getClickTime(), row.getLabelKind()));
      }
    }
  }

  /** The clicked key of an impression that a late click turned positive (clicked 0 -> 1). */
  private static final class LateClickKeyFn extends DoFn<LabelCorrection, TrainingExample> {
    @ProcessElement
    public void process(@Element LabelCorrection c, OutputReceiver<TrainingExample> out) {
      if (c.getOldLabel() == 0 && OutcomeKind.CLICK.labelName().equals(c.getLabel())) {
        out.output(clickedKey(c.getImpressionId(), c.getImpressionTime(), c.getCorrectionTime(), c.getLabelKind()));
      }
    }
  }

  private static TrainingExample clickedKey(
      String id, java.time.Instant impressionTime, java.time.Instant clickTime, String kind) {
    return TrainingExample.newBuilder()
        .setImpressionId(id)
        .setEventTime(impressionTime)
        .setUserId("")
        .setAdId("")
        .setPosition(0)
        .setClicked(1)
        .setConverted(0)
        .setClickTime(clickTime)
        .setLabelTime(clickTime)
        .setElapsedMs(0L)
        .setLabelConfidence(0.0)
        .setLabelKind(kind)
        .setHourOfDay(0)
        .setDayOfWeek(0)
        .build();
  }

  private static final class EstimateDecayRateFn extends Combine.CombineFn<Long, long[], Double> {
    private final double fallback;

    EstimateDecayRateFn(double fallback) {
      this.fallback = fallback;
    }

    @Override
    public long[] createAccumulator() {
      return new long[2];
    }

    @Override
    public long[] addInput(long[] acc, Long delay) {
      acc[0]++;
      acc[1] += delay;
      return acc;
    }

    @Override
    public long[] mergeAccumulators(Iterable<long[]> accs) {
      long[] m = new long[2];
      for (long[] a : accs) {
        m[0] += a[0];
        m[1] += a[1];
      }
      return m;
    }

    @Override
    public Double extractOutput(long[] acc) {
      return LabelStats.estimate(acc[0], acc[1], fallback);
    }
  }

  private static TrainingExample withConfidence(TrainingExample row, double lambdaPerMs) {
    double c = confidence(row.getClicked(), row.getElapsedMs(), lambdaPerMs);
    TrainingExample out = TrainingRows.copy(row);
    out.setLabelConfidence(c);
    return out;
  }

  private static final class ConfidenceFn extends DoFn<TrainingExample, TrainingExample> {
    private final double lambda;

    ConfidenceFn(double lambda) {
      this.lambda = lambda;
    }

    @ProcessElement
    public void process(@Element TrainingExample row, OutputReceiver<TrainingExample> out) {
      out.output(withConfidence(row, lambda));
    }
  }

  /** Confidence with the decay rate estimated from the data, read from a side input. */
  private static final class EstimatedConfidenceFn extends DoFn<TrainingExample, TrainingExample> {
    static final String LAMBDA = "lambda";

    @ProcessElement
    public void process(
        @Element TrainingExample row,
        @SideInput(LAMBDA) Double lambda,
        OutputReceiver<TrainingExample> out) {
      out.output(withConfidence(row, lambda));
    }
  }

  private static final class RowPointFn extends DoFn<TrainingExample, KV<String, Long>> {
    @ProcessElement
    public void process(@Element TrainingExample row, OutputReceiver<KV<String, Long>> out) {
      out.output(KV.of(row.getClicked() == 1 ? "rows_positive" : "rows_negative", 1L));
      if (row.getConverted() == 1) {
        out.output(KV.of("rows_converted", 1L));
      }
    }
  }

  private static final class DeadLetterPointFn extends DoFn<DeadLetter, KV<String, Long>> {
    @ProcessElement
    public void process(@Element DeadLetter dl, OutputReceiver<KV<String, Long>> out) {
      out.output(KV.of("dead_letter." + dl.getRecordType() + "_" + dl.getReason(), 1L));
    }
  }

  private static final class NamedPointFn<T> extends DoFn<T, KV<String, Long>> {
    private final String name;

    NamedPointFn(String name) {
      this.name = name;
    }

    @ProcessElement
    public void process(@Element T x, OutputReceiver<KV<String, Long>> out) {
      out.output(KV.of(name, x instanceof Long l ? l : 1L));
    }
  }
}
