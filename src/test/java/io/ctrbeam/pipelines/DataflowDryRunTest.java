package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrbeam.generate.RecordType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dry run with the README's flags ({@code runners/dataflow/*.args}) builds both layers' jobs
 * offline, and the flags land in the job: project, region, temp location, machine type,
 * autoscaling, Runner v2 for the batch layer and Streaming Engine on Runner v1 for the speed layer.
 * A run that hangs on the network fails the timeout.
 */
class DataflowDryRunTest {
  private static final Duration OFFLINE = Duration.ofSeconds(60);

  @Test
  void batchLayerWithTheDocumentedFlags(@TempDir Path dir) throws Exception {
    PipelineFixtures.writeLogs(PipelineFixtures.smallWorld(), dir.resolve("logs"));
    List<String> args = args("dataflow.args", "batch.args");
    Path logs = dir.resolve("logs");
    args.addAll(
        List.of(
            "--layer=batch",
            "--jobFile=" + dir.resolve("dry/batch.json"),
            "--impressions=" + logs.resolve(RecordType.IMPRESSION.directory()) + "/**",
            "--clicks=" + logs.resolve(RecordType.CLICK.directory()) + "/**",
            "--output=gs://my-bucket/out"));

    DataflowJob job =
        assertTimeoutPreemptively(OFFLINE, () -> DataflowDryRun.run(args.toArray(String[]::new)));

    assertThat(job.type(), equalTo("JOB_TYPE_BATCH"));
    assertThat(job.runnerV2(), is(true));
    assertDocumentedWorkers(job.json());
    assertThat(
        job.json().path("environment").path("tempStoragePrefix").asText(),
        containsString("my-bucket/tmp"));
    assertThat(Files.size(dir.resolve("dry/batch.json")) > 0, is(true));
    assertThat(Files.size(dir.resolve("dry/pipeline.pb")) > 0, is(true));
    assertThat(job.problems(), equalTo(List.of()));
    assertThat(job.sinks(), hasItem("WriteTrainingData"));
    String summary = job.summary();
    assertThat(summary, containsString("job type: JOB_TYPE_BATCH"));
    assertThat(summary, containsString("runner: Runner v2"));
    assertThat(
        summary,
        containsString(
            "AddFeatures/AttachFeatures/AttachToRowsStateful/ParMultiDo(AttachStream)  state {parts=map}"));
  }

  @Test
  void speedLayerWithTheDocumentedFlags(@TempDir Path dir) throws Exception {
    List<String> args = args("dataflow.args", "speed.args");
    args.addAll(speedArgs(dir));

    DataflowJob job =
        assertTimeoutPreemptively(OFFLINE, () -> DataflowDryRun.run(args.toArray(String[]::new)));

    assertThat(job.type(), equalTo("JOB_TYPE_STREAMING"));
    assertThat(job.runnerV2(), is(false));
    assertThat(job.streamingEngine(), is(true));
    assertDocumentedWorkers(job.json());
    assertThat(job.problems(), equalTo(List.of()));
    String summary = job.summary();
    assertThat(summary, containsString("job type: JOB_TYPE_STREAMING"));
    assertThat(summary, containsString("runner: Runner v1, Streaming Engine"));
    assertThat(
        summary,
        containsString(
            PipelinesOnDataflowTest.SPEED_LABEL_STEP
                + "  state "
                + PipelinesOnDataflowTest.LABEL_STATE
                + " timers {due=event-time}"));
    assertThat(summary, containsString("problems: none found"));
    // Dead letters and corrections per --fileWindow (10m), quality per --qualityWindow (1h) for
    // impressions and clicks.
    assertThat(summary, containsString("windowing (non-global): 2\n"));
    assertThat(
        summary,
        containsString(
            "QualityPerWindowImpressions/FixedWindows/Window.Assign  fixed_windows 3600s"));
    // dead letters and corrections are written in the global window (late ones too)
    assertThat(summary, not(containsString("WriteDeadLetters/FixedWindows")));
  }

