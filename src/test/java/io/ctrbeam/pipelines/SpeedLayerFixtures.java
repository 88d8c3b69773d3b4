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

/** A small stream with known truth on Kafka, and checks of the speed layer's labels topic against it. */
final class SpeedLayerFixtures {
  private static final long DAY = 24 * 3_600_000L;

  private SpeedLayerFixtures() {}

  /** 1,500 impressions and their clicks, in order (no late events), 1% bad records. */
  static GeneratedLogs logs() {
    return LogGenerator.generate(
        GeneratorConfig.defaults().withImpressionsPerDay(1_500).withUsers(60).withAds(25).withAdvertisers(8)
            .withLateFraction(0).withBadRecordRate(0.01).withSeed(11).withThreads(1));
  }

  /**
   * Creates the topics {@code impressions}, {@code clicks} and {@code labels} (one partition each)
   * and sends the logs' impressions and clicks, then two impressions and clicks a day after the last
   * event: event time moves only with events, so they move both watermarks past the data.
   */
  static void produce(EmbeddedKafka kafka, GeneratedLogs logs) throws Exception {
    kafka.createTopic("impressions", 1);
    kafka.createTopic("clicks", 1);
    kafka.createTopic("labels", 1);
    kafka.produce("impressions", logs.lines(RecordType.IMPRESSION));
    kafka.produce("clicks", logs.lines(RecordType.CLICK));
    long later = logs.events().stream().filter(e -> e.passesIngest()).mapToLong(e -> e.eventTime()).max().orElseThrow() + DAY;
    // Two of each: a partition's watermark follows its second largest event time (a lone outlier does not carry it).
    for (int i = 1; i <= 2; i++) {
      kafka.produce("impressions", List.of("{\"impression_id\":\"sentinel-" + i + "\",\"event_time\":" + (later + i)
          + ",\"user_id\":\"sentinel\",\"ad_id\":\"sentinel\",\"position\":1}"));
      kafka.produce("clicks", List.of("{\"click_id\":\"sentinel-" + i + "\",\"impression_id\":\"sentinel-" + i
          + "\",\"event_time\":" + (later + i + 1) + "}"));
    }
  }

  /** One labeled row per impression, as many positives as the truth, each row with its features. */
  static void assertLabels(String context, List<ConsumerRecord<String, String>> labels, GeneratedLogs logs) throws Exception {
    assertThat("one labeled row per impression on the labels topic " + context, (long) labels.size(),
        equalTo(logs.truth().impressions()));
    ObjectMapper json = new ObjectMapper();
    long positives = 0;
    for (ConsumerRecord<String, String> r : labels) {
      JsonNode n = json.readTree(r.value());
      positives += n.get("clicked").asLong();
      assertThat(n.has("user_ctr_24h"), equalTo(true));
    }
    assertThat("positives " + context, positives, equalTo(logs.truth().positives()));
  }

  /** The number of feature keys in Redis once two reads 3 s apart agree (the last count after the timeout). */
  static long waitForStableKeyCount(RedisServerProcess redis, long timeoutMs) throws InterruptedException {
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
