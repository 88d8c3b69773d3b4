package io.ctrbeam.features;

import java.io.Serializable;

/** The parameters of the feature math: window, half-life and smoothing (SPEC §3). */
public final class FeatureParams implements Serializable {
  /** Default prior of the smoothed decayed CTR: α = 1, β = 49, a 2% CTR worth 50 impressions. */
  public static final double DEFAULT_ALPHA = 1.0;

  public static final double DEFAULT_BETA = 49.0;

  final long windowMillis;
  final long halfLifeMillis;
  final double lambdaPerMs;
  final double alpha;
  final double beta;

  public FeatureParams(long windowMillis, long halfLifeMillis, double alpha, double beta) {
    if (windowMillis <= 0 || halfLifeMillis <= 0) {
      throw new IllegalArgumentException("window and half-life must be positive");
    }
    if (!(alpha >= 0 && beta >= 0 && alpha + beta > 0)) {
      throw new IllegalArgumentException("need alpha >= 0, beta >= 0, alpha + beta > 0");
    }
    this.windowMillis = windowMillis;
    this.halfLifeMillis = halfLifeMillis;
    this.lambdaPerMs = DecayedSum.lambdaPerMs(halfLifeMillis);
    this.alpha = alpha;
    this.beta = beta;
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
}
