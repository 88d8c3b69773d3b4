package io.ctrbeam.weights;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.CombineInBundles;
import io.ctrbeam.schema.TrainingExample;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Position-bias weights and negative downsampling (contract §4) in one step; none of its inputs is
 * a feature, so the batch and speed layers run it before the features, on the labeled rows: {@link
 * EstimatePropensities} (a combine and a fit), a {@link SamplingPlan} from the run's positive rate
 * (or a given one), then {@link AttachWeights} with both as side inputs, and a {@link WeightStats}
 * summary. No training row is shuffled.
 *
 * <pre>{@code
 * WeightResult w = examples.apply("Weigh", WeightExamples.create()
 *     .withMaxIpwWeight(20).withTargetPositiveRate(0.10).withSamplingSeed(0));
 * }</pre>
 */
public final class WeightExamples extends PTransform<PCollection<TrainingExample>, WeightResult> {
  private final EstimatePropensities estimate;
  private final Estimator estimator;
  private final @Nullable String propensityFile;
  private final double maxIpwWeight;
  private final double targetPositiveRate;
  private final double observedPositiveRate;
  private final long seed;

  private WeightExamples(
      EstimatePropensities estimate,
      Estimator estimator,
      @Nullable String propensityFile,
      double maxIpwWeight,
      double targetPositiveRate,
      double observedPositiveRate,
      long seed) {
    this.estimate = estimate;
    this.estimator = estimator;
    this.propensityFile = propensityFile;
    this.maxIpwWeight = maxIpwWeight;
    this.targetPositiveRate = targetPositiveRate;
    this.observedPositiveRate = observedPositiveRate;
    this.seed = seed;
  }

  /** EM propensities estimated in the run, IPW clipped at 20, no downsampling, seed 0. */
  public static WeightExamples create() {
    return new WeightExamples(EstimatePropensities.create(), Estimator.EM, null, 20.0, 0.0, -1, 0L);
  }

  /** How propensities are estimated (fit settings, per device, streaming trigger). */
  public WeightExamples withEstimate(EstimatePropensities estimate) {
    checkArgument(estimate != null, "estimate must not be null, got %s", estimate);
    return new WeightExamples(
        estimate,
        estimator,
        propensityFile,
        maxIpwWeight,
        targetPositiveRate,
        observedPositiveRate,
        seed);
  }

  /** Which estimate the weights use (the other is still reported). */
  public WeightExamples withEstimator(Estimator estimator) {
    checkArgument(estimator != null, "estimator must not be null, got %s", estimator);
    return new WeightExamples(
        estimate,
        estimator,
        propensityFile,
        maxIpwWeight,
        targetPositiveRate,
        observedPositiveRate,
        seed);
  }

  /** Weights from a precomputed table ({@link ReadPropensities}) instead of this run's estimate. */
  public WeightExamples withPropensityFile(String file) {
    checkArgument(
        file != null && !file.isEmpty(), "propensity file must not be empty, got %s", file);
    return new WeightExamples(
        estimate, estimator, file, maxIpwWeight, targetPositiveRate, observedPositiveRate, seed);
  }

  /** IPW weights above this are clipped to it; default 20. */
  public WeightExamples withMaxIpwWeight(double max) {
    checkArgument(
        max >= 1 && Double.isFinite(max), "maxIpwWeight must be a finite number >= 1, got %s", max);
    return new WeightExamples(
        estimate, estimator, propensityFile, max, targetPositiveRate, observedPositiveRate, seed);
  }

  /** Downsample negatives to this positive rate r' in (0, 1); 0 turns downsampling off. */
  public WeightExamples withTargetPositiveRate(double rate) {
    checkArgument(rate >= 0 && rate < 1, "targetPositiveRate must be in [0, 1), got %s", rate);
    return new WeightExamples(
        estimate, estimator, propensityFile, maxIpwWeight, rate, observedPositiveRate, seed);
  }

