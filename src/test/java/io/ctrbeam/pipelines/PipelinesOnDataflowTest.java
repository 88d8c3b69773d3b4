package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import io.ctrbeam.testing.DataflowOffline;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.ExperimentalOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both layers translate for Dataflow, offline (the job JSON and the pipeline proto are written
 * locally): the steps, the stateful steps with their state and timer kinds, the windowing, the
 * sinks and the job type. Dataflow's own checks run: the speed layer's MapState is accepted in
 * streaming on Runner v1 with Streaming Engine and refused on Runner v2.
 */
class PipelinesOnDataflowTest {
  /** The labeling state of the speed layer, by id, as declared in {@code label.StatefulLabelFn}. */
  static final Map<String, String> LABEL_STATE =
      new TreeMap<>(
          Map.of(
              "pending",
              "map",
              "early",
              "map",
              "tombstones",
              "map",
              "dueIndex",
              "map",
              "watermarkSeen",
              "value"));

  static final String SPEED_LABEL_STEP = "Label/LabelClicks/LabelBucketsStateful";

  @Test
  void trainingDataPipelineTranslatesAsABatchJob(@TempDir Path dir) throws Exception {
    PipelineFixtures.writeLogs(PipelineFixtures.smallWorld(), dir.resolve("logs"));
    DataflowPipelineOptions options = DataflowOffline.options(dir.resolve("job.json"));
    TrainingDataOptions o = options.as(TrainingDataOptions.class);
    PipelineFixtures.pointAt(o, dir.resolve("logs"), dir.resolve("out"));
    o.setFeatureSnapshotsAt("2025-06-02T00:00:00Z");
    Pipeline p = Pipeline.create(options);
    TrainingDataPipeline.build(p, o);

    DataflowJob job = DataflowOffline.job(p);
    List<String> names = job.stepNames();

    assertThat(job.type(), equalTo("JOB_TYPE_BATCH"));
    for (String step :
        new String[] {
          "ReadImpressions",
          "ReadClicks",
          "ReadConversions",
          "Label",
          "AddFeatures/ProfileAsOfJoin",
          "AddFeatures/AdMetadataAsOfJoin",
          "AddFeatures/AttachFeatures",
          "FeatureSnapshots",
          "Weigh",
          "WriteTrainingData",
          "WritePropensitiesReport",
          "WriteDeadLetters",
          "WriteCorrections",
          "WriteFeatureTable"
        }) {
      assertThat(names, hasItem(startsWith(step + "/")));
    }
    // Bounded labeling is a GroupByKey per bucket, with no state or timer.
    assertThat(names, hasItem("Label/LabelClicks/GroupByBucket/GroupByKey"));
    assertThat(names, hasItem("Label/LabelClicks/LabelBuckets"));
    assertThat(
        job.statefulSteps().stream().noneMatch(s -> s.name().startsWith("Label/")), is(true));
    // Off Direct the final attach is stateful in batch too; Dataflow batch runs it as its
    // GroupByKey-then-ParDo override, with no keyed-state shuffle.
    DataflowJob.StatefulStep attach =
        stateful(job, "AddFeatures/AttachFeatures/AttachToRowsStateful/ParMultiDo(AttachStream)");
    assertThat(attach.states().values(), hasItem("map"));
    assertThat(
        job.stepNames(), hasItem(startsWith("AddFeatures/AttachFeatures/AttachToRowsStateful/")));
    assertThat(job.json().toString(), not(containsString("uses_keyed_state")));
    assertThat(
        job.sinks(),
        containsInAnyOrder(
            "WriteQualityReport",
            "WriteTrainingData",
            "WritePropensitiesReport",
            "WritePropensitiesUsedReport",
            "WriteSamplingPlanReport",
            "WriteWeightsReport",
            "WriteDeadLetters",
            "WriteCorrections",
            "WriteFeatureTable",
            "WriteLabelStats"));
  }

