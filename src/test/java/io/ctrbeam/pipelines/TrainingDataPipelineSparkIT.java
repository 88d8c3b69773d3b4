package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctrbeam.baseline.RowComparison;
import io.ctrbeam.generate.GroundTruth;
import io.ctrbeam.generate.WriteResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch pipeline on SparkRunner in local mode writes the same labels, features and feature
 * table as on DirectRunner, and its labels are the generator's truth.
 *
 * <p>Runs in failsafe's {@code spark-it} execution (tag {@code spark}), whose classpath carries
 * Spark 3.5 and Scala 2.12 instead of the Kafka broker's Scala 2.13.
 */
@Tag("spark")
class TrainingDataPipelineSparkIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SNAPSHOTS = "2025-06-01T12:00:00Z,2025-06-02T00:00:00Z";

  @BeforeAll
  static void sparkOnLoopbackOnly() {
    // SparkConf reads spark.* system properties: driver RPC and block manager on 127.0.0.1, no web
    // UI.
    System.setProperty("spark.driver.bindAddress", "127.0.0.1");
    System.setProperty("spark.driver.host", "127.0.0.1");
    System.setProperty("spark.ui.enabled", "false");
  }

  @Test
  void labelsAndFeaturesOnSparkEqualDirectsAndTheTruth(@TempDir Path dir) throws Exception {
    WriteResult logs =
        PipelineFixtures.writeLogs(PipelineFixtures.smallWorld(), dir.resolve("logs"));
    GroundTruth truth = logs.truth();

    TrainingDataOptions direct = PipelineFixtures.directOptions();
    PipelineFixtures.pointAt(direct, dir.resolve("logs"), dir.resolve("direct"));
    direct.setFeatureSnapshotsAt(SNAPSHOTS);
    assertThat(
        TrainingDataPipeline.run(direct).waitUntilFinish(), equalTo(PipelineResult.State.DONE));

    // The runner alone differs; --buckets and the stateful-in-batch choices take Spark's defaults.
    TrainingDataOptions spark =
        PipelineOptionsFactory.fromArgs("--runner=SparkRunner", "--sparkMaster=local[2]")
            .as(TrainingDataOptions.class);
    PipelineFixtures.pointAt(spark, dir.resolve("logs"), dir.resolve("spark"));
    spark.setFeatureSnapshotsAt(SNAPSHOTS);
    PipelineResult result = TrainingDataPipeline.run(spark);
    assertThat(result.waitUntilFinish(), equalTo(PipelineResult.State.DONE));
    assertThat(
        "ran on Spark", result.getClass().getName(), startsWith("org.apache.beam.runners.spark."));
    RunSummary summary = RunSummary.of(result, spark.getOutput());

    // Labels against the generator's truth.
    assertThat(truth.positives(), greaterThan(20L));
    assertThat(summary.label("clicked_positive"), equalTo(truth.positives()));
    assertThat(summary.label("clicked_negative"), equalTo(truth.negatives()));
    PipelineFixtures.assertAccounting(summary, truth);
    PipelineFixtures.assertRecordsConserved(dir.resolve("logs"), dir.resolve("spark"), summary);
    PipelineFixtures.assertWrittenLabelsAreTheTruth(dir.resolve("logs"), dir.resolve("spark"));

    // Every training row, field by field (labels, weights, point-in-time features, enrichment),
    // against Direct's.
    RowComparison rows =
        RowComparison.of(
            Benchmark.readParquet(dir.resolve("direct/training")),
            Benchmark.readParquet(dir.resolve("spark/training")));
    assertThat(rows.expectedRows, greaterThan(100L));
    assertThat(String.valueOf(rows.examples), rows.mismatchedRows, equalTo(0L));
    assertThat(rows.actualRows, equalTo(rows.expectedRows));

    // The per-key feature table at both snapshot instants, against Direct's.
    Map<String, GenericRecord> directFeatures = featureTable(dir.resolve("direct/features"));
    Map<String, GenericRecord> sparkFeatures = featureTable(dir.resolve("spark/features"));
    assertThat(directFeatures.size(), greaterThan(100));
    assertThat(sparkFeatures.keySet(), equalTo(directFeatures.keySet()));
    for (Map.Entry<String, GenericRecord> e : directFeatures.entrySet()) {
      assertSameFeatures(e.getKey(), e.getValue(), sparkFeatures.get(e.getKey()));
    }

    // Corrections and dead letters: the same records, but for what depends on the run's clock.
    List<String> corrections = jsonLines(dir.resolve("spark/corrections"));
    assertThat((long) corrections.size(), equalTo(summary.label("corrections")));
    assertThat(corrections, equalTo(jsonLines(dir.resolve("direct/corrections"))));
    assertThat(jsonLines(dir.resolve("spark/dead_letters")).size(), greaterThan(10));
    List<String> sparkDead = withoutRunClock(jsonLines(dir.resolve("spark/dead_letters")));
    List<String> directDead = withoutRunClock(jsonLines(dir.resolve("direct/dead_letters")));
    assertThat(
        onlyInFirst(sparkDead, directDead) + " / " + onlyInFirst(directDead, sparkDead),
        sparkDead,
        equalTo(directDead));
  }

  /** The feature table's rows by (key_kind, key, as_of). */
  private static Map<String, GenericRecord> featureTable(Path dir) throws IOException {
    Map<String, GenericRecord> rows = new TreeMap<>();
    for (GenericRecord r : Benchmark.readParquet(dir)) {
      GenericRecord prev =
          rows.put(r.get("key_kind") + "|" + r.get("key") + "|" + r.get("as_of"), r);
      assertThat("one row per key and instant", prev, equalTo(null));
    }
    return rows;
  }

  private static void assertSameFeatures(String key, GenericRecord want, GenericRecord got) {
    for (String f : List.of("impressions_24h", "clicks_24h")) {
      assertThat(key + " " + f, got.get(f), equalTo(want.get(f)));
    }
    for (String f : List.of("ctr_24h", "decayed_impressions", "decayed_clicks", "decayed_ctr")) {
      Object w = want.get(f);
      Object g = got.get(f);
      if (w == null || g == null) {
        assertThat(key + " " + f, g, equalTo(w));
      } else {
        double x = (Double) w;
        assertThat(key + " " + f, (Double) g, closeTo(x, 1e-9 * Math.abs(x) + 1e-300));
      }
    }
  }

  /** All lines of the JSON-lines files under a directory, sorted; none when nothing was written. */
  private static List<String> jsonLines(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(p -> p.toString().endsWith(".jsonl"))
          .flatMap(TrainingDataPipelineSparkIT::lines)
          .sorted()
          .toList();
    }
  }

  private static List<String> withoutRunClock(List<String> lines) throws IOException {
    List<String> out = new ArrayList<>(lines.size());
    for (String line : lines) {
      ObjectNode n = (ObjectNode) JSON.readTree(line);
      n.remove("rejected_at");
      // A BAD_TIMESTAMP message names the limit: the run's start + 1 h.
      n.put("message", n.get("message").asText().replaceFirst("\\(limit \\d+\\)", "(limit)"));
      out.add(n.toString());
    }
    Collections.sort(out);
    return out;
  }

  private static List<String> onlyInFirst(List<String> a, List<String> b) {
    List<String> rest = new ArrayList<>(a);
    b.forEach(rest::remove);
    return rest;
  }

  private static Stream<String> lines(Path f) {
    try {
      return Files.readAllLines(f).stream();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
