package io.ctrbeam.ingest;

import static io.ctrbeam.ingest.IngestFixtures.CLOCK;
import static io.ctrbeam.ingest.IngestFixtures.T0;
import static io.ctrbeam.ingest.IngestFixtures.impressionJson;
import static io.ctrbeam.ingest.ParseRecordsTest.impression;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.schema.Impression;
import io.ctrbeam.testing.TestFiles;
import io.ctrbeam.testing.TestPipelineExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class ReadLogsTest {

  @Test
  void failsFastWhenThePatternMatchesNothing(TestPipeline p, @TempDir Path tmp) {
    p.enableAbandonedNodeEnforcement(false); // the graph is refused while built, never run
    String pattern = tmp.resolve("nothing-*.jsonl").toString();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> p.apply(ReadLogs.impressions(pattern)));
    assertThat(e.getMessage(), containsString(pattern));
    IllegalArgumentException raw =
        assertThrows(
            IllegalArgumentException.class,
            () -> p.apply(ReadRawRecords.from(tmp.resolve("missing.avro").toString())));
    assertThat(raw.getMessage(), containsString("missing.avro"));
  }

  @Test
  void autoFormatRefusesUnknownExtensionsAtConstruction(TestPipeline p, @TempDir Path tmp)
      throws Exception {
    p.enableAbandonedNodeEnforcement(false); // the graph is refused while built, never run
    IngestFixtures.writeLines(tmp.resolve("imps.csv"), "a,b");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> p.apply(ReadRawRecords.from(tmp.resolve("*").toString())));
    assertThat(e.getMessage(), containsString("imps.csv"));
  }

  /** A JSON lines and an Avro file together: records in = records out + dead letters. */
  @Test
  void recordsInEqualRecordsOutPlusDeadLetters(TestPipeline p, @TempDir Path tmp) throws Exception {
    IngestFixtures.writeLines(
        tmp.resolve("imps-1.jsonl"),
        impressionJson("i1", T0, 1, "US"),
        impressionJson("i2", T0, 0, null),
        "garbage",
        impressionJson("i3", T0 + 1000, 2, null),
        impressionJson("i1", T0 + 5000, 1, "US"),
        impressionJson("i4", T0, 1, "gb"));
    List<GenericRecord> avro = new ArrayList<>();
    avro.add(impression("i5", T0, 1, "DE"));
    avro.add(impression("i3", T0 + 2000, 1, null));
    avro.add(impression("i6", T0, 4, null));
    IngestFixtures.writeAvro(tmp.resolve("imps-2.avro"), Impression.getClassSchema(), avro);

    ReadLogs<Impression> read =
        ReadLogs.impressions(tmp.resolve("imps-*").toString()).withClock(CLOCK);
    IngestResult<Impression> result = p.apply("Impressions", read);
    PAssert.thatSingleton(result.records().apply("CountRecords", Count.globally())).isEqualTo(4L);
    PAssert.thatSingleton(result.deadLetters().apply("CountDeadLetters", Count.globally()))
        .isEqualTo(5L);
    PAssert.that(result.records())
        .containsInAnyOrder(
            impression("i1", T0, 1, "US"),
            impression("i3", T0 + 1000, 2, null),
            impression("i5", T0, 1, "DE"),
            impression("i6", T0, 4, null));
    PipelineResult run = p.run();
    run.waitUntilFinish();

    Map<String, Long> counters = IngestMetrics.counters(run);
    assertThat(counters.get("impression_in"), equalTo(9L));
    assertThat(counters.get("impression_valid"), equalTo(6L));
    assertThat(counters.get("impression_out"), equalTo(4L));
    assertThat(counters.get("impression_BAD_POSITION"), equalTo(1L));
    assertThat(counters.get("impression_PARSE_ERROR"), equalTo(1L));
    assertThat(counters.get("impression_BAD_COUNTRY"), equalTo(1L));
    assertThat(counters.get("impression_DUPLICATE_ID"), equalTo(2L));
    long dead =
        counters.entrySet().stream()
            .filter(e -> e.getKey().startsWith("impression_") && e.getKey().matches(".*_[A-Z_]+$"))
            .mapToLong(Map.Entry::getValue)
            .sum();
    assertThat(counters.get("impression_in"), equalTo(counters.get("impression_out") + dead));
  }

  @Test
  void stepNamesAreStable(TestPipeline p, @TempDir Path tmp) throws Exception {
    p.enableAbandonedNodeEnforcement(false); // only the graph's names are checked
    IngestFixtures.writeLines(tmp.resolve("clicks.jsonl"), "{}");
    p.apply(ReadLogs.clicks(tmp.resolve("clicks.jsonl").toString()));
    List<String> names = TestFiles.stepNames(p);
    assertThat(
        names,
        hasItems(
            "ReadLogs/ReadClicks",
            "ReadLogs/IngestClicks/ParseClicks",
            "ReadLogs/IngestClicks/DedupClicks"));
  }
}
