package io.ctrbeam.features;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;

/**
 * Combines events {@code KV<event time millis, isClick>} into decayed impression and click sums
 * (contract §3). Accumulators merge in any order and any grouping; read the result as of a time
 * with {@link DecayedCounts#impressionsAt}, {@link DecayedCounts#clicksAt} and {@link
 * DecayedCounts#ctrAt}.
 */
public final class DecayedCountsFn
    extends CombineFn<
        KV<Long, Boolean>, DecayedCountsFn.DecayedCounts, DecayedCountsFn.DecayedCounts> {
  private final long halfLifeMillis;

  private DecayedCountsFn(long halfLifeMillis) {
    this.halfLifeMillis = halfLifeMillis;
  }

  /** Decay with this half-life: λ = ln 2 / half-life. */
  public static DecayedCountsFn withHalfLife(Duration halfLife) {
    checkArgument(halfLife != null && halfLife.getMillis() > 0, "half-life must be positive");
    return new DecayedCountsFn(halfLife.getMillis());
  }

  /** Decayed impressions and clicks. */
  public static final class DecayedCounts implements Serializable {
    final DecayedSum impressions;
    final DecayedSum clicks;

    DecayedCounts(DecayedSum impressions, DecayedSum clicks) {
      this.impressions = impressions;
      this.clicks = clicks;
    }

    public double impressionsAt(long tMillis) {
      return impressions.valueAt(tMillis);
    }

    public double clicksAt(long tMillis) {
      return clicks.valueAt(tMillis);
    }

    /** (clicks + α) / (impressions + α + β) as of t. */
    public double ctrAt(long tMillis, double alpha, double beta) {
      return (clicksAt(tMillis) + alpha) / (impressionsAt(tMillis) + alpha + beta);
    }
  }

  @Override
  public DecayedCounts createAccumulator() {
    return new DecayedCounts(
        DecayedSum.withHalfLifeMillis(halfLifeMillis),
        DecayedSum.withHalfLifeMillis(halfLifeMillis));
  }

  @Override
  public DecayedCounts addInput(DecayedCounts acc, KV<Long, Boolean> event) {
    (Boolean.TRUE.equals(event.getValue()) ? acc.clicks : acc.impressions).add(event.getKey(), 1.0);
    return acc;
  }

  @Override
  public DecayedCounts mergeAccumulators(Iterable<DecayedCounts> accs) {
    DecayedCounts merged = createAccumulator();
    for (DecayedCounts a : accs) {
      merged.impressions.merge(a.impressions);
      merged.clicks.merge(a.clicks);
    }
    return merged;
  }

  @Override
  public DecayedCounts extractOutput(DecayedCounts acc) {
    return acc;
  }

  @Override
  public Coder<DecayedCounts> getAccumulatorCoder(
      CoderRegistry registry, Coder<KV<Long, Boolean>> inputCoder) {
    return new DecayedCountsCoder();
  }

  @Override
  public Coder<DecayedCounts> getDefaultOutputCoder(
      CoderRegistry registry, Coder<KV<Long, Boolean>> inputCoder) {
    return new DecayedCountsCoder();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("halfLifeMillis", halfLifeMillis));
  }

  /** Encodes both sums. */
  public static final class DecayedCountsCoder extends CustomCoder<DecayedCounts> {
    @Override
    public void encode(DecayedCounts v, OutputStream os) throws IOException {
      DataOutputStream out = new DataOutputStream(os);
      DecayedSumCoder.write(v.impressions, out);
      DecayedSumCoder.write(v.clicks, out);
    }

    @Override
    public DecayedCounts decode(InputStream is) throws IOException {
      DataInputStream in = new DataInputStream(is);
      return new DecayedCounts(DecayedSumCoder.read(in), DecayedSumCoder.read(in));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof DecayedCountsCoder;
    }

    @Override
    public int hashCode() {
      return DecayedCountsCoder.class.hashCode();
    }
  }
}
