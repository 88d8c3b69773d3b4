package io.ctrbeam.weights;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.io.Serializable;

/**
 * Negative downsampling to a target positive rate r' from an observed rate r (contract §4).
 *
 * <p>Negatives are kept with probability rate = r(1 − r') / (r'(1 − r)), so that the expected
 * positive rate after sampling is r / (r + rate·(1 − r)) = r'. That is the reciprocal of the
 * expression r'(1 − r) / (r(1 − r')) that contract §4 names "sample_rate" (it evaluates to 11 for
 * 1% → 10%, a weight, not a rate; README: Weights), and is the weight 1 / rate of a kept negative.
 * With r = 0 (no positives) or r ≥ r' nothing is dropped (rate 1). Kept negatives weigh 1 / rate,
 * positives 1.
 *
 * @param observedRate r, positives / rows before sampling
 * @param targetRate r'; 0 means no downsampling
 * @param measured whether r was measured in the run (else given)
 */
public record SamplingPlan(double observedRate, double targetRate, boolean measured)
    implements Serializable {
  public SamplingPlan {
    checkArgument(
        observedRate >= 0 && observedRate <= 1,
        "observed positive rate must be in [0, 1], got %s",
        observedRate);
    checkArgument(
        targetRate >= 0 && targetRate < 1,
        "target positive rate must be in [0, 1), got %s",
        targetRate);
  }

  /** No downsampling: every row kept with weight 1. */
  public static SamplingPlan none(double observedRate) {
    return new SamplingPlan(observedRate, 0, true);
  }

  /** The rate at which negatives are kept, in (0, 1]. */
  public double negativeRate() {
    double r = observedRate;
    double t = targetRate;
    if (t == 0 || r == 0 || r >= t) {
      return 1.0;
    }
    return Math.min(1.0, r * (1 - t) / (t * (1 - r)));
  }

  /** The plan as one JSON object. */
  public String toJson() {
    return String.format(
        java.util.Locale.ROOT,
        "{\"observed_positive_rate\": %s, \"measured\": %s, \"target_positive_rate\": %s, \"negative_sampling_rate\": %s, \"negative_weight\": %s}",
        observedRate,
        measured,
        targetRate,
        negativeRate(),
        1.0 / negativeRate());
  }

  /** Whether a row is kept: every positive, and a negative when its hash falls under the rate. */
  public boolean keep(boolean positive, String impressionId, long seed) {
    return positive || StableHash.unit(seed, impressionId) < negativeRate();
  }
}
