package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.generate.GeneratedLogs;
import io.ctrbeam.generate.GeneratorConfig;
import io.ctrbeam.generate.LogGenerator;
import io.ctrbeam.generate.RecordType;
import io.ctrbeam.testing.EmbeddedKafka;
import io.ctrbeam.testing.RedisServerProcess;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import redis.clients.jedis.Jedis;

/**
 * A small stream with known truth on Kafka, and checks of the speed layer's labels topic against
 * it.
 */
final class SpeedLayerFixtures {
  private static final long DAY = 24 * 3_600_000L;

  private SpeedLayerFixtures() {}

  /** 1,500 impressions and their clicks, in order (no late events), 1% bad records. */
  static GeneratedLogs logs() {
    return logs(1_500);
  }

  /** {@code impressions} impressions over a day and their clicks, as {@link #logs()}. */
  static GeneratedLogs logs(int impressions) {
    return LogGenerator.generate(
        GeneratorConfig.defaults()
            .withImpressionsPerDay(impressions)
            .withUsers(60)
            .withAds(25)
            .withAdvertisers(8)
            .withLateFraction(0)
            .withBadRecordRate(0.01)
            .withSeed(11)
            .withThreads(1));
  }

  /**
   * Creates the topics {@code impressions}, {@code clicks} and {@code labels} (one partition each)
   * and sends the logs' impressions and clicks, then three impressions and clicks a day after the
   * last event: event time moves only with events, so they move both watermarks past the data.
   */
  static void produce(EmbeddedKafka kafka, GeneratedLogs logs) throws Exception {
    kafka.createTopic("impressions", 1);
    kafka.createTopic("clicks", 1);
    kafka.createTopic("labels", 1);
    kafka.produce("impressions", logs.lines(RecordType.IMPRESSION));
    kafka.produce("clicks", logs.lines(RecordType.CLICK));
    long later =
        logs.events().stream()
                .filter(e -> e.passesIngest())
                .mapToLong(e -> e.eventTime())
                .max()
                .orElseThrow()
            + DAY;
    // Three of each: a partition's watermark follows its second largest event time (a lone outlier
    // does not carry it), and DirectRunner at random restores its reader from a checkpoint, whose
    // policy has then seen none of the sentinels read before; with two, a restore between them
    // held the watermark until the 5 min idle timeout (110 rows pending, in two runs).
    for (int i = 1; i <= 3; i++) {
      kafka.produce(
          "impressions",
          List.of(
              "{\"impression_id\":\"sentinel-"
                  + i
                  + "\",\"event_time\":"
                  + (later + i)
                  + ",\"user_id\":\"sentinel\",\"ad_id\":\"sentinel\",\"position\":1}"));
      kafka.produce(
          "clicks",
          List.of(
              "{\"click_id\":\"sentinel-"
                  + i
                  + "\",\"impression_id\":\"sentinel-"
                  + i
                  + "\",\"event_time\":"
                  + (later + i + 1)
                  + "}"));
    }
  }

  /** One labeled row per impression, as many positives as the truth, each row with its features. */
  static void assertLabels(
      String context, List<ConsumerRecord<String, String>> labels, GeneratedLogs logs)
      throws Exception {
    assertThat(
        "one labeled row per impression on the labels topic " + context,
        (long) labels.size(),
        equalTo(logs.truth().impressions()));
    ObjectMapper json = new ObjectMapper();
    long positives = 0;
    for (ConsumerRecord<String, String> r : labels) {
      JsonNode n = json.readTree(r.value());
      positives += n.get("clicked").asLong();
    }
    assertThat("positives " + context, positives, equalTo(logs.truth().positives()));
  }

  /** The label and feature fields a labels-topic row shares with the batch layer's row. */
  static final List<String> SHARED_FIELDS = sharedFields();

  private static List<String> sharedFields() {
    List<String> fields =
        new java.util.ArrayList<>(
            List.of(
                "clicked",
                "converted",
                "click_time",
                "click_delay_ms",
                "label_time",
                "elapsed_ms",
                "label_confidence",
                "label_kind",
                "hour_of_day",
                "day_of_week"));
    for (String kind : List.of("user", "ad", "advertiser", "user_category")) {
      for (String f :
          List.of(
              "impressions_24h",
              "clicks_24h",
              "ctr_24h",
              "decayed_impressions",
              "decayed_clicks",
              "decayed_ctr")) {
        fields.add(kind + "_" + f);
      }
    }
    return fields;
  }

  /**
   * Every labels-topic row equals the batch layer's row of its impression (read back with DuckDB
   * from {@code batchOut}/training, written unsampled) in every label and feature field, numbers to
   * 1e-9 relative.
   */
  static void assertLabelsEqualBatch(
      List<ConsumerRecord<String, String>> labels, java.nio.file.Path batchOut) throws Exception {
    java.util.Map<String, java.util.Map<String, Object>> batch = new java.util.HashMap<>();
    String glob = batchOut.resolve("training") + "/**/*.parquet";
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:duckdb:");
        java.sql.Statement st = c.createStatement()) {
      StringBuilder cols = new StringBuilder("impression_id");
      for (String f : SHARED_FIELDS) {
        cols.append(", ").append(f.endsWith("_time") ? "epoch_ms(" + f + ") AS " + f : f);
      }
      try (java.sql.ResultSet r =
          st.executeQuery(
              "SELECT " + cols + " FROM read_parquet('" + glob + "', hive_partitioning=true)")) {
        while (r.next()) {
          java.util.Map<String, Object> row = new java.util.HashMap<>();
          for (String f : SHARED_FIELDS) {
            row.put(f, r.getObject(f));
          }
          batch.put(r.getString("impression_id"), row);
        }
      }
    }
    ObjectMapper json = new ObjectMapper();
    List<String> differ = new java.util.ArrayList<>();
    for (ConsumerRecord<String, String> rec : labels) {
      JsonNode n = json.readTree(rec.value());
      String id = n.get("impression_id").asText();
      if (id.startsWith("sentinel")) {
        continue;
      }
      java.util.Map<String, Object> b = batch.get(id);
      if (b == null) {
        differ.add(id + ": not in the batch output");
        continue;
      }
      for (String f : SHARED_FIELDS) {
        JsonNode v = n.get(f);
        Object w = b.get(f);
        boolean same;
        if (v == null || v.isNull() || w == null) {
          same = (v == null || v.isNull()) && w == null;
        } else if (w instanceof Number x && v.isNumber()) {
          double a = v.asDouble();
          double e = x.doubleValue();
          same = a == e || Math.abs(a - e) <= 1e-9 * Math.max(Math.abs(a), Math.abs(e));
        } else {
          same = v.asText().equals(w.toString());
        }
        if (!same) {
          differ.add(id + "." + f + ": labels topic " + v + ", batch " + w);
        }
      }
    }
    assertThat(
        differ.size() + " differences, e.g. " + differ.subList(0, Math.min(10, differ.size())),
        differ.size(),
        equalTo(0));
  }

  /**
   * The number of feature keys in Redis once two reads 3 s apart agree (the last count after the
   * timeout).
   */
  static long waitForStableKeyCount(RedisServerProcess redis, long timeoutMs)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    long last = -1;
    try (Jedis j = redis.client()) {
      while (System.currentTimeMillis() < deadline) {
        long n = j.keys("ctr:feat:*").size();
        if (n > 0 && n == last) {
          return n;
        }
        last = n;
        Thread.sleep(3_000);
      }
    }
    return last;
  }
}