  /**
   * The observed positive rate r, instead of measuring it in the run (a rerun or the speed layer
   * can pin it).
   */
  public WeightExamples withObservedPositiveRate(double rate) {
    checkArgument(rate > 0 && rate < 1, "observedPositiveRate must be in (0, 1), got %s", rate);
    return new WeightExamples(
        estimate, estimator, propensityFile, maxIpwWeight, targetPositiveRate, rate, seed);
  }

  /** The seed of the keep/drop hash of impression_id. */
  public WeightExamples withSamplingSeed(long seed) {
    return new WeightExamples(
        estimate,
        estimator,
        propensityFile,
        maxIpwWeight,
        targetPositiveRate,
        observedPositiveRate,
        seed);
  }

  @Override
  public WeightResult expand(PCollection<TrainingExample> input) {
    PCollection<PropensityTable> estimated = input.apply("EstimatePropensities", estimate);
    Estimator use = estimator;
    double target = targetPositiveRate;
    PCollection<PropensityTable> applied =
        propensityFile == null
            ? estimated
                .apply(
                    "UseEstimator",
                    MapElements.into(TypeDescriptor.of(PropensityTable.class))
                        .via(t -> t.using(use)))
                .setCoder(SerializableCoder.of(PropensityTable.class))
            : input.getPipeline().apply("ReadPropensities", ReadPropensities.from(propensityFile));
    // A given rate needs nothing from this run, so the rows need not wait for the estimate.
    PCollection<SamplingPlan> plan =
        observedPositiveRate >= 0
            ? input
                .getPipeline()
                .apply(
                    "SamplingPlan",
                    Create.of(new SamplingPlan(observedPositiveRate, targetPositiveRate, false))
                        .withCoder(SerializableCoder.of(SamplingPlan.class)))
            : estimated
                .apply(
                    "PlanSampling",
                    MapElements.into(TypeDescriptor.of(SamplingPlan.class))
                        .via(t -> new SamplingPlan(t.positiveRate(), target, true)))
                .setCoder(SerializableCoder.of(SamplingPlan.class));
    PCollectionView<PropensityTable> tableView =
        applied.apply("PropensityView", View.asSingleton());
    PCollectionView<SamplingPlan> planView = plan.apply("PlanView", View.asSingleton());
    PCollectionTuple weighted =
        input.apply(
            "AttachWeights",
            AttachWeights.using(tableView, planView).withMaxIpwWeight(maxIpwWeight).withSeed(seed));
    boolean global = input.getWindowingStrategy().getWindowFn() instanceof GlobalWindows;
    boolean bounded = input.isBounded() == PCollection.IsBounded.BOUNDED;
    PCollection<WeightStats> rows = weighted.get(AttachWeights.STATS);
    if (global && !bounded) {
      // A stream in the global window: a running summary a minute of processing time after data
      // arrives.
      rows =
          rows.apply(
              "AccumulateStats",
              Window.<WeightStats>into(new GlobalWindows())
                  .triggering(
                      Repeatedly.forever(
                          AfterProcessingTime.pastFirstElementInPane()
                              .plusDelayOf(Duration.standardMinutes(1))))
                  .accumulatingFiredPanes()
                  .withAllowedLateness(Duration.ZERO));
    }
    // Bounded: each bundle folded first, so Flink's batch combine sorts a few accumulators, not a
    // stats element per row.
    PCollection<WeightStats> stats =
        global && bounded
            ? rows.apply("SummarizeWeights", CombineInBundles.globally(WeightStats.combineFn()))
            : rows.apply(
                "SummarizeWeights", Combine.globally(WeightStats.combineFn()).withoutDefaults());
    return new WeightResult(weighted.get(AttachWeights.EXAMPLES), estimated, applied, plan, stats);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("estimator", estimator.name()))
        .addIfNotNull(DisplayData.item("propensityFile", propensityFile))
        .add(DisplayData.item("maxIpwWeight", maxIpwWeight))
        .add(DisplayData.item("targetPositiveRate", targetPositiveRate))
        .add(
            DisplayData.item(
                "observedPositiveRate",
                observedPositiveRate < 0 ? "measured" : Double.toString(observedPositiveRate)))
        .add(DisplayData.item("samplingSeed", seed));
  }
}
