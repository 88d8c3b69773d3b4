package io.ctrbeam.common;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.ingest.IngestRecords;
import io.ctrbeam.ingest.IngestResult;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.storage.WriteJsonLines;
import io.ctrbeam.testing.TestFiles;
import io.ctrbeam.testing.TestPipelineExtension;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dead-letter sink: what is registered is written once, on close; a pipeline whose sink is not
 * closed, or whose step's dead letters were never registered, does not run.
 */
@ExtendWith(TestPipelineExtension.class)
class DeadLetterSinkTest {
  private static final long T = 1_704_067_200_000L; // 2024-01-01T00:00:00Z
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void registeredDeadLettersAreWrittenOnceOnClose(TestPipeline p, @TempDir Path dir)
      throws IOException {
    String out = dir.resolve("dead_letters").toString();
    DeadLetterSink dl = DeadLetterSink.writingWith(p, WriteJsonLines.of(DeadLetter.class, out));
    IngestResult<Impression> impressions = dl.register(impressions(p));
    IngestResult<Click> clicks = dl.register(clicks(p));
    dl.close();
    // records in = records out + dead-lettered: 3 impressions = 2 + 1, 2 clicks = 1 + 1
    PAssert.thatSingleton(impressions.records().apply("CountImpressions", Count.globally()))
        .isEqualTo(2L);
    PAssert.thatSingleton(clicks.records().apply("CountClicks", Count.globally())).isEqualTo(1L);
    PAssert.thatSingleton(dl.getOutput().apply("CountDeadLetters", Count.globally())).isEqualTo(2L);
    p.run().waitUntilFinish();

    assertThat(
        written(dir.resolve("dead_letters")),
        containsInAnyOrder("impression:PARSE_ERROR", "click:MISSING_FIELD"));
  }

  @Test
  void aPipelineWhoseSinkIsNotClosedDoesNotRun() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    DeadLetterSink dl = DeadLetterSink.countedOnly(p);
    dl.register(impressions(p));
    IllegalStateException e = assertThrows(IllegalStateException.class, p::run);
    assertThat(e.getMessage(), containsString("never closed"));
  }

  @Test
  void aPipelineWithAStepThatDoesNotRegisterDoesNotRun() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    DeadLetterSink dl = DeadLetterSink.countedOnly(p);
    dl.register(impressions(p));
    clicks(p); // its dead letters go nowhere
    dl.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, p::run);
    assertThat(e.getMessage(), containsString("register them with the sink"));
    assertThat(e.getMessage(), containsString("IngestClicks"));
  }

  @Test
  void aSinkTakesNoRegistrationAfterClose() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    DeadLetterSink dl = DeadLetterSink.countedOnly(p);
    dl.close();
    assertThrows(IllegalStateException.class, () -> dl.register(impressions(p)));
    assertThrows(IllegalStateException.class, dl::close);
  }

  private static IngestResult<Impression> impressions(Pipeline p) {
    return p.apply(
            "RawImpressions",
            raw(
                "{\"impression_id\":\"i1\",\"event_time\":"
                    + T
                    + ",\"user_id\":\"u\",\"ad_id\":\"a\",\"position\":1}",
                "{\"impression_id\":\"i2\",\"event_time\":"
                    + T
                    + ",\"user_id\":\"u\",\"ad_id\":\"a\",\"position\":2}",
                "{not json"))
        .apply("IngestImpressions", IngestRecords.impressions());
  }

  private static IngestResult<Click> clicks(Pipeline p) {
    return p.apply(
            "RawClicks",
            raw(
                "{\"click_id\":\"c1\",\"impression_id\":\"i1\",\"event_time\":" + (T + 1000) + "}",
                "{\"click_id\":\"c2\"}"))
        .apply("IngestClicks", IngestRecords.clicks());
  }

  private static Create.Values<RawRecord> raw(String... lines) {
    List<RawRecord> records = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      records.add(
          RawRecord.newBuilder()
              .setSource("test")
              .setSourceOffset((long) i)
              .setText(lines[i])
              .build());
    }
    return Create.of(records).withCoder(AvroCoder.specific(RawRecord.class));
  }

  /** {@code record_type:reason} of every line under {@code folder}. */
  private static List<String> written(Path folder) throws IOException {
    List<String> out = new ArrayList<>();
    for (var d : TestFiles.jsonLines(folder)) {
      out.add(d.get("record_type").asText() + ":" + d.get("reason").asText());
    }
    return out;
  }
}