  @Test
  void speedLayerTranslatesAsAStreamingJobWithItsStateAndTimers(@TempDir Path dir)
      throws Exception {
    DataflowJob job = DataflowOffline.job(speedLayer(dir, false));
    assertThat(job.problems(), equalTo(List.of()));

    assertThat(job.type(), equalTo("JOB_TYPE_STREAMING"));
    assertThat(job.runnerV2(), is(false));
    // The labeling: one stateful DoFn per bucket, its state kinds and its event-time timer family.
    DataflowJob.StatefulStep label = stateful(job, SPEED_LABEL_STEP);
    assertThat(label.states(), equalTo(LABEL_STATE));
    assertThat(label.timers(), equalTo(Map.of("due", "event-time")));
    // Dataflow accepted it in streaming, as a keyed-state step.
    assertThat(
        "properties " + job.step(SPEED_LABEL_STEP).path("properties"),
        job.stepProperty(SPEED_LABEL_STEP, "uses_keyed_state"),
        equalTo("true"));
    // Dedup, snapshots and point-in-time features: MapState time indexes with one event-time timer
    // family each (no OrderedListState), so a firing reads only its slice.
    assertThat(
        statefulLike(job, "IngestImpressions/DedupImpressions/KeepFirstArrival").states(),
        equalTo(Map.of("seen", "map", "gcHeads", "map", "gcChunks", "map")));
    assertThat(
        statefulLike(job, "IngestImpressions/DedupImpressions/KeepFirstArrival").timers(),
        equalTo(Map.of("gc", "event-time")));
    DataflowJob.StatefulStep tick = statefulLike(job, "/TickBucket");
    assertThat(
        tick.states(),
        equalTo(
            new TreeMap<>(
                Map.of(
                    "storeEntries",
                    "map",
                    "storeSlices",
                    "map",
                    "storeGcHeads",
                    "map",
                    "storeGcChunks",
                    "map",
                    "storeLive",
                    "value",
                    "dirtyHeads",
                    "map",
                    "dirtyChunks",
                    "map",
                    "dirtyMarks",
                    "map",
                    "lastTick",
                    "value"))));
    assertThat(tick.timers(), equalTo(Map.of("tick", "event-time", "storeGc", "event-time")));
    DataflowJob.StatefulStep asOf = statefulLike(job, "/StatefulBucket");
    assertThat(
        asOf.states(),
        equalTo(
            new TreeMap<>(
                Map.of(
                    "storeEntries",
                    "map",
                    "storeSlices",
                    "map",
                    "storeGcHeads",
                    "map",
                    "storeGcChunks",
                    "map",
                    "storeLive",
                    "value",
                    "queryHeads",
                    "map",
                    "queryChunks",
                    "map",
                    "lastFired",
                    "value"))));
    assertThat(asOf.timers(), equalTo(Map.of("due", "event-time", "storeGc", "event-time")));
    // Kafka is read with no broker contacted while the job is built.
    assertThat(job.stepNames(), hasItem(startsWith("ReadImpressionsTopic/ReadKafka/")));
    assertThat(job.stepNames(), hasItem(startsWith("ReadClicksTopic/ReadKafka/")));
    // Dead letters and corrections: the global window, fired every --fileWindow of processing time
    // (late ones are never dropped); the quality checks: fixed windows (--qualityWindow 1h).
    assertThat(
        job.windowing(),
        hasItem(
            new DataflowJob.Windowing(
                "WriteDeadLetters/PeriodicPanes/Window.Assign", "global_windows")));
    assertThat(
        job.windowing(),
        hasItem(
            new DataflowJob.Windowing(
                "WriteCorrections/PeriodicPanes/Window.Assign", "global_windows")));
    assertThat(
        job.windowing().stream()
            .filter(w -> w.name().startsWith("QualityPerWindowImpressions/"))
            .findFirst()
            .orElseThrow()
            .windowFn(),
        equalTo("fixed_windows 3600s"));
    assertThat(
        job.sinks(),
        containsInAnyOrder(
            "WriteFeaturesToRedis",
            "WriteLabelsToKafka",
            "WriteDeadLetters",
            "WriteCorrections",
            "WriteQualityAlerts"));
    assertThat(job.stepNames(), hasItem("WriteFeaturesToRedis/GuardedHashWrites"));
  }

  @Test
  void speedLayerOnRunnerV2IsFlaggedForItsMapState(@TempDir Path dir) throws Exception {
    DataflowJob job = DataflowOffline.job(speedLayer(dir, true));

    // On Runner v2 the SDK builds no v1 steps, and so runs none of its state checks ...
    assertThat(job.runnerV2(), is(true));
    assertThat(job.steps().size(), equalTo(0));
    // ... but the labeling's MapState is in the proto, and Dataflow documents Runner v2 streaming
    // refuses it.
    assertThat(stateful(job, SPEED_LABEL_STEP).states(), equalTo(LABEL_STATE));
    assertThat(job.problems(), hasItem(startsWith(SPEED_LABEL_STEP + " keeps MapState")));
  }

  /**
   * The speed layer with every sink on: Kafka in, Redis, labels topic, files and quality alerts
   * out.
   */
  private static Pipeline speedLayer(Path dir, boolean runnerV2) throws Exception {
    DataflowPipelineOptions options = DataflowOffline.options(dir.resolve("speed.json"));
    options.setStreaming(true);
    options.setEnableStreamingEngine(true);
    if (runnerV2) {
      options.as(ExperimentalOptions.class).setExperiments(List.of("use_runner_v2"));
    }
    SpeedLayerOptions o = options.as(SpeedLayerOptions.class);
    o.setBootstrapServers("127.0.0.1:9");
    o.setConversionsTopic("conversions");
    o.setRedisHost("127.0.0.1");
    o.setLabelsTopic("labels");
    o.setOutput("gs://ctr-beam-offline/speed");
    Pipeline p = Pipeline.create(options);
    SpeedLayerPipeline.build(p, o);
    return p;
  }

  /** The first stateful step whose name contains {@code part}. */
  static DataflowJob.StatefulStep statefulLike(DataflowJob job, String part) {
    return job.statefulSteps().stream()
        .filter(s -> s.name().contains(part))
        .findFirst()
        .orElseThrow(
            () ->
                new AssertionError("no stateful step like " + part + " in " + job.statefulSteps()));
  }

  static DataflowJob.StatefulStep stateful(DataflowJob job, String name) {
    return job.statefulSteps().stream()
        .filter(s -> s.name().equals(name))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no stateful step " + name + " in " + job.statefulSteps()));
  }
}
