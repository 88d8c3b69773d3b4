package io.ctrbeam.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Options of the data-quality gate (contract §5), shared by every batch entry point. */
public interface QualityOptions extends PipelineOptions {
  @Description(
      "Run the data-quality gate and write _reports/quality.json, quality.html and profile.json")
  @Default.Boolean(true)
  boolean getQualityGate();

  void setQualityGate(boolean value);

  @Description(
      "Reference profile for drift: a profile.json written by an earlier run; empty for no drift check")
  @Default.String("")
  String getQualityReference();

  void setQualityReference(String value);

  @Description(
      "JSON file of quality thresholds overriding contract §5's defaults per field; empty for the defaults")
  @Default.String("")
  String getQualityConfig();

  void setQualityConfig(String value);

  @Description("Exit non-zero when a quality threshold is breached")
  @Default.Boolean(true)
  boolean getFailOnBreach();

  void setFailOnBreach(boolean value);

  @Description(
      "Clock of freshness: now - latest event_time (ISO instant, e.g. 2025-06-02T00:00:00Z); empty for the run's start")
  @Default.String("")
  String getQualityClock();

  void setQualityClock(String value);
}
