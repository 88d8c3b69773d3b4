package io.ctrbeam.features;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.io.Serializable;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.joda.time.Duration;

/** The parameters of the feature math: window, half-life and smoothing (contract §3). */
public final class FeatureParams implements Serializable {
  /** Default prior of the smoothed decayed CTR: α = 1, β = 49, a 2% CTR worth 50 impressions. */
  public static final double DEFAULT_ALPHA = 1.0;

  public static final double DEFAULT_BETA = 49.0;

  private static final long DAY = Duration.standardDays(1).getMillis();

  final long windowMillis;
  final long halfLifeMillis;
  final double lambdaPerMs;
  final double alpha;
  final double beta;

  public FeatureParams(long windowMillis, long halfLifeMillis, double alpha, double beta) {
    checkArgument(windowMillis > 0, "window must be positive, got %s ms", windowMillis);
    checkArgument(halfLifeMillis > 0, "half-life must be positive, got %s ms", halfLifeMillis);
    checkArgument(
        alpha >= 0 && beta >= 0 && alpha + beta > 0,
        "need alpha >= 0, beta >= 0 and alpha + beta > 0, got %s and %s",
        alpha,
        beta);
    this.windowMillis = windowMillis;
    this.halfLifeMillis = halfLifeMillis;
    this.lambdaPerMs = DecayedSum.lambdaPerMs(halfLifeMillis);
    this.alpha = alpha;
    this.beta = beta;
  }

  /** Window 24 h, half-life 24 h, α = 1, β = 49. */
  public static FeatureParams defaults() {
    return new FeatureParams(DAY, DAY, DEFAULT_ALPHA, DEFAULT_BETA);
  }

  /** The sliding window of the counts and CTR. */
  public FeatureParams withWindow(Duration window) {
    checkArgument(window != null, "window must be set, got %s", window);
    return new FeatureParams(window.getMillis(), halfLifeMillis, alpha, beta);
  }

  /** The half-life of the decayed counts: λ = ln 2 / half-life. */
  public FeatureParams withHalfLife(Duration halfLife) {
    checkArgument(halfLife != null, "half-life must be set, got %s", halfLife);
    return new FeatureParams(windowMillis, halfLife.getMillis(), alpha, beta);
  }

  /** Decayed CTR = (clicks + α) / (impressions + α + β). */
  public FeatureParams withSmoothing(double alpha, double beta) {
    return new FeatureParams(windowMillis, halfLifeMillis, alpha, beta);
  }

  /** Smoothed ratio (clicks + α) / (impressions + α + β). */
  public double smoothedCtr(double decayedClicks, double decayedImpressions) {
    return (decayedClicks + alpha) / (decayedImpressions + alpha + beta);
  }

  /** clicks / impressions, or null with no impressions (never 0 or NaN). */
  public static Double windowCtr(long clicks, long impressions) {
    return impressions > 0 ? (double) clicks / impressions : null;
  }

  public long windowMillis() {
    return windowMillis;
  }

  public double lambdaPerMs() {
    return lambdaPerMs;
  }

  public long halfLifeMillis() {
    return halfLifeMillis;
  }

  public double alpha() {
    return alpha;
  }

  public double beta() {
    return beta;
  }

  /** Window, half-life, α and β as display data of the transform that uses them. */
  void populateDisplayData(DisplayData.Builder builder) {
    builder
        .add(DisplayData.item("window", Duration.millis(windowMillis)))
        .add(DisplayData.item("halfLife", Duration.millis(halfLifeMillis)))
        .add(DisplayData.item("alpha", alpha))
        .add(DisplayData.item("beta", beta));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureParams p
        && p.windowMillis == windowMillis
        && p.halfLifeMillis == halfLifeMillis
        && p.alpha == alpha
        && p.beta == beta;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(windowMillis, halfLifeMillis, alpha, beta);
  }

  @Override
  public String toString() {
    return "window "
        + Duration.millis(windowMillis)
        + ", half-life "
        + Duration.millis(halfLifeMillis)
        + ", alpha "
        + alpha
        + ", beta "
        + beta;
  }
}
