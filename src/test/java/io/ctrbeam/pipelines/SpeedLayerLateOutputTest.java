package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.common.DeadLetterSink;
import io.ctrbeam.ingest.IngestRecords;
import io.ctrbeam.ingest.IngestResult;
import io.ctrbeam.label.LabelInputs;
import io.ctrbeam.label.LabelResult;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.testing.TestFiles;
import io.ctrbeam.testing.TestPipelineExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corrections and dead letters are late in event time by construction. Driven by TestStream, a late
 * click and a late bad record go through the speed layer's ingest, labeling and its real file
 * sinks, and every one of them must be a line in the files.
 */
@ExtendWith(TestPipelineExtension.class)
class SpeedLayerLateOutputTest {
  private static final long T0 = 1_709_596_800_000L;
  private static final long MIN = 60_000L;
  private static final long HOUR = 60 * MIN;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static TimestampedValue<RawRecord> raw(String topic, long offset, String text, long t) {
    RawRecord r =
        RawRecord.newBuilder()
            .setSource(topic + "-0")
            .setSourceOffset(offset)
            .setText(text)
            .build();
    return TimestampedValue.of(r, new Instant(t));
  }

  private static TimestampedValue<RawRecord> impression(String id, long t) {
    return raw(
        "impressions",
        t,
        String.format(
            "{\"impression_id\":\"%s\",\"event_time\":%d,\"user_id\":\"u\",\"ad_id\":\"a\",\"position\":1}",
            id, t),
        t);
  }

  private static TimestampedValue<RawRecord> click(String id, String impressionId, long t) {
    return raw(
        "clicks",
        t,
        String.format(
            "{\"click_id\":\"%s\",\"impression_id\":\"%s\",\"event_time\":%d}",
            id, impressionId, t),
        t);
  }

  @Test
  void lateClicksAndLateBadRecordsReachTheSpeedLayersFiles(TestPipeline p) throws Exception {
    TestStream<RawRecord> stream =
        TestStream.create(AvroCoder.of(RawRecord.class))
            .advanceWatermarkTo(new Instant(T0 - HOUR))
            .addElements(impression("i1", T0), impression("i2", T0), click("c2", "i2", T0 + MIN))
            // past t + T: i1 goes out as a negative
            .advanceWatermarkTo(new Instant(T0 + 3 * HOUR))
            .addElements(
                click("c1", "i1", T0 + 2 * MIN), // valid, but late: a correction
                raw("impressions", 99, "{not json", T0 + MIN), // a bad record, late too
                raw("clicks", 98, "{\"click_id\":\"c3\"}", T0 + MIN)) // MISSING_FIELD, late
            .advanceProcessingTime(Duration.standardMinutes(5))
            // past the allowed lateness (1 day) of i2's click: a valid click now is LATE_CLICK
            .advanceWatermarkTo(new Instant(T0 + 2 * 24 * HOUR))
            .addElements(click("c4", "i2", T0 + 3 * MIN))
            .advanceProcessingTime(Duration.standardMinutes(5))
            .advanceWatermarkToInfinity();
    PCollection<RawRecord> in = p.apply("Kafka", stream);
    SpeedLayerOptions o = PipelineOptionsFactory.as(SpeedLayerOptions.class);
    o.setBuckets(1); // one bucket: its timers tell it where the watermark is
    String out = dir.resolve("speed").toString();
    DeadLetterSink dl = SpeedLayerPipeline.deadLetterSink(p, out, Duration.standardMinutes(1));
    IngestResult<Impression> impressions =
        dl.register(
            in.apply("ImpressionsTopic", Filter.by(r -> r.getSource().startsWith("impressions")))
                .apply("IngestImpressions", IngestRecords.impressions()));
    IngestResult<Click> clicks =
        dl.register(
            in.apply("ClicksTopic", Filter.by(r -> r.getSource().startsWith("clicks")))
                .apply("IngestClicks", IngestRecords.clicks()));
    PCollection<Conversion> none =
        p.apply("NoConversions", Create.empty(AvroCoder.of(Conversion.class)));
    LabelResult labels =
        LabelInputs.of(impressions.records(), clicks.records(), none)
            .apply("Label", CtrTransforms.labeling(o).withoutConversions());
    dl.addErrorCollection(labels.deadLetters());
    dl.close();
    SpeedLayerPipeline.writeCorrections(labels.corrections(), out, Duration.standardMinutes(1));
    p.run().waitUntilFinish();

    List<String> dead = new ArrayList<>();
    for (JsonNode d : TestFiles.jsonLines(dir.resolve("speed/dead_letters"))) {
      dead.add(d.get("record_type").asText() + ":" + d.get("reason").asText());
    }
    assertThat(
        dead,
        containsInAnyOrder("click:LATE_CLICK", "impression:PARSE_ERROR", "click:MISSING_FIELD"));
    List<String> corrections = new ArrayList<>();
    for (JsonNode c : TestFiles.jsonLines(dir.resolve("speed/corrections"))) {
      corrections.add(
          c.get("impression_id").asText()
              + ":"
              + c.get("label").asText()
              + ":"
              + c.get("old_label").asInt()
              + "->"
              + c.get("new_label").asInt()
              + ":"
              + c.get("outcome_id").asText());
    }
    assertThat(corrections, containsInAnyOrder("i1:clicked:0->1:c1"));
  }
}
