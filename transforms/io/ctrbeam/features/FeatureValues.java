package io.ctrbeam.features;

/** The six features of one key as of one time. */
public final class FeatureValues {
  public final long impressions24h;
  public final long clicks24h;
  public final Double ctr24h;
  public final double decayedImpressions;
  public final double decayedClicks;
  public final double decayedCtr;

  FeatureValues(FeatureParams p, long imps, long clicks, double dImps, double dClicks) {
    this.impressions24h = imps;
    this.clicks24h = clicks;
    this.ctr24h = FeatureParams.windowCtr(clicks, imps);
    this.decayedImpressions = dImps;
    this.decayedClicks = dClicks;
    this.decayedCtr = p.smoothedCtr(dClicks, dImps);
  }

  @Override
  public String toString() {
    return String.format(
        "FeatureValues{imps=%d, clicks=%d, ctr=%s, dImps=%s, dClicks=%s, dCtr=%s}",
        impressions24h, clicks24h, ctr24h, decayedImpressions, decayedClicks, decayedCtr);
  }
}
