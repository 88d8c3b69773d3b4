package io.ctrbeam.common;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.testing.TestPipelineExtension;
import java.time.Instant;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class DeadLettersTest {

  @Test
  void deadLetterKeepsReasonSourceAndRawInput() throws Exception {
    DeadLetter dl =
        DeadLetters.of(
            "click",
            Reason.BAD_TIMESTAMP,
            "event_time 12 is before 2000",
            "f.jsonl",
            7L,
            "{}",
            12L);
    assertThat(dl.getReason(), equalTo("BAD_TIMESTAMP"));
    assertThat(dl.getSourceOffset(), equalTo(7L));
    assertThat(dl.getEventTime(), equalTo(Instant.ofEpochMilli(12)));
    CoderProperties.coderDecodeEncodeEqual(AvroCoder.of(DeadLetter.class), dl);
  }

  @Test
  void generatedRecordsWithTimestampMillisRoundTripThroughAPipeline(TestPipeline p) {
    Impression imp =
        Impression.newBuilder()
            .setImpressionId("i1")
            .setEventTime(Instant.ofEpochMilli(1_700_000_000_123L))
            .setUserId("u1")
            .setAdId("a1")
            .setPosition(1)
            .build();
    PCollection<Impression> out = p.apply(Create.of(imp).withCoder(AvroCoder.of(Impression.class)));
    PAssert.that(out).containsInAnyOrder(imp);
    p.run().waitUntilFinish();
  }
}
