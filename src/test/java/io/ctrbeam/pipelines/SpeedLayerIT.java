package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.MetricsReader;
import io.ctrbeam.generate.GeneratedLogs;
import io.ctrbeam.generate.RecordType;
import io.ctrbeam.ingest.IngestMetrics;
import io.ctrbeam.label.LabelRules;
import io.ctrbeam.testing.EmbeddedKafka;
import io.ctrbeam.testing.RedisServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * The speed layer against a real Kafka broker and a real redis-server: generated impressions and
 * clicks stream in out of order; labeled examples come out on a topic, each equal to the batch
 * layer's row in its labels and point-in-time features; every key's features in Redis equal the
 * batch layer's point-in-time snapshot at the same time (the consistency report finds no mismatch
 * and nothing missing).
 */
class SpeedLayerIT {
  /** The lines of the alert files under {@code dir}, once any appear (empty after the timeout). */
  private static List<String> waitForLines(Path dir, long timeoutMs) throws Exception {
    long end = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < end) {
      if (Files.isDirectory(dir)) {
        List<String> lines = new ArrayList<>();
        try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
          for (Path f :
              files
                  .filter(
                      x ->
                          x.getFileName().toString().startsWith("alerts")
                              && x.toString().endsWith(".jsonl"))
                  .toList()) {
            lines.addAll(Files.readAllLines(f));
          }
        }
        if (!lines.isEmpty()) {
          return lines;
        }
      }
      Thread.sleep(500);
    }
    return List.of();
  }

  private static final long HOUR = 3_600_000L;

  @Test
  void onDirectRunnerRedisFeaturesEqualTheBatchLayerAndLabelsReachKafka(@TempDir Path dir)
      throws Exception {
    check(dir, false);
  }

  @Test
  void onFlinkRunnerRedisFeaturesEqualTheBatchLayerAndLabelsReachKafka(@TempDir Path dir)
      throws Exception {
    check(dir, true);
  }

  private void check(Path dir, boolean flink) throws Exception {
    GeneratedLogs logs = SpeedLayerFixtures.logs();
    List<String> impressions = logs.lines(RecordType.IMPRESSION);
    List<String> clicks = logs.lines(RecordType.CLICK);

    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        RedisServerProcess redis = RedisServerProcess.start()) {
      SpeedLayerFixtures.produce(kafka, logs);

      SpeedLayerOptions o = PipelineOptionsFactory.as(SpeedLayerOptions.class);
      o.setBootstrapServers(kafka.bootstrapServers());
      o.setRedisHost(redis.host());
      o.setRedisPort(redis.port());
      o.setSnapshotPeriod("1h");
      o.setMaxDelay("10m");
      o.setLabelsTopic("labels");
      o.setOutput(dir.resolve("speed").toString());
      o.setBuckets(8);
      // Freshness above 0 h in every window: each hour with data must raise an alert.
      Path qualityConfig = dir.resolve("quality_config.json");
      Files.writeString(qualityConfig, "{\"defaults\": {\"freshness_hours\": 0.0}}");
      o.setQualityConfig(qualityConfig.toString());
      PipelineResult streaming = null;
      Thread flinkJob = null;
      if (flink) {
        FlinkPipelineOptions f = o.as(FlinkPipelineOptions.class);
        f.setRunner(FlinkRunner.class);
        f.setFlinkMaster("[local]");
        f.setParallelism(1);
        // An unbounded Flink job runs until its JVM ends: run it beside the test.
        flinkJob = new Thread(() -> SpeedLayerPipeline.run(o), "speed-layer-on-flink");
        flinkJob.setDaemon(true);
        flinkJob.start();
      } else {
        DirectOptions d = o.as(DirectOptions.class);
        d.setBlockOnRun(false);
        // A whole-pipeline run, as PipelineFixtures.directOptions(): the streaming transforms' own
        // tests (SpeedLayerLateOutputTest, LabelLiveTrafficTest, ...) keep Direct's checks on.
        d.setEnforceImmutability(false);
        d.setEnforceEncodability(false);
        streaming = SpeedLayerPipeline.run(o);
      }

      long expectedRows = logs.truth().impressions();
      List<ConsumerRecord<String, String>> labels =
          kafka.consume("labels", (int) expectedRows, 240_000);
      long redisKeys = SpeedLayerFixtures.waitForStableKeyCount(redis, 30_000);
      List<String> alerts = waitForLines(dir.resolve("speed/quality_alerts"), 120_000);
      String streamingCounters = "";
      if (streaming != null) {
        streamingCounters =
            MetricsReader.read(
                    streaming, DeadLetters.NAMESPACE, LabelRules.NAMESPACE, IngestMetrics.NAMESPACE)
                .toString();
        streaming.cancel();
      } else {
        flinkJob.interrupt();
      }

      SpeedLayerFixtures.assertLabels(streamingCounters, labels, logs);
      ObjectMapper json = new ObjectMapper();
      assertThat(redisKeys, greaterThan(50L));
      assertThat(
          "quality alerts per window reach <output>/quality_alerts", alerts.size(), greaterThan(0));
      for (String line : alerts) {
        JsonNode a = json.readTree(line);
        assertThat(line, a.get("metric").asText(), equalTo("freshness_hours"));
        assertThat(line, a.get("threshold").asDouble(), equalTo(0.0));
        assertThat(line, a.hasNonNull("window_start") && a.hasNonNull("window_end"), equalTo(true));
      }
      try (Jedis j = redis.client()) {
        String anyKey = j.keys("ctr:feat:user:*").iterator().next();
        assertThat("features carry a TTL", j.pttl(anyKey), greaterThan(0L));
      }

      // The batch layer over the same events, with snapshots at every hourly tick.
      Path in = dir.resolve("logs");
      Files.createDirectories(in.resolve("impressions"));
      Files.createDirectories(in.resolve("clicks"));
      Files.write(in.resolve("impressions/part.jsonl"), impressions);
      Files.write(in.resolve("clicks/part.jsonl"), clicks);
      TrainingDataOptions batch = PipelineFixtures.directOptions();
      batch.setImpressions(in.resolve("impressions") + "/*.jsonl");
      batch.setClicks(in.resolve("clicks") + "/*.jsonl");
      batch.setOutput(dir.resolve("batch").toString());
      batch.setBuckets(8);
      batch.setFeatureSnapshotsAt(hourlyTicks(logs));
      batch.setTargetPositiveRate(0);
      TrainingDataPipeline.run(batch).waitUntilFinish();
      // The labels topic carries the batch layer's labels and point-in-time features, row by row.
      SpeedLayerFixtures.assertLabelsEqualBatch(labels, dir.resolve("batch"));

      ConsistencyReport.Options report = PipelineOptionsFactory.as(ConsistencyReport.Options.class);
      report.setFeatures(dir.resolve("batch/features") + "/**/*.parquet");
      report.setRedisHost(redis.host());
      report.setRedisPort(redis.port());
      report.setOutput(dir.resolve("consistency").toString());
      Map<String, Long> counts = ConsistencyReport.run(report);
      assertThat(counts.toString(), counts.get("mismatched"), equalTo(0L));
      assertThat(counts.toString(), counts.get("missing"), equalTo(0L));
      assertThat(counts.toString(), counts.get("not_comparable"), equalTo(0L));
      assertThat("every key in Redis was compared", counts.get("matched"), equalTo(redisKeys));
    }
  }

  /** Every hour boundary from the first event's hour to two hours past the last event. */
  private static String hourlyTicks(GeneratedLogs logs) {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (var e : logs.events()) {
      if (!e.passesIngest()) {
        continue;
      }
      min = Math.min(min, e.eventTime());
      max = Math.max(max, e.eventTime());
    }
    StringJoiner ticks = new StringJoiner(",");
    for (long t = Math.floorDiv(min, HOUR) * HOUR + HOUR; t <= max + 2 * HOUR; t += HOUR) {
      ticks.add(new Instant(t).toString());
    }
    return ticks.toString();
  }
}
