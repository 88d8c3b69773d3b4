package io.ctrbeam.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Options of the main job: what to generate and where to work. Labeling and feature options are
 * those of {@link TrainingDataOptions}.
 */
public interface CtrJobOptions extends PipelineOptions {
  @Description("Working directory: generated logs go to <workDir>/logs, results to <workDir>/out")
  @Default.String("demo-output")
  String getWorkDir();

  void setWorkDir(String value);

  @Description("Impressions a day to generate")
  @Default.Long(50_000L)
  long getImpressionsPerDay();

  void setImpressionsPerDay(long value);

  @Description("Days of logs to generate")
  @Default.Integer(1)
  int getDays();

  void setDays(int value);

  @Description("Seed of the generator: the same seed gives the same logs")
  @Default.Long(42L)
  long getSeed();

  void setSeed(long value);

  @Description(
      "Share of injected bad records (every dead-letter reason); above 0.001 the quality gate fails on validity, as it should")
  @Default.Double(0.0005)
  double getBadRecordRate();

  void setBadRecordRate(double value);

  @Description("From this day (0-based) on, the generator drifts (device mix, CTR); -1 for none")
  @Default.Integer(-1)
  int getDriftFromDay();

  void setDriftFromDay(int value);

  @Description("Users in the generated world")
  @Default.Integer(20_000)
  int getUsers();

  void setUsers(int value);

  @Description("Ads in the generated world")
  @Default.Integer(2_000)
  int getAds();

  void setAds(int value);
}
