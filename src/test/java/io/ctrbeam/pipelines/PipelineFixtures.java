package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.common.Reason;
import io.ctrbeam.generate.GeneratorConfig;
import io.ctrbeam.generate.GroundTruth;
import io.ctrbeam.generate.LogGenerator;
import io.ctrbeam.generate.RecordType;
import io.ctrbeam.generate.WriteResult;
import io.ctrbeam.weights.StableHash;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** Generated logs with known truth, and checks of a finished training-data run against it. */
final class PipelineFixtures {
  /** Reasons that ingest decides; the rest are decided by labeling. */
  static final Set<Reason> INGEST_REASONS =
      EnumSet.of(
          Reason.PARSE_ERROR,
          Reason.MISSING_FIELD,
          Reason.BAD_TIMESTAMP,
          Reason.BAD_POSITION,
          Reason.BAD_COUNTRY);

  private PipelineFixtures() {}

  static GeneratorConfig smallWorld() {
    return GeneratorConfig.defaults()
        .withImpressionsPerDay(3_000)
        .withDays(1)
        .withUsers(400)
        .withAds(80)
        .withAdvertisers(20)
        .withBadRecordRate(0.03)
        .withSeed(7)
        .withThreads(1);
  }

  static WriteResult writeLogs(GeneratorConfig config, Path dir) throws IOException {
    return LogGenerator.write(config.withWriteLabels(true), dir, LogGenerator.formats("jsonl"));
  }

  /**
   * Options for a whole-pipeline run on DirectRunner; the transforms' own tests keep its checks on.
   */
  static TrainingDataOptions directOptions() {
    TrainingDataOptions o = PipelineOptionsFactory.as(TrainingDataOptions.class);
    DirectOptions d = o.as(DirectOptions.class);
    d.setEnforceImmutability(false);
    d.setEnforceEncodability(false);
    return o;
  }

  static void pointAt(TrainingDataOptions o, Path logs, Path out) {
    o.setImpressions(logs.resolve(RecordType.IMPRESSION.directory()) + "/**");
    o.setClicks(logs.resolve(RecordType.CLICK.directory()) + "/**");
    o.setConversions(logs.resolve(RecordType.CONVERSION.directory()) + "/**");
    o.setUserProfiles(logs.resolve(RecordType.USER_PROFILE.directory()) + "/**");
    o.setAdMetadata(logs.resolve(RecordType.AD_METADATA.directory()) + "/**");
    o.setOutput(out.toString());
  }

  /** The truth labels: impression_id → [clicked, converted, click_time or -1]. */
  static Map<String, long[]> truthLabels(Path logs) throws IOException {
    ObjectMapper json = new ObjectMapper();
    Map<String, long[]> labels = new HashMap<>();
    for (String line : Files.readAllLines(logs.resolve("truth/labels.jsonl"))) {
      JsonNode n = json.readTree(line);
      labels.put(
          n.get("impression_id").asText(),
          new long[] {
            n.get("clicked").asLong(),
            n.get("converted").asLong(),
            n.get("click_time").isNull() ? -1 : n.get("click_time").asLong()
          });
    }
    return labels;
  }

  /**
   * The truth labels of the rows the default downsampling keeps: every positive, and a negative
   * when the hash of its id (seed 0) falls under r(1 − 0.1) / (0.1(1 − r)), r the true positive
   * rate.
   */
  static Map<String, long[]> keptByDefaultSampling(Map<String, long[]> truth) {
    double r = truth.values().stream().filter(v -> v[0] == 1).count() / (double) truth.size();
    double rate = Math.min(1.0, r * 0.9 / (0.1 * (1 - r)));
    Map<String, long[]> kept = new HashMap<>();
    truth.forEach(
        (id, v) -> {
          if (v[0] == 1 || StableHash.unit(0L, id) < rate) {
            kept.put(id, v);
          }
        });
    return kept;
  }

