package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.baseline.RowComparison;
import io.ctrbeam.generate.GeneratedLogs;
import io.ctrbeam.generate.RecordType;
import io.ctrbeam.testing.BundledJar;
import io.ctrbeam.testing.DataflowOffline;
import io.ctrbeam.testing.EmbeddedKafka;
import io.ctrbeam.testing.FlinkRestCluster;
import io.ctrbeam.testing.RedisServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * The bundled jar as a user submits it to a Flink session cluster over REST ({@link
 * FlinkRestCluster} stands in for the cluster): {@code java -cp <jar> <main class>
 * --runner=FlinkRunner --flinkMaster=localhost:<port> …} in its own process; the jar is uploaded
 * and the job runs in the cluster, whose REST API must list it. And portability: the same jar and
 * the same options, with only {@code --runner} changed, run on Direct and build a Dataflow job.
 */
class FlinkClusterIT {
  private static final String BATCH = "io.ctrbeam.pipelines.TrainingDataPipeline";
  private static final String SPEED = "io.ctrbeam.pipelines.SpeedLayerPipeline";

  private static FlinkRestCluster flink;
  private static long t0 = System.nanoTime();

  /** Prints the seconds since the last mark: the test's output file tells where the time goes. */
  private static void mark(String phase) {
    long now = System.nanoTime();
    System.out.printf("FlinkClusterIT %s: %.1f s%n", phase, (now - t0) / 1e9);
    t0 = now;
  }

  @BeforeAll
  static void startCluster() throws Exception {
    flink = FlinkRestCluster.start(4);
    mark("cluster up");
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (flink != null) {
      flink.close();
    }
  }

  @Test
  void batchLayerFromTheJarRunsInTheClusterEqualsDirectAndBuildsForDataflow(@TempDir Path dir)
      throws Exception {
    mark("before the batch test");
    Path logs = dir.resolve("logs");
    PipelineFixtures.writeLogs(PipelineFixtures.smallWorld(), logs);
    // One set of options for every runner: each runner reads its own and ignores the others'.
    List<String> options =
        new ArrayList<>(
            List.of(
                "--impressions=" + logs.resolve(RecordType.IMPRESSION.directory()) + "/**",
                "--clicks=" + logs.resolve(RecordType.CLICK.directory()) + "/**",
                "--conversions=" + logs.resolve(RecordType.CONVERSION.directory()) + "/**",
                "--userProfiles=" + logs.resolve(RecordType.USER_PROFILE.directory()) + "/**",
                "--adMetadata=" + logs.resolve(RecordType.AD_METADATA.directory()) + "/**",
                "--buckets=8",
                // The generated logs carry 3% bad records, above the gate's validity threshold:
                // report, do not exit 1.
                "--failOnBreach=false",
                "--flinkMaster=" + flink.master(),
                "--parallelism=2",
                "--targetParallelism=2",
                "--enforceImmutability=false",
                "--enforceEncodability=false"));
    mark("generated logs");
    Set<String> jobsBefore = jobIds();

    Path onFlink = dir.resolve("out-flink");
    Path onDirect = dir.resolve("out-direct");
    // One after the other: on 2 cores, running both at once was slower.
    for (String runner : List.of("FlinkRunner", "DirectRunner")) {
      try (BundledJar.Run run =
          start(dir, runner, options, runner.equals("FlinkRunner") ? onFlink : onDirect)) {
        assertThat(run.log(), run.waitFor(300), equalTo(0));
      }
      mark(runner + " run");
    }
    JsonNode job = flink.awaitJob(j -> !jobsBefore.contains(j.path("jid").asText()), 10_000);
    assertThat(
        "the job ran in the cluster: " + job, job.path("state").asText(), equalTo("FINISHED"));
    assertThat(job.toString(), job.path("name").asText(), startsWith("trainingdatapipeline"));
    assertThat(
        "Direct ran in its own process, not in the cluster",
        jobIds().size(),
        equalTo(jobsBefore.size() + 1));
    PipelineFixtures.assertWrittenLabelsAreTheTruth(logs, onFlink);
    List<GenericRecord> directRows = Benchmark.readParquet(onDirect.resolve("training"));
    RowComparison cmp =
        RowComparison.of(directRows, Benchmark.readParquet(onFlink.resolve("training")));
    assertThat(cmp.examples.toString(), cmp.correct(), equalTo(true));
    assertThat((long) directRows.size(), greaterThan(100L));
    assertThat(
        PipelineFixtures.jsonLines(onFlink.resolve("dead_letters")),
        equalTo(PipelineFixtures.jsonLines(onDirect.resolve("dead_letters"))));

    mark("checks");
    // Dataflow, offline, from the same jar and options: its dry run builds the job, submits
    // nothing.
    List<String> dryRun = new ArrayList<>(options);
    Path jobJson = dir.resolve("dataflow/job.json");
    dryRun.addAll(
        List.of(
            "--layer=batch",
            "--jobFile=" + jobJson,
            "--output=" + dir.resolve("out-dataflow"),
            "--project=ctr-beam-offline",
            "--region=us-central1",
            "--tempLocation=gs://ctr-beam-offline/tmp"));
    try (BundledJar.Run run =
        BundledJar.start(
            dir.resolve("dataflow.log"), "io.ctrbeam.pipelines.DataflowDryRun", dryRun)) {
      assertThat(run.log(), run.waitFor(120), equalTo(0));
      assertThat(run.log(), containsString("JOB_TYPE_BATCH"));
    }
    JsonNode dfJob = new ObjectMapper().readTree(jobJson.toFile());
    mark("dataflow translation");
    assertThat(dfJob.path("type").asText(), equalTo("JOB_TYPE_BATCH"));
    List<String> steps = DataflowOffline.stepUserNames(dfJob);
    for (String step :
        List.of("ReadImpressions/", "Label/", "AddFeatures/", "Weigh/", "WriteTrainingData/")) {
      assertThat(steps, hasItem(startsWith(step)));
    }
  }

