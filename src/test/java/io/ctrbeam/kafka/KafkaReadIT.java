package io.ctrbeam.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.ingest.Format;
import io.ctrbeam.schema.FeatureSnapshot;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.testing.EmbeddedKafka;
import io.ctrbeam.testing.TestPipelineExtension;
import io.ctrbeam.testing.TestSnapshots;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class KafkaReadIT {
  private static final long T0 = 1_709_596_800_000L;
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  /** {@code <source>/<offset>@<element timestamp millis>|<text or bytes as text>}. */
  static final class Describe extends DoFn<RawRecord, String> {
    @ProcessElement
    public void process(@Element RawRecord r, @Timestamp Instant ts, OutputReceiver<String> out) {
      String payload =
          r.getText() != null
              ? "text:" + r.getText()
              : "bytes:" + StandardCharsets.UTF_8.decode(r.getBytes().duplicate());
      out.output(r.getSource() + "/" + r.getSourceOffset() + "@" + ts.getMillis() + "|" + payload);
    }
  }

  @Test
  void jsonLinesWithDisorderBecomeRawRecordsAtTheirEventTime(TestPipeline p) throws Exception {
    kafka.createTopic("impressions", 1);
    long[] offsetsInSeconds = {0, 50, 20, 90, 10, 70, 30};
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < offsetsInSeconds.length; i++) {
      lines.add(
          String.format(
              "{\"impression_id\":\"i%d\",\"nested\":{\"event_time\":1},\"event_time\":%d}",
              i, T0 + offsetsInSeconds[i] * 1000));
    }
    lines.add("{\"impression_id\":\"i7\",\"event_time\":\"not a time\"}");
    lines.add("not json at all");
    lines.add("{\"impression_id\":\"i9\",\"event_time\":\"" + (T0 + 5) + "\"}");
    List<RecordMetadata> acks = kafka.produce("impressions", lines, 0);

    PCollection<String> read =
        p.apply(
                "ReadImpressions",
                ReadKafkaRecords.from(kafka.bootstrapServers(), "impressions")
                    .withMaxDelay(org.joda.time.Duration.standardMinutes(2))
                    .withMaxNumRecords(lines.size()))
            .apply(ParDo.of(new Describe()));

    List<String> expected = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      long ts =
          i < offsetsInSeconds.length
              ? T0 + offsetsInSeconds[i] * 1000
              // unreadable: stamped with the latest event time seen, not wall-clock Kafka time
              : i == 9 ? T0 + 5 : T0 + 90_000;
      expected.add("impressions-0/" + acks.get(i).offset() + "@" + ts + "|text:" + lines.get(i));
    }
    PAssert.that(read).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  /** Window end and count of each fired pane, in the order the runner fires them. */
  private static final Queue<String> FIRED = new ConcurrentLinkedQueue<>();

  static final class RecordFired extends DoFn<Long, Void> {
    @ProcessElement
    public void process(@Element Long count, BoundedWindow window) {
      FIRED.add(window.maxTimestamp().plus(1).getMillis() + "=" + count);
    }
  }

  @Test
  void anIdlePartitionDoesNotHoldBackTheWatermarkOfLiveTraffic() throws Exception {
    kafka.createTopic("live", 3);
    long now = System.currentTimeMillis();
    long minute = 60_000L;
    Map<Long, Long> perWindow = new TreeMap<>();
    List<String> p0 = new ArrayList<>();
    List<String> p1 = new ArrayList<>();
    for (int i = 0; i < 240; i++) {
      long t = now - 20 * minute + i * 3_000L; // now - 20 min .. now - 8 min
      (i % 2 == 0 ? p0 : p1)
          .add(String.format("{\"impression_id\":\"live%d\",\"event_time\":%d}", i, t));
      perWindow.merge(t - t % minute + minute, 1L, Long::sum);
    }
    kafka.produce("live", p0, 0);
    kafka.produce("live", p1, 1); // partition 2 stays empty for the whole run

    FIRED.clear();
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--blockOnRun=false").create());
    p.apply(
            "ReadLive",
            ReadKafkaRecords.from(kafka.bootstrapServers(), "live")
                .withMaxDelay(org.joda.time.Duration.standardMinutes(1))
                .withIdleTimeout(org.joda.time.Duration.standardSeconds(2)))
        .apply(Window.<RawRecord>into(FixedWindows.of(org.joda.time.Duration.standardMinutes(1))))
        .apply(Combine.globally(Count.<RawRecord>combineFn()).withoutDefaults())
        .apply(ParDo.of(new RecordFired()));
    PipelineResult result = p.run();
    try {
      // partitions 0 and 1 put the watermark near now - 9 min: the windows ending by now - 10 min
      // must fire while the job runs, although partition 2 has never seen a record
      long cutoff = now - 10 * minute;
      List<String> expected = new ArrayList<>();
      perWindow.forEach(
          (end, n) -> {
            if (end <= cutoff) {
              expected.add(end + "=" + n);
            }
          });
      long deadline = System.currentTimeMillis() + 60_000;
      while (!new ArrayList<>(FIRED).containsAll(expected)
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(200);
      }
      assertThat(
          "windows fired on live traffic with an idle partition",
          new ArrayList<>(FIRED),
          hasItems(expected.toArray(new String[0])));
      assertThat(result.getState(), equalTo(PipelineResult.State.RUNNING));
    } finally {
      result.cancel();
    }
  }

  @Test
  void avroValuesArriveAsBytesAtTheKafkaTimestamp(TestPipeline p) throws Exception {
    kafka.createTopic("binary", 1);
    List<RecordMetadata> acks =
        kafka.produce("binary", List.of("\u0002ab", "{\"event_time\":5}"), 0);
    PCollection<String> read =
        p.apply(
                "ReadBinary",
                ReadKafkaRecords.from(kafka.bootstrapServers(), "binary")
                    .withValueFormat(Format.AVRO)
                    .withMaxNumRecords(2))
            .apply(ParDo.of(new Describe()));
    PAssert.that(read)
        .containsInAnyOrder(
            "binary-0/0@" + acks.get(0).timestamp() + "|bytes:\u0002ab",
            "binary-0/1@" + acks.get(1).timestamp() + "|bytes:{\"event_time\":5}");
    p.run().waitUntilFinish();
  }

  @Test
  void writeKafkaJsonSendsPlainJsonKeyedByTheKeyFn(TestPipeline p) throws Exception {
    kafka.createTopic("features-out", 1);
    FeatureSnapshot a = TestSnapshots.snapshot("user", "u1", T0, 4, 1);
    FeatureSnapshot b = TestSnapshots.snapshot("user", "u2", T0, 0, 0);
    p.apply(Create.of(a, b).withCoder(AvroCoder.of(FeatureSnapshot.class)))
        .apply(
            "WriteKafkaJson",
            WriteKafkaJson.<FeatureSnapshot>to(kafka.bootstrapServers(), "features-out")
                .withKeyFn(FeatureSnapshot::getKey));
    p.run().waitUntilFinish();

    List<ConsumerRecord<String, String>> got = kafka.consume("features-out", 2, 10_000);
    List<String> summary = new ArrayList<>();
    for (ConsumerRecord<String, String> r : got) {
      JsonNode j = MAPPER.readTree(r.value());
      summary.add(
          r.key()
              + ":"
              + j.get("key").asText()
              + ":"
              + j.get("as_of").asLong()
              + ":"
              + j.get("ctr_24h"));
    }
    assertThat(summary, containsInAnyOrder("u1:u1:" + T0 + ":0.25", "u2:u2:" + T0 + ":null"));
    assertThat(got.size(), equalTo(2));
  }
}