  @Test
  void speedLayerOnRunnerV2FailsTheDryRun(@TempDir Path dir) throws Exception {
    List<String> args = new ArrayList<>();
    for (String a : args("dataflow.args", "speed.args")) {
      args.add(a.equals("--experiments=disable_runner_v2") ? "--experiments=use_runner_v2" : a);
    }
    args.addAll(speedArgs(dir));

    DataflowJob job =
        assertTimeoutPreemptively(OFFLINE, () -> DataflowDryRun.run(args.toArray(String[]::new)));

    // Every stateful step of the speed layer keeps a MapState: the click and conversion joins, the
    // three dedups, the one as-of step of all key kinds, attach and snapshots.
    long withMapState =
        job.statefulSteps().stream().filter(s -> s.states().containsValue("map")).count();
    assertThat(withMapState, equalTo(8L));
    assertThat(job.problems().size(), equalTo(8));
    assertThat(
        job.problems(),
        hasItem(startsWith(PipelinesOnDataflowTest.SPEED_LABEL_STEP + " keeps MapState")));
    assertThat(job.summary(), containsString("problems: 8"));
  }

  @Test
  void unknownLayerIsRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DataflowDryRun.run("--layer=lambda"));
    assertThat(e.getMessage(), containsString("--layer must be batch or speed"));
  }

  /** The commented, optional flags of dataflow.args are real Dataflow options too. */
  @Test
  void optionalFlagsAreRealOptions(@TempDir Path dir) throws Exception {
    List<String> args = args("dataflow.args", "speed.args");
    for (String line : Files.readAllLines(Path.of("runners/dataflow/dataflow.args"))) {
      if (line.startsWith("#--")) {
        args.add(line.substring(1));
      }
    }
    args.addAll(speedArgs(dir));

    JsonNode env = DataflowDryRun.run(args.toArray(String[]::new)).json().path("environment");

    assertThat(
        env.path("serviceAccountEmail").asText(),
        equalTo("ctr-beam-worker@my-gcp-project.iam.gserviceaccount.com"));
    JsonNode pool = env.path("workerPools").get(0);
    assertThat(pool.path("network").asText(), equalTo("my-vpc"));
    assertThat(
        pool.path("subnetwork").asText(), equalTo("regions/us-central1/subnetworks/my-subnet"));
    assertThat(pool.path("ipConfiguration").asText(), equalTo("WORKER_IP_PRIVATE"));
  }

  private static void assertDocumentedWorkers(JsonNode job) {
    JsonNode pool = job.path("environment").path("workerPools").get(0);
    assertThat(pool.path("machineType").asText(), equalTo("n2-standard-4"));
    assertThat(
        pool.path("autoscalingSettings").path("algorithm").asText(),
        equalTo("AUTOSCALING_ALGORITHM_BASIC"));
    assertThat(pool.path("autoscalingSettings").path("maxNumWorkers").asInt(), equalTo(20));
    JsonNode options = job.path("environment").path("sdkPipelineOptions").path("options");
    assertThat(options.path("project").asText(), equalTo("my-gcp-project"));
    assertThat(options.path("region").asText(), equalTo("us-central1"));
  }

  private static List<String> speedArgs(Path dir) {
    return List.of(
        "--layer=speed",
        "--jobFile=" + dir.resolve("dry/speed.json"),
        "--bootstrapServers=127.0.0.1:9",
        "--conversionsTopic=conversions",
        "--redisHost=127.0.0.1",
        "--labelsTopic=labels",
        "--output=gs://my-bucket/speed");
  }

  /** The flags of the named files under runners/dataflow/, comments and blank lines skipped. */
  static List<String> args(String... files) throws IOException {
    List<String> args = new ArrayList<>();
    for (String f : files) {
      for (String line : Files.readAllLines(Path.of("runners/dataflow", f))) {
        if (!line.isBlank() && !line.startsWith("#")) {
          args.add(line.trim());
        }
      }
    }
    return args;
  }
}
