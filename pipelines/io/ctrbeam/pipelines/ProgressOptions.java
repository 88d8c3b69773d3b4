package io.ctrbeam.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Progress lines while a job runs, from its Beam Metrics (see {@link Progress}). */
public interface ProgressOptions extends PipelineOptions {
  @Description(
      "Print records read, labeled and dead-lettered per type every --progressInterval while the job runs")
  @Default.Boolean(true)
  boolean getProgress();

  void setProgress(boolean value);

  @Description("Interval of the progress lines, e.g. 5s or 1m")
  @Default.String("5s")
  String getProgressInterval();

  void setProgressInterval(String value);
}
