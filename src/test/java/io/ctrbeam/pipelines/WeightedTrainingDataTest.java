package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrbeam.generate.GroundTruth;
import io.ctrbeam.generate.WriteResult;
import io.ctrbeam.weights.Estimator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch layer's weighted, downsampled Parquet, read back by an outside reader: DuckDB. */
class WeightedTrainingDataTest {
  /** contract §1: every training-example field and the DuckDB type its Avro type must read as. */
  private static Map<String, String> specTypes() {
    Map<String, String> t = new LinkedHashMap<>();
    String ts = "TIMESTAMP WITH TIME ZONE";
    // Impression
    t.put("impression_id", "VARCHAR");
    t.put("event_time", ts);
    t.put("user_id", "VARCHAR");
    t.put("ad_id", "VARCHAR");
    t.put("position", "INTEGER");
    t.put("advertiser_id", "VARCHAR");
    t.put("ad_category", "VARCHAR");
    t.put("device", "VARCHAR");
    t.put("request_id", "VARCHAR");
    // labels and bookkeeping
    t.put("clicked", "INTEGER");
    t.put("converted", "INTEGER");
    t.put("click_time", ts);
    t.put("click_delay_ms", "BIGINT");
    t.put("conversion_time", ts);
    t.put("conversion_delay_ms", "BIGINT");
    t.put("label_time", ts);
    t.put("elapsed_ms", "BIGINT");
    t.put("label_confidence", "DOUBLE");
    t.put("label_kind", "VARCHAR");
    // context
    t.put("hour_of_day", "INTEGER");
    t.put("day_of_week", "INTEGER");
    // features (contract §3) and enrichment
    for (String k : new String[] {"user", "ad", "advertiser", "user_category"}) {
      t.put(k + "_impressions_24h", "BIGINT");
      t.put(k + "_clicks_24h", "BIGINT");
      t.put(k + "_ctr_24h", "DOUBLE");
      t.put(k + "_decayed_impressions", "DOUBLE");
      t.put(k + "_decayed_clicks", "DOUBLE");
      t.put(k + "_decayed_ctr", "DOUBLE");
    }
    t.put("user_age_bucket", "VARCHAR");
    t.put("user_gender", "VARCHAR");
    t.put("user_interests", "VARCHAR[]");
    t.put("ad_meta_advertiser_id", "VARCHAR");
    t.put("ad_meta_category", "VARCHAR");
    // weights
    for (String w :
        new String[] {
          "position_propensity", "ipw_weight", "sampling_rate", "sampling_weight", "weight"
        }) {
      t.put(w, "DOUBLE");
    }
    // Hive partition columns; country, an Impression field, is the partition's (unknown for null).
    // DuckDB infers date=YYYY-MM-DD as DATE and keeps the zero-padded hour=HH as text.
    t.put("date", "DATE");
    t.put("hour", "VARCHAR");
    t.put("country", "VARCHAR");
    return t;
  }

