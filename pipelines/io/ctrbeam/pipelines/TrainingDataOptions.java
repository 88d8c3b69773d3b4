package io.ctrbeam.pipelines;

import io.ctrbeam.ingest.Format;
import io.ctrbeam.label.LabelMode;
import io.ctrbeam.storage.FileFormat;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/** Options of the batch training-data pipeline (files in, training examples out). */
public interface TrainingDataOptions extends PipelineOptions {
  @Description("File pattern of impression logs (JSON lines or Avro), e.g. logs/impressions/**")
  @Validation.Required
  String getImpressions();

  void setImpressions(String value);

  @Description("File pattern of click logs")
  @Validation.Required
  String getClicks();

  void setClicks(String value);

  @Description("File pattern of conversion logs; empty to label clicks only")
  @Default.String("")
  String getConversions();

  void setConversions(String value);

  @Description("File pattern of user profiles; empty to skip enrichment")
  @Default.String("")
  String getUserProfiles();

  void setUserProfiles(String value);

  @Description("File pattern of ad metadata; empty to skip enrichment")
  @Default.String("")
  String getAdMetadata();

  void setAdMetadata(String value);

  @Description("Input format: AUTO (by extension), JSONL or AVRO")
  @Default.Enum("AUTO")
  Format getInputFormat();

  void setInputFormat(Format value);

  @Description("Output directory: training data, dead_letters/, corrections/ and _reports/ go here")
  @Validation.Required
  String getOutput();

  void setOutput(String value);

  @Description("Output format of the training data: parquet, avro or jsonl")
  @Default.String("parquet")
  String getOutputFormat();

  void setOutputFormat(String value);

  @Description("Attribution window W: a click 0 < delay <= W makes a positive (e.g. 30m)")
  @Default.String("30m")
  String getAttributionWindow();

  void setAttributionWindow(String value);

  @Description("Label wait T: a negative is emitted once event time passes impression + T (e.g. 2h)")
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

  @Description("Negative-label confidence decay rate per hour; 0 = estimate it from the data as 1 / mean click delay")
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

  @Description("Hash buckets (Beam keys) of every join; more for big clusters, fewer on DirectRunner")
  @Default.Integer(64)
  int getBuckets();

  void setBuckets(int value);
}
