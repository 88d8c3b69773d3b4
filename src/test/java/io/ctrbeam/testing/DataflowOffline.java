package io.ctrbeam.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrbeam.pipelines.DataflowJob;
import io.ctrbeam.pipelines.OfflineDataflow;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Translates a pipeline for Dataflow with no network, in about a second, through the dry run's
 * {@link OfflineDataflow}: {@code run()} writes the job JSON to a local file and calls no service.
 *
 * <pre>{@code
 * DataflowPipelineOptions options = DataflowOffline.options(tmp.resolve("job.json"));
 * Pipeline p = Pipeline.create(options);  // or the pipeline's own build(p, options)
 * ...
 * JsonNode job = DataflowOffline.translate(p, options);
 * List<String> names = DataflowOffline.stepUserNames(job);
 * }</pre>
 */
public final class DataflowOffline {
  private DataflowOffline() {}

  /**
   * Offline Dataflow options writing the job JSON to {@code jobJson}, over the command line {@code
   * args}.
   */
  public static DataflowPipelineOptions options(Path jobJson, String... args) throws IOException {
    DataflowPipelineOptions o =
        PipelineOptionsFactory.fromArgs(args).as(DataflowPipelineOptions.class);
    o.setJobName("ctr-beam-offline");
    return OfflineDataflow.configure(o, jobJson);
  }

  /** Runs {@code p} (built on {@link #options}) and returns the job JSON it wrote. */
  public static JsonNode translate(Pipeline p, DataflowPipelineOptions options) throws IOException {
    return job(p).json();
  }

  /** Runs {@code p} (built on {@link #options}) and returns the job: JSON and pipeline proto. */
  public static DataflowJob job(Pipeline p) throws IOException {
    return OfflineDataflow.translate(p);
  }

  /** The user names of the job's steps (the full names of the applied transforms). */
  public static List<String> stepUserNames(JsonNode job) {
    return DataflowJob.stepNames(job);
  }
}
