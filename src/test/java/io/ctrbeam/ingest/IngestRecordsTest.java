package io.ctrbeam.ingest;

import static io.ctrbeam.ingest.IngestFixtures.CLOCK;
import static io.ctrbeam.ingest.IngestFixtures.T0;
import static io.ctrbeam.ingest.IngestFixtures.impressionJson;
import static io.ctrbeam.ingest.ParseRecordsTest.impression;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.hasEntry;

import io.ctrbeam.common.RecordJson;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.testing.TestPipelineExtension;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Parse + dedup on an unbounded RawRecord source, as the Kafka pipeline will use it. */
@ExtendWith(TestPipelineExtension.class)
class IngestRecordsTest {

  private static TimestampedValue<RawRecord> raw(long offset, String text, long arrival) {
    return TimestampedValue.of(new RawRecord("imps-0", offset, text, null), new Instant(arrival));
  }

  @Test
  void streamingParseAndDedupFlattenTheirDeadLetters(TestPipeline p) {
    String first = impressionJson("k1", T0, 1, "US");
    String again = impressionJson("k1", T0 + 60_000, 2, "US");
    String other = impressionJson("k2", T0 + 30_000, 1, null);
    TestStream<RawRecord> stream =
        TestStream.create(AvroCoder.of(RawRecord.class))
            .advanceWatermarkTo(new Instant(T0))
            .addElements(raw(1, first, T0 + 1000), raw(2, "{", T0 + 1000))
            .advanceWatermarkTo(new Instant(T0 + 30_000))
            .addElements(raw(3, other, T0 + 31_000), raw(4, again, T0 + 61_000))
            .advanceWatermarkToInfinity();
    IngestResult<Impression> result =
        p.apply(stream)
            .apply(
                IngestRecords.impressions()
                    .withClock(CLOCK)
                    .withDedupHorizon(Duration.standardHours(1))
                    .withDedupBuckets(2));
    PAssert.that(result.records().apply(ParDo.of(new IngestFixtures.WithTimestampFn<>())))
        .containsInAnyOrder(
            RecordJson.toJson(impression("k1", T0, 1, "US")) + "@" + T0,
            RecordJson.toJson(impression("k2", T0 + 30_000, 1, null)) + "@" + (T0 + 30_000));
    // Kept impressions leave dedup without their source (they are the bulk of the rows).
    PAssert.that(
            result.records().apply("Provenance", ParDo.of(new IngestFixtures.ProvenanceFn<>())))
        .containsInAnyOrder("null|null|null|null", "null|null|null|null");
    PAssert.that(result.deadLetters().apply(ParDo.of(new IngestFixtures.DescribeFn())))
        .containsInAnyOrder(
            "PARSE_ERROR|imps-0|2|{|null",
            // The duplicate's own source and offset; impressions carry no raw text, so the §1 line.
            "DUPLICATE_ID|imps-0|4|"
                + RecordJson.toJson(impression("k1", T0 + 60_000, 2, "US"))
                + "|"
                + (T0 + 60_000));
    p.run().waitUntilFinish();
  }

  @Test
  void displayDataShowsTheClockAndDedupOptions() {
    DisplayData data =
        DisplayData.from(IngestRecords.clicks().withClock(CLOCK).withDedupBuckets(16));
    java.util.Map<String, Object> items = new java.util.HashMap<>();
    data.items().forEach(item -> items.put(item.getKey(), item.getValue()));
    assertThat(items, hasEntry("clock", (Object) CLOCK.toString()));
    assertThat(items, hasEntry("buckets", (Object) 16L));
    assertThat(items, hasEntry("recordType", (Object) "click"));
  }
}
