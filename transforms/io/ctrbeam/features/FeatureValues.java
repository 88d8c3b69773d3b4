package io.ctrbeam.features;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/** The six features of one key as of one time. */
public final class FeatureValues {
  public final long impressions24h;
  public final long clicks24h;
  public final Double ctr24h;
  public final double decayedImpressions;
  public final double decayedClicks;
  public final double decayedCtr;

  FeatureValues(FeatureParams p, long imps, long clicks, double dImps, double dClicks) {
    this(
        imps,
        clicks,
        FeatureParams.windowCtr(clicks, imps),
        dImps,
        dClicks,
        p.smoothedCtr(dClicks, dImps));
  }

  private FeatureValues(
      long imps, long clicks, Double ctr, double dImps, double dClicks, double dCtr) {
    this.impressions24h = imps;
    this.clicks24h = clicks;
    this.ctr24h = ctr;
    this.decayedImpressions = dImps;
    this.decayedClicks = dClicks;
    this.decayedCtr = dCtr;
  }

  @Override
  public String toString() {
    return String.format(
        "FeatureValues{imps=%d, clicks=%d, ctr=%s, dImps=%s, dClicks=%s, dCtr=%s}",
        impressions24h, clicks24h, ctr24h, decayedImpressions, decayedClicks, decayedCtr);
  }

  /**
   * Encodes the six values as they are, so a decoded answer equals the computed one bit for bit.
   */
  static final class Coder extends AtomicCoder<FeatureValues> {
    private static final Coder INSTANCE = new Coder();
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final DoubleCoder DOUBLE = DoubleCoder.of();
    private static final NullableCoder<Double> NULLABLE_DOUBLE = NullableCoder.of(DoubleCoder.of());

    static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(FeatureValues v, OutputStream os) throws IOException {
      LONG.encode(v.impressions24h, os);
      LONG.encode(v.clicks24h, os);
      NULLABLE_DOUBLE.encode(v.ctr24h, os);
      DOUBLE.encode(v.decayedImpressions, os);
      DOUBLE.encode(v.decayedClicks, os);
      DOUBLE.encode(v.decayedCtr, os);
    }

    @Override
    public FeatureValues decode(InputStream is) throws IOException {
      return new FeatureValues(
          LONG.decode(is),
          LONG.decode(is),
          NULLABLE_DOUBLE.decode(is),
          DOUBLE.decode(is),
          DOUBLE.decode(is),
          DOUBLE.decode(is));
    }
  }
}