  /**
   * The speed layer, submitted detached with the cluster settings of {@code
   * runners/flink/config.yaml}: it labels the stream into Kafka and writes features to Redis from
   * inside the cluster, runs with the file's checkpointing and state backend, and stops when
   * cancelled over REST.
   */
  @Test
  void speedLayerFromTheJarRunsInTheClusterWithTheRunnersConfigUntilCancelled(@TempDir Path dir)
      throws Exception {
    mark("before the speed layer test");
    // 500 impressions: what this test shows (the cluster path with the file's settings) does not
    // depend on the volume; at 1,500 the RocksDB job took 52-95 s to label them all, at 500 37 s.
    GeneratedLogs logs = SpeedLayerFixtures.logs(500);
    Path conf = Files.createDirectories(dir.resolve("flink-conf"));
    Files.writeString(
        conf.resolve("config.yaml"),
        Files.readString(Path.of("runners/flink/config.yaml"))
            .replace("s3://YOUR_BUCKET/", dir.toUri().toString()));
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        RedisServerProcess redis = RedisServerProcess.start()) {
      SpeedLayerFixtures.produce(kafka, logs);
      Set<String> jobsBefore = jobIds();
      List<String> args =
          List.of(
              "--runner=FlinkRunner",
              "--flinkMaster=" + flink.master(),
              "--flinkConfDir=" + conf,
              "--parallelism=1",
              "--attachedMode=false",
              "--bootstrapServers=" + kafka.bootstrapServers(),
              "--redisHost=" + redis.host(),
              "--redisPort=" + redis.port(),
              "--snapshotPeriod=1h",
              "--maxDelay=10m",
              "--labelsTopic=labels",
              "--buckets=8",
              "--output=" + dir.resolve("speed"));
      try (BundledJar.Run run = BundledJar.start(dir.resolve("speed.log"), SPEED, args)) {
        mark("kafka, redis up");
        JsonNode job = flink.awaitJob(j -> !jobsBefore.contains(j.path("jid").asText()), 120_000);
        String jid = job.path("jid").asText();
        assertThat(job.toString(), job.path("name").asText(), startsWith("speedlayerpipeline"));
        mark("job running");
        List<ConsumerRecord<String, String>> labels =
            kafka.consume("labels", (int) logs.truth().impressions(), 120_000);
        mark("labels read");
        long redisKeys = SpeedLayerFixtures.waitForStableKeyCount(redis, 30_000);
        mark("redis stable");
        JsonNode checkpoints = flink.get("/jobs/" + jid + "/checkpoints/config");
        assertThat(
            "still running in the cluster: " + run.log(),
            flink.get("/jobs/" + jid).path("state").asText(),
            equalTo("RUNNING"));

        flink.cancel(jid);
        flink.awaitJob(
            j -> j.path("jid").asText().equals(jid) && j.path("state").asText().equals("CANCELED"),
            30_000);
        mark("cancelled");
        assertThat(
            "the detached client returns once the job is cancelled: " + run.log(),
            run.waitFor(60),
            equalTo(0));

        mark("client exited");
        SpeedLayerFixtures.assertLabels("from the cluster", labels, logs);
        assertThat(redisKeys, greaterThan(50L));
        try (Jedis j = redis.client()) {
          assertThat(
              "features carry a TTL",
              j.pttl(j.keys("ctr:feat:user:*").iterator().next()),
              greaterThan(0L));
        }
        // What runners/flink/config.yaml says, as the cluster reports it.
        assertThat(checkpoints.toString(), checkpoints.path("interval").asLong(), equalTo(60_000L));
        assertThat(
            checkpoints.toString(), checkpoints.path("mode").asText(), equalTo("exactly_once"));
        assertThat(
            checkpoints.toString(),
            checkpoints.path("state_backend").asText(),
            containsString("RocksDB"));
        assertThat(
            checkpoints.toString(),
            checkpoints.path("externalization").path("delete_on_cancellation").asBoolean(true),
            equalTo(false));
      }
    }
  }

  /** Starts the batch pipeline from the jar on {@code runner}, writing to {@code out}. */
  private static BundledJar.Run start(Path dir, String runner, List<String> options, Path out)
      throws Exception {
    List<String> args = new ArrayList<>(options);
    args.add("--runner=" + runner);
    args.add("--output=" + out);
    return BundledJar.start(dir.resolve(runner + ".log"), BATCH, args);
  }

  private static Set<String> jobIds() throws Exception {
    Set<String> ids = new HashSet<>();
    for (JsonNode j : flink.jobs()) {
      ids.add(j.path("jid").asText());
    }
    return ids;
  }
}