  @Test
  void duckDbReadsWeightedSampledPartitionsWithTheSpecTypesAndTheUnsampledRate(@TempDir Path dir)
      throws Exception {
    WriteResult logs =
        PipelineFixtures.writeLogs(
            PipelineFixtures.smallWorld().withImpressionsPerDay(6_000), dir.resolve("logs"));
    GroundTruth truth = logs.truth();
    TrainingDataOptions o = PipelineFixtures.directOptions();
    PipelineFixtures.pointAt(o, dir.resolve("logs"), dir.resolve("out"));
    o.setBuckets(2);
    PipelineResult result = TrainingDataPipeline.run(o);
    result.waitUntilFinish();
    RunSummary summary = RunSummary.of(result, o.getOutput());
    long written = summary.weights("positives_kept") + summary.weights("negatives_kept");
    assertThat(summary.weights("negatives_dropped"), greaterThan(0L));
    assertThat(written + summary.weights("negatives_dropped"), equalTo(truth.impressions()));

    String src =
        "read_parquet('"
            + dir.resolve("out/training")
            + "/**/*.parquet', hive_partitioning = true)";
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement()) {
      Map<String, String> types = new TreeMap<>();
      try (ResultSet r = s.executeQuery("DESCRIBE SELECT * FROM " + src)) {
        while (r.next()) {
          types.put(r.getString("column_name"), r.getString("column_type"));
        }
      }
      assertThat(types, equalTo(new TreeMap<>(specTypes())));

      try (ResultSet r =
          s.executeQuery(
              "SELECT count(*), sum(clicked),"
                  + " sum(sampling_weight * clicked) / sum(sampling_weight), sum(weight * clicked) / sum(weight),"
                  + " count(*) FILTER (WHERE CAST(date AS VARCHAR) <> strftime(event_time AT TIME ZONE 'UTC', '%Y-%m-%d')"
                  + "   OR hour <> strftime(event_time AT TIME ZONE 'UTC', '%H')),"
                  + " count(*) FILTER (WHERE weight <> ipw_weight * sampling_weight OR sampling_weight <> 1 / sampling_rate),"
                  + " count(*) FILTER (WHERE clicked = 1 AND sampling_weight <> 1)"
                  + " FROM "
                  + src)) {
        r.next();
        assertThat("rows = the run's kept rows", r.getLong(1), equalTo(written));
        assertThat("every positive kept", r.getLong(2), equalTo(truth.positives()));
        double unsampled = (double) truth.positives() / truth.impressions();
        // Σ 1/q over kept negatives has sd sqrt(n(1-q)/q); the weighted rate moves by r/N per unit:
        // 4 sd.
        JsonNode plan = summary.report("sampling_plan");
        double q = plan.path("negative_sampling_rate").asDouble();
        assertThat(q, closeTo(unsampled * 0.9 / (0.1 * (1 - unsampled)), 1e-12));
        double sd = Math.sqrt(truth.negatives() * (1 - q) / q);
        assertThat(
            "weighted positive rate ~ unsampled rate",
            Math.abs(r.getDouble(3) - unsampled),
            lessThan(4 * sd * unsampled / truth.impressions()));
        JsonNode report = summary.report("weights");
        assertThat(
            r.getDouble(3),
            closeTo(report.path("sampling_weighted_positive_rate_out").asDouble(), 1e-9));
        assertThat(
            r.getDouble(4), closeTo(report.path("weighted_positive_rate_out").asDouble(), 1e-9));
        assertThat("partitions are the rows' UTC date and hour", r.getLong(5), equalTo(0L));
        assertThat(
            "weight = ipw x sampling, sampling_weight = 1 / rate", r.getLong(6), equalTo(0L));
        assertThat("positives weigh 1 for sampling", r.getLong(7), equalTo(0L));
      }
      try (ResultSet r =
          s.executeQuery("SELECT count(*) FROM " + src + " WHERE country = 'unknown'")) {
        r.next();
        assertThat("rows without a country go to country=unknown", r.getLong(1), greaterThan(0L));
      }
    }
    assertThat(Files.exists(dir.resolve("out/_reports/propensities.json")), equalTo(true));

    // A later run reads the table back with --propensities and writes its propensities.
    TrainingDataOptions again = PipelineFixtures.directOptions();
    PipelineFixtures.pointAt(again, dir.resolve("logs"), dir.resolve("again"));
    again.setBuckets(2);
    again.setPropensities(dir.resolve("out/_reports/propensities.json").toString());
    again.setPropensityEstimator(Estimator.NAIVE);
    PipelineResult second = TrainingDataPipeline.run(again);
    second.waitUntilFinish();
    assertThat(
        RunSummary.of(second, again.getOutput())
            .report("propensities_used")
            .path("source")
            .asText(),
        equalTo(dir.resolve("out/_reports/propensities.json").toString()));
    Map<Integer, Double> fromFile = new TreeMap<>();
    for (JsonNode e : summary.report("propensities").path("propensities")) {
      if (e.path("context").asText().equals("*")) {
        fromFile.put(e.path("position").asInt(), e.path("em").asDouble());
      }
    }
    Map<Integer, Double> used = new TreeMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT DISTINCT position, position_propensity FROM read_parquet('"
                    + dir.resolve("again/training")
                    + "/**/*.parquet', hive_partitioning = true)")) {
      while (r.next()) {
        assertThat(
            "one propensity a position", used.put(r.getInt(1), r.getDouble(2)), equalTo(null));
      }
    }
    assertThat(
        "the file's (EM) propensities, not this run's naive estimate", used, equalTo(fromFile));
  }

  @Test
  void weightOptionsParseWithTheSeedsDefaultsAndRefuseABadRate() {
    TrainingDataOptions o =
        PipelineOptionsFactory.fromArgs("--impressions=a", "--clicks=b", "--output=c")
            .withValidation()
            .as(TrainingDataOptions.class);
    assertThat(o.getTargetPositiveRate(), equalTo(0.10));
    assertThat(o.getMaxIpwWeight(), equalTo(20.0));
    assertThat(o.getPropensityEstimator(), equalTo(Estimator.EM));
    assertThat(o.getTargetFileSize(), equalTo("256MB"));
    o.setObservedPositiveRate(1.5);
    assertThrows(IllegalArgumentException.class, () -> CtrTransforms.weighting(o));
  }
}
