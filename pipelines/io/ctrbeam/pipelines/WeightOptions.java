package io.ctrbeam.pipelines;

import io.ctrbeam.weights.Estimator;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Position-bias weights and negative downsampling (contract §4). */
public interface WeightOptions extends PipelineOptions {
  @Description(
      "Precomputed propensity table (a propensities.json an earlier run wrote); empty = estimate in this run")
  @Default.String("")
  String getPropensities();

  void setPropensities(String value);

  @Description(
      "Which estimate the weights use: EM (position-based model, Wang et al. 2018) or NAIVE (CTR_p / CTR_1); both are reported")
  @Default.Enum("EM")
  Estimator getPropensityEstimator();

  void setPropensityEstimator(Estimator value);

  @Description(
      "Also estimate per device x position; entries with too few impressions use the all-device one")
  @Default.Boolean(false)
  boolean getPropensityByDevice();

  void setPropensityByDevice(boolean value);

  @Description(
      "Positions (per device) with fewer impressions take the propensity of the nearest estimated position above")
  @Default.Integer(100)
  int getPropensityMinImpressions();

  void setPropensityMinImpressions(int value);

  @Description("IPW weights 1 / propensity above this are clipped to it; clipped rows are counted")
  @Default.Double(20.0)
  double getMaxIpwWeight();

  void setMaxIpwWeight(double value);

  @Description("Downsample negatives to this positive rate r' (0 = keep every row)")
  @Default.Double(0.10)
  double getTargetPositiveRate();

  void setTargetPositiveRate(double value);

  @Description("Observed positive rate r for the sampling rate; 0 = measure it in the run")
  @Default.Double(0.0)
  double getObservedPositiveRate();

  void setObservedPositiveRate(double value);

  @Description("Seed of the keep/drop hash of impression_id: the same seed keeps the same rows")
  @Default.Long(0L)
  long getSamplingSeed();

  void setSamplingSeed(long value);
}
