package io.ctrbeam.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.Durations;
import io.ctrbeam.common.Runners;
import io.ctrbeam.features.AddPointInTimeFeatures;
import io.ctrbeam.features.FeatureSnapshots;
import io.ctrbeam.label.LabelImpressions;
import io.ctrbeam.label.LabelMode;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.weights.EstimatePropensities;
import io.ctrbeam.weights.PropensityFit;
import io.ctrbeam.weights.WeightExamples;
import java.util.Arrays;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The labeling and feature transforms as {@link CtrOptions} configure them, the same for both
 * layers.
 */
public final class CtrTransforms {
  private CtrTransforms() {}

  /**
   * The labeling transform the options describe; two-field rules fail here with a clear message.
   */
  public static LabelImpressions labeling(CtrOptions o) {
    Duration w = Durations.parse(o.getAttributionWindow());
    Duration t = labelWait(o);
    checkArgument(
        !t.isShorterThan(w),
        "--labelWait (%s) must be at least --attributionWindow (%s)",
        o.getLabelWait(),
        o.getAttributionWindow());
    LabelImpressions l =
        LabelImpressions.create()
            .withAttributionWindow(w)
            .withLabelWait(t)
            .withMode(o.getLabelMode())
            .withConversionWindow(conversionWindow(o))
            .withConversionWait(conversionWindow(o))
            .withAllowedLateness(Durations.parse(o.getAllowedLateness()))
            .withBuckets(o.getBuckets());
    if (o.getLabelMode() == LabelMode.ELAPSED) {
      Duration tau = Durations.parse(o.getElapsedWait());
      checkArgument(
          tau.isShorterThan(t),
          "--elapsedWait (%s) must be shorter than --labelWait (%s)",
          o.getElapsedWait(),
          o.getLabelWait());
      l = l.withElapsedWait(tau);
    }
    checkArgument(
        o.getDecayRatePerHour() >= 0,
        "--decayRatePerHour must be >= 0, got %s",
        o.getDecayRatePerHour());
    return o.getDecayRatePerHour() == 0
        ? l.withEstimatedDecayRate()
        : l.withDecayRate(o.getDecayRatePerHour() / 3_600_000.0);
  }

  /** Weights and downsampling as {@link WeightOptions} configure them. */
  public static WeightExamples weighting(WeightOptions o) {
    checkArgument(
        o.getObservedPositiveRate() >= 0 && o.getObservedPositiveRate() < 1,
        "--observedPositiveRate must be in [0, 1) (0 = measure), got %s",
        o.getObservedPositiveRate());
    WeightExamples w =
        WeightExamples.create()
            .withEstimate(
                EstimatePropensities.create()
                    .withFit(
                        PropensityFit.create().withMinImpressions(o.getPropensityMinImpressions()))
                    .perDevice(o.getPropensityByDevice()))
            .withEstimator(o.getPropensityEstimator())
            .withMaxIpwWeight(o.getMaxIpwWeight())
            .withTargetPositiveRate(o.getTargetPositiveRate())
            .withSamplingSeed(o.getSamplingSeed());
    if (!o.getPropensities().isEmpty()) {
      w = w.withPropensityFile(o.getPropensities());
    }
    return o.getObservedPositiveRate() > 0
        ? w.withObservedPositiveRate(o.getObservedPositiveRate())
        : w;
  }

  /** Point-in-time features on training examples. */
  public static AddPointInTimeFeatures pointInTimeFeatures(
      CtrOptions o, PCollection<Impression> impressions) {
    return pointInTimeFeatures(o, AddPointInTimeFeatures.from(impressions));
  }

  /**
   * For bounded rows: when every impression keeps its one row ({@code WAIT} mode, no downsampling),
   * the rows are the impression events ({@link AddPointInTimeFeatures#fromExamples}); otherwise the
   * features count {@code impressions}.
   */
  public static AddPointInTimeFeatures batchPointInTimeFeatures(
      TrainingDataOptions o, PCollection<Impression> impressions) {
    return o.getLabelMode() == LabelMode.WAIT && o.getTargetPositiveRate() == 0
        ? pointInTimeFeatures(o, AddPointInTimeFeatures.fromExamples())
        : pointInTimeFeatures(o, impressions);
  }

  private static AddPointInTimeFeatures pointInTimeFeatures(
      CtrOptions o, AddPointInTimeFeatures base) {
    return base.withWindow(featureWindow(o))
        .withHalfLife(halfLife(o))
        .withSmoothing(o.getSmoothingAlpha(), o.getSmoothingBeta())
        .withLabelWait(labelWait(o))
        .withBuckets(o.getBuckets())
        // Measured on Flink batch: one sort (stateful) beats a GroupByKey's combine plus sort.
        .withStatefulInBatch(!Runners.isDirect(o));
  }

  /** Per-key serving snapshots with the options' window, half-life and smoothing. */
  public static FeatureSnapshots snapshots(
      FeatureSnapshots base, CtrOptions o, PCollection<Impression> impressions) {
    return base.from(impressions)
        .withWindow(featureWindow(o))
        .withHalfLife(halfLife(o))
        .withSmoothing(o.getSmoothingAlpha(), o.getSmoothingBeta())
        .withBuckets(o.getBuckets());
  }

  /** {@code --labelWait}: T, how long a negative waits for its click. */
  public static Duration labelWait(CtrOptions o) {
    return Durations.parse(o.getLabelWait());
  }

  /** {@code --conversionWindow}: how long after its click a conversion counts. */
  static Duration conversionWindow(CtrOptions o) {
    return Durations.parse(o.getConversionWindow());
  }

  /** {@code --featureWindow}: the sliding window of the count features. */
  static Duration featureWindow(CtrOptions o) {
    return Durations.parse(o.getFeatureWindow());
  }

  /** {@code --halfLife}: the decayed features' half-life. */
  static Duration halfLife(CtrOptions o) {
    return Durations.parse(o.getHalfLife());
  }

  /** Comma-separated ISO instants. */
  public static Instant[] instants(String csv) {
    return Arrays.stream(csv.split(","))
        .map(String::trim)
        .filter(t -> !t.isEmpty())
        .map(Instant::parse)
        .toArray(Instant[]::new);
  }
}
