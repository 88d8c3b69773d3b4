package io.ctrbeam.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.schema.FeatureSnapshot;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.serving.RedisFeatureReader;
import io.ctrbeam.serving.WriteFeaturesToRedis;
import io.ctrbeam.testing.EmbeddedKafka;
import io.ctrbeam.testing.RedisServerProcess;
import io.ctrbeam.testing.TestPipelineExtension;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Kafka → RawRecord → a stand-in feature step (counts per user and day) → Redis: proves the
 * plumbing of the speed layer, not the real features.
 */
@ExtendWith(TestPipelineExtension.class)
class KafkaToRedisIT {
  private static final long T0 = 1_709_596_800_000L;

  /** Event time and clicked flag of each JSON line, keyed by user. */
  static final class ParseEvent extends DoFn<RawRecord, KV<String, Long>> {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @ProcessElement
    public void process(@Element RawRecord r, OutputReceiver<KV<String, Long>> out)
        throws Exception {
      JsonNode j = MAPPER.readTree(r.getText());
      long clicked = "click".equals(j.get("type").asText()) ? 1 : 0;
      out.output(KV.of(j.get("user_id").asText(), j.get("event_time").asLong() * 2 + clicked));
    }
  }

  /** Impressions and clicks of a user in the window, as of the latest event. */
  static final class Snapshot extends DoFn<KV<String, Iterable<Long>>, FeatureSnapshot> {
    @ProcessElement
    public void process(
        @Element KV<String, Iterable<Long>> e, OutputReceiver<FeatureSnapshot> out) {
      long imps = 0;
      long clicks = 0;
      long asOf = Long.MIN_VALUE;
      for (long v : e.getValue()) {
        clicks += v & 1;
        imps += 1 - (v & 1);
        asOf = Math.max(asOf, v >> 1);
      }
      out.output(
          FeatureSnapshot.newBuilder()
              .setKeyKind("user")
              .setKey(e.getKey())
              .setAsOf(Instant.ofEpochMilli(asOf))
              .setImpressions24h(imps)
              .setClicks24h(clicks)
              .setCtr24h(imps == 0 ? null : (double) clicks / imps)
              .setDecayedImpressions(imps)
              .setDecayedClicks(clicks)
              .setDecayedCtr((clicks + 1.0) / (imps + 11.0))
              .build());
    }
  }

  @Test
  void eventsFromKafkaEndUpAsFeaturesInRedis(TestPipeline p) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        RedisServerProcess redis = RedisServerProcess.start()) {
      kafka.createTopic("events", 2);
      List<String> lines = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        String user = "u" + (i % 4);
        long t = T0 + i * 60_000L;
        lines.add(
            String.format(
                "{\"type\":\"impression\",\"user_id\":\"%s\",\"event_time\":%d}", user, t));
        if (i % 4 == 0 && i % 8 == 0) {
          lines.add(
              String.format(
                  "{\"type\":\"click\",\"user_id\":\"%s\",\"event_time\":%d}", user, t + 1000));
        }
      }
      kafka.produce("events", lines);

      p.apply(
              "ReadEvents",
              ReadKafkaRecords.from(kafka.bootstrapServers(), "events")
                  .withMaxNumRecords(lines.size()))
          .apply("ParseEvents", ParDo.of(new ParseEvent()))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
          .apply("DailyWindows", Window.into(FixedWindows.of(Duration.standardDays(1))))
          .apply("GroupByUser", GroupByKey.create())
          .apply("ToSnapshots", ParDo.of(new Snapshot()))
          .setCoder(AvroCoder.of(FeatureSnapshot.class))
          .apply("WriteFeaturesToRedis", WriteFeaturesToRedis.to(redis.host(), redis.port()));
      p.run().waitUntilFinish();

      try (RedisFeatureReader reader = RedisFeatureReader.connect(redis.host(), redis.port())) {
        FeatureSnapshot u0 = reader.read("user", "u0").get();
        assertThat(u0.getImpressions24h(), equalTo(10L));
        assertThat(u0.getClicks24h(), equalTo(5L));
        assertThat(u0.getCtr24h(), equalTo(0.5));
        assertThat(u0.getAsOf().toEpochMilli(), equalTo(T0 + 36 * 60_000L));
        FeatureSnapshot u3 = reader.read("user", "u3").get();
        assertThat(u3.getImpressions24h(), equalTo(10L));
        assertThat(u3.getClicks24h(), equalTo(0L));
        assertThat(u3.getCtr24h(), equalTo(0.0));
        assertThat(u3.getAsOf().toEpochMilli(), equalTo(T0 + 39 * 60_000L));
      }
    }
  }
}
