package io.ctrbeam.pipelines;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;

/**
 * Builds the Dataflow job of the batch layer or the speed layer with the options a submission would
 * use, offline ({@link OfflineDataflow}: no credentials, no network, nothing staged), writes the
 * job JSON and the pipeline proto, and prints the job type, the steps, the stateful steps with
 * their state and timer kinds, the windowing and the sinks. Dataflow's own translation runs, so a
 * state kind or option it refuses fails here, with exit code 1, before a job costs anything.
 *
 * <pre>
 * mvn -q -Pdataflow-runner compile exec:java -Dexec.mainClass=io.ctrbeam.pipelines.DataflowDryRun \
 *   -Dexec.args="--layer=speed --jobFile=dry-run/speed.json $(grep -hv '^#' runners/dataflow/dataflow.args runners/dataflow/speed.args | tr '\n' ' ') \
 *     --bootstrapServers=127.0.0.1:9 --redisHost=127.0.0.1 --labelsTopic=labels --output=gs://my-bucket/speed"
 * </pre>
 *
 * <p>The batch layer matches its input patterns while the graph is built, so give it local input (a
 * sample of the logs); outputs may be {@code gs://} paths, which are not touched.
 */
public final class DataflowDryRun {
  private DataflowDryRun() {}

  /** The dry run's own options. */
  public interface DryRunOptions extends DataflowPipelineOptions {
    @Description(
        "Which pipeline to build: batch (TrainingDataPipeline) or speed (SpeedLayerPipeline)")
    @Validation.Required
    String getLayer();

    void setLayer(String value);

    @Description(
        "Where to write the Dataflow job JSON; the pipeline proto goes beside it as pipeline.pb")
    @Default.String("dataflow-dry-run/job.json")
    String getJobFile();

    void setJobFile(String value);
  }

  /** The batch layer's options with the dry run's. */
  public interface BatchDryRunOptions extends DryRunOptions, TrainingDataOptions {}

  /** The speed layer's options with the dry run's. */
  public interface SpeedDryRunOptions extends DryRunOptions, SpeedLayerOptions {}

  public static void main(String[] args) throws IOException {
    DataflowJob job;
    try {
      job = run(args);
    } catch (UnsupportedOperationException | IllegalArgumentException | IllegalStateException e) {
      System.err.println("Dataflow dry run FAILED: this job cannot be submitted as given.");
      System.err.println(e.getMessage());
      System.exit(1);
      return;
    }
    System.out.print(job.summary());
    if (!job.problems().isEmpty()) {
      System.err.println(
          "Dataflow dry run FAILED: Dataflow documents that it refuses this job (problems above).");
      System.exit(1);
    }
  }

  /** Builds and translates the job offline; throws what Dataflow's translation throws. */
  public static DataflowJob run(String... args) throws IOException {
    DryRunOptions o =
        PipelineOptionsFactory.fromArgs(args).withValidation().as(optionsOf(layer(args)));
    Path jobFile = Path.of(o.getJobFile()).toAbsolutePath();
    // gcpTempLocation's default asks Cloud Storage about the bucket: give it, from tempLocation.
    if (given(args, "gcpTempLocation")) {
      if (o.getTempLocation() == null) {
        o.setTempLocation(o.getGcpTempLocation()); // so no placeholder replaces the given one
      }
    } else if (o.getTempLocation() != null) {
      o.setGcpTempLocation(o.getTempLocation());
    }
    OfflineDataflow.configure(o, jobFile);
    boolean speed = o.getLayer().equals("speed");
    o.setStreaming(speed || o.isStreaming());
    Pipeline p = Pipeline.create(o);
    if (speed) {
      SpeedLayerPipeline.build(p, (SpeedLayerOptions) o);
    } else {
      TrainingDataPipeline.build(p, (TrainingDataOptions) o);
    }
    DataflowJob job = OfflineDataflow.translate(p);
    System.out.println(
        "Dataflow dry run of the " + o.getLayer() + " layer (offline; nothing was submitted)");
    System.out.println(
        "job JSON: "
            + jobFile
            + "; pipeline proto: "
            + jobFile.resolveSibling(OfflineDataflow.PIPELINE_PROTO));
    return job;
  }

  private static Class<? extends DryRunOptions> optionsOf(String layer) {
    switch (layer) {
      case "batch":
        return BatchDryRunOptions.class;
      case "speed":
        return SpeedDryRunOptions.class;
      default:
        throw new IllegalArgumentException("--layer must be batch or speed, got '" + layer + "'");
    }
  }

  private static boolean given(String[] args, String option) {
    for (String a : args) {
      if (a.startsWith("--" + option + "=")) {
        return true;
      }
    }
    return false;
  }

  private static String layer(String[] args) {
    String layer = "";
    for (String a : args) {
      if (a.startsWith("--layer=")) {
        layer = a.substring("--layer=".length());
      }
    }
    return layer;
  }
}
