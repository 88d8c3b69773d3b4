package io.ctrbeam.features;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.io.Serializable;

/**
 * A sum of exponentially decayed weights, F(t) = Σ w_i·e^(−λ(t − t_i)) (contract §3).
 *
 * <p>The sum is stored relative to an anchor time, the latest t_i seen, so every stored term has a
 * non-positive exponent and nothing overflows over long spans; adding or merging rebases to the
 * later anchor. The result does not depend on the order of adds and merges (up to rounding).
 * Mutable; {@link #copy()} before sharing.
 */
public final class DecayedSum implements Serializable {
  private final double lambdaPerMs;
  private boolean empty = true;
  private long anchorMillis;
  private double valueAtAnchor;

  /** An empty sum with decay rate λ = ln 2 / half-life. */
  public static DecayedSum withHalfLifeMillis(long halfLifeMillis) {
    return new DecayedSum(lambdaPerMs(halfLifeMillis));
  }

  /** λ per millisecond for a half-life. */
  public static double lambdaPerMs(long halfLifeMillis) {
    checkArgument(halfLifeMillis > 0, "half-life must be positive, got %s ms", halfLifeMillis);
    return Math.log(2) / halfLifeMillis;
  }

  public DecayedSum(double lambdaPerMs) {
    this.lambdaPerMs = lambdaPerMs;
  }

  static DecayedSum of(double lambdaPerMs, long anchorMillis, double valueAtAnchor) {
    DecayedSum s = new DecayedSum(lambdaPerMs);
    s.empty = false;
    s.anchorMillis = anchorMillis;
    s.valueAtAnchor = valueAtAnchor;
    return s;
  }

  /** Adds weight {@code w} at time {@code tMillis}. */
  public DecayedSum add(long tMillis, double w) {
    if (empty) {
      empty = false;
      anchorMillis = tMillis;
      valueAtAnchor = w;
    } else if (tMillis > anchorMillis) {
      valueAtAnchor = valueAtAnchor * decay(tMillis - anchorMillis) + w;
      anchorMillis = tMillis;
    } else {
      valueAtAnchor += w * decay(anchorMillis - tMillis);
    }
    return this;
  }

  /** Adds another partial sum (same λ) into this one. */
  public DecayedSum merge(DecayedSum other) {
    checkArgument(
        other.lambdaPerMs == lambdaPerMs,
        "cannot merge sums with different decay rates, got %s and %s per ms",
        lambdaPerMs,
        other.lambdaPerMs);
    if (!other.empty) {
      add(other.anchorMillis, other.valueAtAnchor);
    }
    return this;
  }

  /** F(t). Meaningful for t at or after every added time (the caller filters events by time). */
  public double valueAt(long tMillis) {
    return empty ? 0.0 : valueAtAnchor * decay(tMillis - anchorMillis);
  }

  private double decay(long dtMillis) {
    return Math.exp(-lambdaPerMs * dtMillis);
  }

  public boolean isEmpty() {
    return empty;
  }

  public long anchorMillis() {
    return anchorMillis;
  }

  public double valueAtAnchor() {
    return valueAtAnchor;
  }

  public double lambdaPerMs() {
    return lambdaPerMs;
  }

  public DecayedSum copy() {
    DecayedSum c = new DecayedSum(lambdaPerMs);
    c.empty = empty;
    c.anchorMillis = anchorMillis;
    c.valueAtAnchor = valueAtAnchor;
    return c;
  }

  @Override
  public String toString() {
    return empty ? "DecayedSum{}" : "DecayedSum{" + valueAtAnchor + "@" + anchorMillis + "}";
  }
}