  /**
   * Asserts that the rows written under {@code out} are the generator's truth labels of the rows
   * the default downsampling keeps: the same impressions, each with its clicked, converted and
   * click_time.
   */
  static void assertWrittenLabelsAreTheTruth(Path logs, Path out) throws Exception {
    Map<String, long[]> expected = keptByDefaultSampling(truthLabels(logs));
    Map<String, long[]> written = writtenLabels(out);
    assertThat(written.size(), equalTo(expected.size()));
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      assertThat(e.getKey(), written.get(e.getKey()), equalTo(e.getValue()));
    }
  }

  /**
   * The written training rows, read back with DuckDB: impression_id → [clicked, converted,
   * click_time or -1].
   */
  static Map<String, long[]> writtenLabels(Path out) throws Exception {
    Map<String, long[]> rows = new HashMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT impression_id, clicked, converted, epoch_ms(click_time) FROM read_parquet('"
                    + out.resolve("training")
                    + "/**/*.parquet', hive_partitioning=true)")) {
      while (r.next()) {
        long clickTime = r.getLong(4);
        boolean noClick = r.wasNull();
        long[] prev =
            rows.put(
                r.getString(1), new long[] {r.getLong(2), r.getLong(3), noClick ? -1 : clickTime});
        assertThat("one row per impression: " + r.getString(1), prev, equalTo(null));
      }
    }
    return rows;
  }

  /** Lines in all JSON-lines files under a directory. */
  static long jsonLines(Path dir) throws IOException {
    long n = 0;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".jsonl"))::iterator) {
        n += Files.readAllLines(f).size();
      }
    }
    return n;
  }

  /**
   * The records of each type as written to files under {@code dir}: {@code record_type} → count.
   */
  static Map<String, Long> countByField(
      Path dir, String field, String filterField, String filterValue) throws IOException {
    ObjectMapper json = new ObjectMapper();
    Map<String, Long> counts = new HashMap<>();
    if (!Files.exists(dir)) {
      return counts;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.filter(x -> x.toString().endsWith(".jsonl"))::iterator) {
        for (String line : Files.readAllLines(f)) {
          JsonNode n = json.readTree(line);
          if (filterField == null || n.get(filterField).asText().equals(filterValue)) {
            counts.merge(n.get(field).asText(), 1L, Long::sum);
          }
        }
      }
    }
    return counts;
  }

  /** Non-blank lines in every file under {@code dir}: the records a user gave the pipeline. */
  static long inputLines(Path dir) throws IOException {
    long n = 0;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        n += Files.readAllLines(f).stream().filter(l -> !l.isBlank()).count();
      }
    }
    return n;
  }

  /**
   * Records in = records out + dead-lettered for every type, each side counted on its own: the
   * input lines from the log files, the dead letters and corrections from the files the run wrote,
   * and what went out from the run's counters. Impressions end as labeled rows; clicks and
   * conversions as attributions (or corrections); profiles and ads as ingested records.
   */
  static void assertRecordsConserved(Path logs, Path out, RunSummary s) throws IOException {
    Map<String, Long> dead = countByField(out.resolve("dead_letters"), "record_type", null, null);
    Map<String, Long> corrected = countByField(out.resolve("corrections"), "label", null, null);
    for (RecordType type : RecordType.values()) {
      String name = type.typeName();
      long in = inputLines(logs.resolve(type.directory()));
      long outCount;
      switch (type) {
        case IMPRESSION:
          outCount = s.label("clicked_positive") + s.label("clicked_negative");
          break;
        case CLICK:
          outCount = s.label("click_attributed") + corrected.getOrDefault("clicked", 0L);
          break;
        case CONVERSION:
          outCount = s.label("conversion_attributed") + corrected.getOrDefault("converted", 0L);
          break;
        default:
          outCount = s.ingest(name + "_out");
      }
      long deadLettered = dead.getOrDefault(name, 0L);
      assertThat(name + ": in > 0", in > 0, equalTo(true));
      assertThat(
          name
              + ": in ("
              + in
              + " lines) = out ("
              + outCount
              + ") + dead-lettered ("
              + deadLettered
              + ")",
          outCount + deadLettered,
          equalTo(in));
    }
  }

  static void assertAccounting(RunSummary s, GroundTruth t) {
    for (RecordType type : RecordType.values()) {
      for (Reason reason : INGEST_REASONS) {
        assertThat(
            type.typeName() + " " + reason,
            s.deadLetters(type.typeName() + "_" + reason),
            equalTo(t.injected(type, reason)));
      }
    }
    assertThat(
        s.ingestDuplicates("impression"),
        equalTo(t.injected(RecordType.IMPRESSION, Reason.DUPLICATE_ID)));
    assertThat(
        s.ingestDuplicates("click"), equalTo(t.injected(RecordType.CLICK, Reason.DUPLICATE_ID)));
    assertThat("orphans", s.deadLetters("click_ORPHAN_CLICK"), equalTo(t.orphanClicks()));
    assertThat(
        "before impression",
        s.deadLetters("click_CLICK_BEFORE_IMPRESSION"),
        equalTo(t.clicksBeforeImpression()));
    assertThat(
        "outside window",
        s.deadLetters("click_CLICK_OUTSIDE_WINDOW"),
        equalTo(t.clicksOutsideWindow()));
    assertThat(
        "duplicate clicks",
        s.deadLetters("click_DUPLICATE_ID"),
        equalTo(t.injected(RecordType.CLICK, Reason.DUPLICATE_ID) + t.duplicateClicks()));
    assertThat(
        "every impression labeled once",
        s.label("clicked_positive") + s.label("clicked_negative"),
        equalTo(s.ingest("impression_out")));
  }
}
