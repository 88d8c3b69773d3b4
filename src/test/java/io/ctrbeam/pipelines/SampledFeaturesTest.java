package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.features.KeyKind;
import io.ctrbeam.generate.RecordType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch pipeline downsamples before the features, so only the kept rows are featured; their
 * features must still count every impression and click, checked by brute force over the generator's
 * valid impressions and its truth clicks.
 */
class SampledFeaturesTest {
  private static final long DAY = 24 * 3_600_000L;
  private static final KeyKind[] KINDS = KeyKind.values();

  /** One valid impression of the logs: its time and its four keys (null where a part is null). */
  private record Imp(long t, String[] keys) {}

  @Test
  void keptRowsCountEveryImpressionAndClickBeforeThem(@TempDir Path dir) throws Exception {
    Map<String, long[]> truth = PipelineFixtures.truthLabels(runWithTarget(dir, 0.10));
    long kept = PipelineFixtures.keptByDefaultSampling(truth).size();
    assertThat("most negatives were dropped", kept * 3, lessThan((long) truth.size()));
    assertThat(
        "the written rows are the kept ones", assertFeaturesMatch(dir, truth), equalTo(kept));
  }

  /** Without downsampling every row is written, and the rows serve as the impression events. */
  @Test
  void withoutSamplingEveryRowIsFeaturedFromTheRowsThemselves(@TempDir Path dir) throws Exception {
    Map<String, long[]> truth = PipelineFixtures.truthLabels(runWithTarget(dir, 0));
    assertThat(assertFeaturesMatch(dir, truth), equalTo((long) truth.size()));
  }

  /** Generates the small world under {@code dir/logs}, runs the pipeline; returns the logs. */
  private static Path runWithTarget(Path dir, double targetPositiveRate) throws Exception {
    Path logs = dir.resolve("logs");
    PipelineFixtures.writeLogs(PipelineFixtures.smallWorld(), logs);
    TrainingDataOptions o = PipelineFixtures.directOptions();
    PipelineFixtures.pointAt(o, logs, dir.resolve("out"));
    o.setTargetPositiveRate(targetPositiveRate);
    TrainingDataPipeline.run(o).waitUntilFinish();
    return logs;
  }

  /**
   * Asserts every written row's counts and decayed counts against the brute force; returns the
   * number of rows.
   */
  private static long assertFeaturesMatch(Path dir, Map<String, long[]> truth) throws Exception {
    Path logs = dir.resolve("logs");
    Map<String, Imp> byId = impressionsById(logs, truth);
    assertThat("every labeled impression found", byId.size(), equalTo(truth.size()));

    int rows = 0;
    int featured = 0;
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT * EXCLUDE (date, hour, country), epoch_ms(event_time) AS t FROM read_parquet('"
                    + dir.resolve("out/training")
                    + "/**/*.parquet', hive_partitioning=true)")) {
      while (r.next()) {
        rows++;
        String id = r.getString("impression_id");
        long t = r.getLong("t");
        Imp self = byId.get(id);
        for (int k = 0; k < KINDS.length; k++) {
          String key = self.keys()[k];
          long imps24 = r.getLong(KINDS[k].label + "_impressions_24h");
          if (key == null) {
            assertThat(id + " " + KINDS[k].label, r.wasNull(), equalTo(true));
            continue;
          }
          double[] want = bruteForce(k, key, t, byId, truth);
          assertThat(id + " " + KINDS[k].label + " impressions", imps24, equalTo((long) want[0]));
          assertThat(
              id + " " + KINDS[k].label + " clicks",
              r.getLong(KINDS[k].label + "_clicks_24h"),
              equalTo((long) want[1]));
          assertThat(
              id + " " + KINDS[k].label + " decayed impressions",
              r.getDouble(KINDS[k].label + "_decayed_impressions"),
              closeTo(want[2], 1e-9 * Math.max(1, want[2])));
          assertThat(
              id + " " + KINDS[k].label + " decayed clicks",
              r.getDouble(KINDS[k].label + "_decayed_clicks"),
              closeTo(want[3], 1e-9 * Math.max(1, want[3])));
          if (want[0] > 0) {
            featured++;
          }
        }
      }
    }
    assertThat(featured, greaterThan(rows));
    return rows;
  }

  /**
   * {impressions in (t − 24 h, t), clicks in it, decayed impressions, decayed clicks} of one key as
   * of t, over every valid impression and every truth click (half-life 24 h).
   */
  private static double[] bruteForce(
      int kind, String key, long t, Map<String, Imp> imps, Map<String, long[]> truth) {
    double[] v = new double[4];
    imps.forEach(
        (id, i) -> {
          if (!key.equals(i.keys()[kind])) {
            return;
          }
          count(v, 0, i.t(), t);
          long[] label = truth.get(id);
          if (label[0] == 1) {
            count(v, 1, label[2], t);
          }
        });
    return v;
  }

  private static void count(double[] v, int at, long ti, long t) {
    if (ti >= t) {
      return;
    }
    if (ti > t - DAY) {
      v[at] += 1;
    }
    v[2 + at] += Math.pow(2, -(double) (t - ti) / DAY);
  }

  /**
   * The logs' impressions whose ids the truth labels (injected defects have fresh ids), the
   * earliest of duplicates.
   */
  private static Map<String, Imp> impressionsById(Path logs, Map<String, long[]> truth)
      throws Exception {
    ObjectMapper json = new ObjectMapper();
    Map<String, Imp> out = new HashMap<>();
    try (Stream<Path> files = Files.walk(logs.resolve(RecordType.IMPRESSION.directory()))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        for (String line : Files.readAllLines(f)) {
          JsonNode n;
          try {
            n = json.readTree(line);
          } catch (JsonProcessingException injectedParseError) {
            continue;
          }
          String id = n.path("impression_id").asText(null);
          if (id == null || !truth.containsKey(id)) {
            continue;
          }
          String[] keys = new String[KINDS.length];
          for (int k = 0; k < KINDS.length; k++) {
            keys[k] =
                KINDS[k].keyOf(
                    text(n, "user_id"),
                    text(n, "ad_id"),
                    text(n, "advertiser_id"),
                    text(n, "ad_category"));
          }
          Imp i = new Imp(n.path("event_time").asLong(), keys);
          out.merge(id, i, (a, b) -> a.t() <= b.t() ? a : b);
        }
      }
    }
    return out;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
