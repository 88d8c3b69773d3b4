package io.ctrbeam.ingest;

import static io.ctrbeam.ingest.IngestFixtures.CLOCK;
import static io.ctrbeam.ingest.IngestFixtures.T0;
import static io.ctrbeam.ingest.IngestFixtures.impressionJson;

import io.ctrbeam.label.LabelImpressions;
import io.ctrbeam.label.LabelInputs;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.TestPipelineExtension;
import java.util.List;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bounded labeling fed through {@link IngestRecords}: each labeled row is timestamped with its
 * label_time (the contract of {@code LabelResult.examples()}: a positive at its click's time, a
 * negative at t + T), as with input timestamped by hand. It once came out at the end of the global
 * window.
 */
@ExtendWith(TestPipelineExtension.class)
class IngestThenLabelTimestampsTest {
  private static final long MIN = 60_000L;
  private static final long T = 2 * 60 * MIN;

  private static String click(String id, String impressionId, long t) {
    return "{\"click_id\":\""
        + id
        + "\",\"impression_id\":\""
        + impressionId
        + "\",\"event_time\":"
        + t
        + "}";
  }

  private static RawRecord raw(String source, long line, String text) {
    return new RawRecord(source, line, text, null);
  }

  /** {@code id|label_time|element timestamp}. */
  static final class StampFn extends DoFn<TrainingExample, String> {
    @ProcessElement
    public void process(
        @Element TrainingExample r, @Timestamp Instant ts, OutputReceiver<String> out) {
      out.output(
          r.getImpressionId() + "|" + r.getLabelTime().toEpochMilli() + "|" + ts.getMillis());
    }
  }

  @Test
  void boundedRowsFromIngestAreTimestampedAtTheirLabelTime(TestPipeline p) {
    PCollection<RawRecord> impLines =
        p.apply(
            "ImpressionLines",
            Create.of(
                    raw("imps.jsonl", 1, impressionJson("i1", T0, 1, "US")),
                    raw("imps.jsonl", 2, impressionJson("i2", T0 + MIN, 1, "US")),
                    raw("imps.jsonl", 3, impressionJson("i3", T0 + 10 * MIN, 2, null)),
                    raw("imps.jsonl", 4, impressionJson("i3", T0 + 11 * MIN, 2, null)))
                .withCoder(AvroCoder.of(RawRecord.class)));
    PCollection<RawRecord> clickLines =
        p.apply(
            "ClickLines",
            Create.of(
                    raw("clicks.jsonl", 1, click("c1", "i1", T0 + 5 * MIN)),
                    raw("clicks.jsonl", 2, click("c1", "i1", T0 + 6 * MIN)))
                .withCoder(AvroCoder.of(RawRecord.class)));
    IngestResult<io.ctrbeam.schema.Impression> imps =
        impLines.apply("IngestImpressions", IngestRecords.impressions().withClock(CLOCK));
    IngestResult<io.ctrbeam.schema.Click> clicks =
        clickLines.apply("IngestClicks", IngestRecords.clicks().withClock(CLOCK));
    PCollection<TrainingExample> rows =
        LabelInputs.of(imps.records(), clicks.records())
            .apply("Label", LabelImpressions.create().withoutConversions())
            .examples();
    // A positive at its click's time; negatives at t + T (2 h); the duplicates never get here.
    PAssert.that(rows.apply("Stamps", ParDo.of(new StampFn())))
        .containsInAnyOrder(
            List.of(
                "i1|" + (T0 + 5 * MIN) + "|" + (T0 + 5 * MIN),
                "i2|" + (T0 + MIN + T) + "|" + (T0 + MIN + T),
                "i3|" + (T0 + 10 * MIN + T) + "|" + (T0 + 10 * MIN + T)));
    p.run().waitUntilFinish();
  }
}
