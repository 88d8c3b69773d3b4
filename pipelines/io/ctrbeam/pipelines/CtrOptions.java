package io.ctrbeam.pipelines;

import io.ctrbeam.common.Runners;
import io.ctrbeam.label.LabelMode;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Labeling and feature options shared by the batch and the speed layer, so both compute the same
 * thing.
 */
public interface CtrOptions extends PipelineOptions {
  @Description("Attribution window W: a click 0 < delay <= W makes a positive (e.g. 30m)")
  @Default.String("30m")
  String getAttributionWindow();

  void setAttributionWindow(String value);

  @Description(
      "Label wait T: a negative is emitted once event time passes impression + T (e.g. 2h)")
  @Default.String("2h")
  String getLabelWait();

  void setLabelWait(String value);

  @Description("Labeling strategy: WAIT, FAKE_NEGATIVE or ELAPSED")
  @Default.Enum("WAIT")
  LabelMode getLabelMode();

  void setLabelMode(LabelMode value);

  @Description("ELAPSED mode: the shorter wait tau (< labelWait)")
  @Default.String("1h")
  String getElapsedWait();

  void setElapsedWait(String value);

  @Description("Conversion window after the click")
  @Default.String("7d")
  String getConversionWindow();

  void setConversionWindow(String value);

  @Description(
      "Negative-label confidence decay rate per hour; 0 = estimate it from the data as 1 / mean click delay")
  @Default.Double(0.28782313662425574)
  double getDecayRatePerHour();

  void setDecayRatePerHour(double value);

  @Description("Sliding window of the CTR features")
  @Default.String("24h")
  String getFeatureWindow();

  void setFeatureWindow(String value);

  @Description("Half-life of the decayed features")
  @Default.String("24h")
  String getHalfLife();

  void setHalfLife(String value);

  @Description("Additive smoothing of decayed CTR: (clicks + alpha) / (impressions + alpha + beta)")
  @Default.Double(1.0)
  double getSmoothingAlpha();

  void setSmoothingAlpha(double value);

  @Description("See smoothingAlpha")
  @Default.Double(49.0)
  double getSmoothingBeta();

  void setSmoothingBeta(double value);

  @Description(
      "How long past a click's own time + labelWait a late click is still matched and turned into a"
          + " correction (later it is a LATE_CLICK dead letter); also how long a decided impression's"
          + " tombstone lives (W + T + this), so it bounds the speed layer's labeling state")
  @Default.String("1d")
  String getAllowedLateness();

  void setAllowedLateness(String value);

  @Description(
      "Hash buckets (Beam keys) of every join. Default by runner: 64 on DirectRunner, which pays per"
          + " key; 2^20 elsewhere, so groups stay small and the key space never caps parallelism")
  @Default.InstanceFactory(RunnerAwareBuckets.class)
  int getBuckets();

  void setBuckets(int value);

  /**
   * Few keys with big bundles suit DirectRunner; many small groups suit a cluster's sort-based
   * shuffle.
   */
  final class RunnerAwareBuckets implements DefaultValueFactory<Integer> {
    static final int DIRECT = 64;
    static final int CLUSTER = 1 << 20;

    @Override
    public Integer create(PipelineOptions options) {
      return Runners.isDirect(options) ? DIRECT : CLUSTER;
    }
  }
}
