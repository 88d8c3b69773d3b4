package io.ctrbeam.label;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import com.google.auto.value.AutoValue;
import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.io.Serializable;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;

/**
 * Labels impressions with delayed clicks and conversions on event time (contract §2).
 *
 * <pre>{@code
 * LabelResult r = LabelInputs.of(impressions, clicks, conversions)
 *     .apply("Label", LabelImpressions.create().withAttributionWindow(Duration.standardHours(1)));
 * r.examples(); r.corrections(); r.deadLetters(); r.stats();
 * }</pre>
 *
 * <p>Two {@link OutcomeJoin}s with the same rules engine: impressions x clicks (window W, wait T,
 * the mode), then clicked examples x conversions (their own window and wait; unclicked rows pass
 * through with converted = 0). Confidences are set by {@link ApplyLabelConfidence} with the given
 * decay rate or, in batch, the one estimated from matched click delays; {@link SummarizeLabels}
 * reports the run.
 */
public final class LabelImpressions extends PTransform<LabelInputs, LabelResult> {
  /** ln(1000) / 24 h: a negative 24 h old has confidence 0.999. */
  public static final double DEFAULT_LAMBDA_PER_MS =
      Math.log(1000) / Duration.standardHours(24).getMillis();

  /** The configuration of a {@link LabelImpressions}: each field is set by its {@code withX}. */
  @AutoValue
  public abstract static class Config implements Serializable {
    public abstract Duration attributionWindow();

    public abstract Duration labelWait();

    public abstract LabelMode mode();

    public abstract Duration elapsedWait();

    public abstract Duration conversionWindow();

    public abstract Duration conversionWait();

    /** False after {@link #withoutConversions()}. */
    public abstract boolean conversions();

    public abstract Duration allowedLateness();

    /** Per millisecond: used as given, or the fallback of the estimate. */
    public abstract double decayRate();

    /** True after {@link #withEstimatedDecayRate()}. */
    public abstract boolean estimatedDecayRate();

    public abstract int buckets();

    public abstract boolean statefulInBatch();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder attributionWindow(Duration w);

      abstract Builder labelWait(Duration t);

      abstract Builder mode(LabelMode m);

      abstract Builder elapsedWait(Duration tau);

      abstract Builder conversionWindow(Duration w);

      abstract Builder conversionWait(Duration t);

      abstract Builder conversions(boolean c);

      abstract Builder allowedLateness(Duration l);

      abstract Builder decayRate(double perMs);

      abstract Builder estimatedDecayRate(boolean e);

      abstract Builder buckets(int b);

      abstract Builder statefulInBatch(boolean s);

