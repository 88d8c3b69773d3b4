package io.ctrbeam.storage;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.Reason;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.FeatureSnapshot;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.serving.WriteFeaturesToRedis;
import io.ctrbeam.testing.DataflowOffline;
import io.ctrbeam.testing.TestSnapshots;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writers translate for Dataflow (offline: the job JSON is written locally). */
class DataflowTranslationTest {
  private static final String OUT = "gs://ctr-beam-offline/out/training";

  @TempDir Path tmp;

  @Test
  void batchWritersTranslateWithTheirStepNames() throws Exception {
    DataflowPipelineOptions options = DataflowOffline.options(tmp.resolve("batch.json"));
    Pipeline p = Pipeline.create(options);
    p.apply(
            "CreateExamples",
            Create.of(SampleRecords.examples(3)).withCoder(AvroCoder.of(TrainingExample.class)))
        .apply("WriteTrainingData", WriteTrainingData.to(OUT).withTargetFileSize(256L << 20, 600));
    p.apply(
            "CreateDeadLetters",
            Create.of(DeadLetters.of("click", Reason.ORPHAN_CLICK, "m", "s", 1L, "{}", 1L))
                .withCoder(AvroCoder.of(DeadLetter.class)))
        .apply("WriteDeadLetters", WriteJsonLines.deadLettersBeside(OUT));
    var features =
        p.apply(
            "CreateFeatures",
            Create.of(TestSnapshots.snapshot("user", "u1", SampleRecords.T0, 1, 0))
                .withCoder(AvroCoder.of(FeatureSnapshot.class)));
    features.apply("WriteFeatures", WriteFeatureSnapshots.to("gs://ctr-beam-offline/out/features"));
    features.apply("WriteFeaturesToRedis", WriteFeaturesToRedis.to("127.0.0.1", 6379));

    JsonNode job = DataflowOffline.translate(p, options);
    List<String> names = DataflowOffline.stepUserNames(job);

    assertThat(job.path("type").asText(), equalTo("JOB_TYPE_BATCH"));
    assertThat(names, hasItem(startsWith("WriteTrainingData/KeyByPartition")));
    assertThat(names, hasItem(startsWith("WriteTrainingData/AmountPerPartition")));
    assertThat(names, hasItem(startsWith("WriteTrainingData/AssignFiles")));
    assertThat(names, hasItem(startsWith("WriteTrainingData/WritePARQUET")));
    assertThat(names, hasItem(startsWith("WriteDeadLetters/WriteJSONL")));
    assertThat(names, hasItem(startsWith("WriteFeatures/WritePARQUET")));
    assertThat(names, hasItem("WriteFeaturesToRedis/GuardedHashWrites"));
  }

  /** Minute {@code n} after T0 as a training example. */
  static final class ToExample extends SimpleFunction<Long, TrainingExample> {
    @Override
    public TrainingExample apply(Long n) {
      return SampleRecords.example(
          "s-" + n, SampleRecords.T0 + n * 60_000L, n % 2 == 0 ? "US" : null, 0);
    }
  }

  @Test
  void streamingWindowedWriterTranslates() throws Exception {
    DataflowPipelineOptions options = DataflowOffline.options(tmp.resolve("streaming.json"));
    options.setStreaming(true);
    Pipeline p = Pipeline.create(options);
    p.apply("Ticks", GenerateSequence.from(0).withRate(10, Duration.standardSeconds(1)))
        .apply("ToExamples", MapElements.via(new ToExample()))
        .setCoder(AvroCoder.of(TrainingExample.class))
        .apply(
            "WriteTrainingData",
            WriteTrainingData.to(OUT)
                .withFixedWindows(Duration.standardMinutes(10))
                .withNumShards(2));

    JsonNode job = DataflowOffline.translate(p, options);
    assertThat(job.path("type").asText(), equalTo("JOB_TYPE_STREAMING"));
    assertThat(
        DataflowOffline.stepUserNames(job), hasItem(startsWith("WriteTrainingData/FixedWindows")));
    assertThat(
        DataflowOffline.stepUserNames(job), hasItem(startsWith("WriteTrainingData/WritePARQUET")));
  }
}