      abstract Config build();
    }
  }

  private final Config config;

  private LabelImpressions(Config config) {
    this.config = config;
  }

  /** WAIT mode, W = 30 min, T = 2 h, conversions 7 d / 7 d, lateness 1 d, 64 buckets. */
  public static LabelImpressions create() {
    return new LabelImpressions(
        new AutoValue_LabelImpressions_Config.Builder()
            .attributionWindow(Duration.standardMinutes(30))
            .labelWait(Duration.standardHours(2))
            .mode(LabelMode.WAIT)
            .elapsedWait(Duration.standardHours(1))
            .conversionWindow(Duration.standardDays(7))
            .conversionWait(Duration.standardDays(7))
            .conversions(true)
            .allowedLateness(Duration.standardDays(1))
            .decayRate(DEFAULT_LAMBDA_PER_MS)
            .estimatedDecayRate(false)
            .buckets(64)
            .statefulInBatch(false)
            .build());
  }

  public Config config() {
    return config;
  }

  private LabelImpressions with(Config.Builder changed) {
    return new LabelImpressions(changed.build());
  }

  private static void checkPositive(Duration d, String name) {
    checkArgument(d != null && d.getMillis() > 0, "%s must be positive, got %s", name, d);
  }

  /** W: a click with 0 < delay <= W makes a positive. */
  public LabelImpressions withAttributionWindow(Duration w) {
    checkPositive(w, "attribution window");
    return with(config.toBuilder().attributionWindow(w));
  }

  /** T: a negative is emitted once the watermark passes t + T (T >= W, checked at expansion). */
  public LabelImpressions withLabelWait(Duration t) {
    checkPositive(t, "label wait");
    return with(config.toBuilder().labelWait(t));
  }

  /** The labeling strategy (contract §2.3). */
  public LabelImpressions withMode(LabelMode m) {
    checkArgument(m != null, "mode must be given, got %s", m);
    return with(config.toBuilder().mode(m));
  }

  /** tau, the shorter wait of ELAPSED mode (0 < tau < T). */
  public LabelImpressions withElapsedWait(Duration tau) {
    checkPositive(tau, "elapsed wait");
    return with(config.toBuilder().elapsedWait(tau));
  }

  /** A conversion within this time after the click converts it. */
  public LabelImpressions withConversionWindow(Duration w) {
    checkPositive(w, "conversion window");
    return with(config.toBuilder().conversionWindow(w));
  }

  /** How long a clicked example waits for its conversion (>= the conversion window). */
  public LabelImpressions withConversionWait(Duration t) {
    checkPositive(t, "conversion wait");
    return with(config.toBuilder().conversionWait(t));
  }

  /** Skips conversion labeling: every example has converted = 0, even with conversions given. */
  public LabelImpressions withoutConversions() {
    return with(config.toBuilder().conversions(false));
  }

  /**
   * How long after an outcome's own time + T a late outcome is still matched (and corrected); later
   * it is dead-lettered as LATE_CLICK. Tombstones live W + T + lateness after the impression.
   */
  public LabelImpressions withAllowedLateness(Duration l) {
    checkArgument(l != null && l.getMillis() >= 0, "allowed lateness must be >= 0, got %s", l);
    return with(config.toBuilder().allowedLateness(l));
  }

  /** A fixed decay rate per millisecond for negative confidences. */
  public LabelImpressions withDecayRate(double lambdaPerMs) {
    checkArgument(
        lambdaPerMs > 0 && Double.isFinite(lambdaPerMs),
        "decay rate must be positive, got %s",
        lambdaPerMs);
    return with(config.toBuilder().decayRate(lambdaPerMs).estimatedDecayRate(false));
  }

  /**
   * Estimates the decay rate as 1 / mean matched click delay (bounded input only); the decay rate
   * set before is the fallback when no click is matched.
   */
  public LabelImpressions withEstimatedDecayRate() {
    return with(config.toBuilder().estimatedDecayRate(true));
  }

  /** The number of hash buckets (keys) of the join. */
  public LabelImpressions withBuckets(int b) {
    checkArgument(b > 0, "buckets must be positive, got %s", b);
    return with(config.toBuilder().buckets(b));
  }

  /** Uses the stateful streaming path on bounded input too (parity and runner tests). */
  public LabelImpressions withStatefulInBatch(boolean s) {
    return with(config.toBuilder().statefulInBatch(s));
  }

  /** The rules of the click join. */
  public LabelRules clickRules() {
    return new LabelRules(
        OutcomeKind.CLICK,
        config.mode(),
        config.attributionWindow().getMillis(),
        config.labelWait().getMillis(),
        config.elapsedWait().getMillis(),
        config.allowedLateness().getMillis());
  }

  /**
   * The rules of the conversion join, WAIT in every mode: the click mode decides when rows go out,
   * and a clicked row has one conversion label (one positive row per clicked impression).
   */
  public LabelRules conversionRules() {
    return new LabelRules(
        OutcomeKind.CONVERSION,
        LabelMode.WAIT,
        config.conversionWindow().getMillis(),
        config.conversionWait().getMillis(),
        config.elapsedWait().getMillis(),
        config.allowedLateness().getMillis());
  }

  @Override
  public LabelResult expand(LabelInputs in) {
    LabelRules clickRules = clickRules();
    boolean bounded =
        in.impressions().isBounded() == PCollection.IsBounded.BOUNDED
            && in.clicks().isBounded() == PCollection.IsBounded.BOUNDED;
    checkArgument(
        !config.estimatedDecayRate() || bounded,
        "withEstimatedDecayRate() needs bounded input, got %s input",
        bounded ? "bounded" : "unbounded");

    PCollection<TrainingExample> primaries =
        in.impressions()
            .apply("ImpressionsToRows", ParDo.of(new LabelRows.ToRowFn(config.mode())))
            .setCoder(TrainingRows.CODER);
    PCollection<Outcome> clicks =
        in.clicks()
            .apply("ClicksToOutcomes", ParDo.of(new LabelRows.ClickOutcomeFn()))
            .setCoder(Outcome.OutcomeCoder.of());
    PCollectionTuple clicked =
        PCollectionTuple.of(OutcomeJoin.PRIMARIES, primaries)
            .and(OutcomeJoin.OUTCOMES, clicks)
            .apply(
                "LabelClicks",
                OutcomeJoin.of(clickRules, config.buckets())
                    .withStatefulInBatch(config.statefulInBatch()));

    PCollection<Long> delays = clicked.get(OutcomeJoin.DELAYS);
    // Before the conversion split: it changes no click field, and one fewer step moves every row.
    PCollection<TrainingExample> rows =
        clicked
            .get(OutcomeJoin.ROWS)
            .apply(
                "ApplyConfidence",
                config.estimatedDecayRate()
                    ? ApplyLabelConfidence.estimatedFrom(delays, config.decayRate())
                    : ApplyLabelConfidence.withDecayRate(config.decayRate()));
    PCollectionList<DeadLetter> dls = PCollectionList.of(clicked.get(OutcomeJoin.DEAD_LETTERS));
    PCollectionList<LabelCorrection> corrs =
        PCollectionList.of(clicked.get(OutcomeJoin.CORRECTIONS));
    if (config.conversions() && in.conversions() != null) {
      PCollection<Outcome> convs =
          in.conversions()
              .apply("ConversionsToOutcomes", ParDo.of(new LabelRows.ConversionOutcomeFn()))
              .setCoder(Outcome.OutcomeCoder.of());
      PCollectionTuple converted;
      if (bounded && !config.statefulInBatch()) {
        // Batch: both labels on one row, so clicked rows wait for their conversion.
        TupleTag<TrainingExample> unclicked = new TupleTag<TrainingExample>("unclickedRows") {};
        converted = labelConversionsOnRows(rows, convs, unclicked);
        rows =
            PCollectionList.of(converted.get(unclicked))
                .and(converted.get(OutcomeJoin.ROWS))
                .apply("FlattenConverted", Flatten.pCollections());
      } else {
        // Streaming: rows go out with their click label; conversions follow as updates.
        converted = conversionUpdates(rows, clicked.get(OutcomeJoin.CORRECTIONS), convs);
      }
      dls = dls.and(converted.get(OutcomeJoin.DEAD_LETTERS));
      corrs = corrs.and(converted.get(OutcomeJoin.CORRECTIONS));
    }
    PCollection<DeadLetter> deadLetters = dls.apply("FlattenDeadLetters", Flatten.pCollections());
    PCollection<LabelCorrection> corrections =
        corrs.apply("FlattenCorrections", Flatten.pCollections());

    PCollection<LabelStats> stats =
        PCollectionTuple.of(SummarizeLabels.EXAMPLES, rows)
            .and(SummarizeLabels.CORRECTIONS, corrections)
            .and(SummarizeLabels.DEAD_LETTERS, deadLetters)
            .and(SummarizeLabels.CLICK_DELAYS, delays)
            .apply(
                "SummarizeLabels",
                config.estimatedDecayRate()
                    ? SummarizeLabels.withEstimatedDecayRate(
                        clickRules.windowMs(), config.decayRate())
                    : SummarizeLabels.withDecayRate(clickRules.windowMs(), config.decayRate()));
    return new LabelResult(rows, corrections, deadLetters, stats);
  }

  /**
   * The conversion join of the clicked rows; the unclicked rows, which pass through unchanged, are
   * added to its output under {@code passing}.
   */
  private PCollectionTuple labelConversionsOnRows(
      PCollection<TrainingExample> rows,
      PCollection<Outcome> convs,
      TupleTag<TrainingExample> passing) {
    TupleTag<TrainingExample> eligible = new TupleTag<TrainingExample>("clickedRows") {};
    PCollectionTuple split =
        rows.apply(
            "SplitClicked",
            ParDo.of(new SplitFn(eligible, passing))
                .withOutputTags(eligible, TupleTagList.of(passing)));
    return PCollectionTuple.of(
            OutcomeJoin.PRIMARIES, split.get(eligible).setCoder(TrainingRows.CODER))
        .and(OutcomeJoin.OUTCOMES, convs)
        .apply("LabelConversions", OutcomeJoin.of(conversionRules(), config.buckets()))
        .and(passing, split.get(passing).setCoder(TrainingRows.CODER));
  }

  /**
   * The conversion join as updates on the corrections output. It holds the clicked rows, and the
   * impressions that a late click made clicked (a correction, no row).
   */
  private PCollectionTuple conversionUpdates(
      PCollection<TrainingExample> rows,
      PCollection<LabelCorrection> clickCorrections,
      PCollection<Outcome> convs) {
    PCollection<TrainingExample> clickedKeys =
        PCollectionList.of(
                rows.apply("ClickedKeys", ParDo.of(new LabelRows.ClickedKeyFn()))
                    .setCoder(TrainingRows.CODER))
            .and(
                clickCorrections
                    .apply("LateClickKeys", ParDo.of(new LabelRows.LateClickKeyFn()))
                    .setCoder(TrainingRows.CODER))
            .apply("FlattenClickedKeys", Flatten.pCollections());
    return PCollectionTuple.of(OutcomeJoin.PRIMARIES, clickedKeys)
        .and(OutcomeJoin.OUTCOMES, convs)
        .apply(
            "ConversionUpdates",
            OutcomeJoin.of(conversionRules().asUpdates(), config.buckets())
                .withStatefulInBatch(true));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder b) {
    super.populateDisplayData(b);
    b.add(DisplayData.item("attributionWindow", config.attributionWindow()))
        .add(DisplayData.item("labelWait", config.labelWait()))
        .add(DisplayData.item("mode", config.mode().name()))
        .add(DisplayData.item("elapsedWait", config.elapsedWait()))
        .add(DisplayData.item("conversions", config.conversions()))
        .add(DisplayData.item("conversionWindow", config.conversionWindow()))
        .add(DisplayData.item("conversionWait", config.conversionWait()))
        .add(DisplayData.item("allowedLateness", config.allowedLateness()))
        .add(DisplayData.item("lambdaPerMs", config.decayRate()))
        .add(DisplayData.item("estimateLambda", config.estimatedDecayRate()))
        .add(DisplayData.item("buckets", config.buckets()))
        .add(DisplayData.item("statefulInBatch", config.statefulInBatch()));
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
}
