package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrbeam.testing.DataflowOffline;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch pipeline translates for Dataflow, offline: the job JSON is written locally. */
class PipelinesOnDataflowTest {
  @Test
  void trainingDataPipelineTranslatesWithItsStepNames(@TempDir Path dir) throws Exception {
    PipelineFixtures.writeLogs(PipelineFixtures.smallWorld(), dir.resolve("logs"));
    DataflowPipelineOptions options = DataflowOffline.options(dir.resolve("job.json"));
    TrainingDataOptions o = options.as(TrainingDataOptions.class);
    PipelineFixtures.pointAt(o, dir.resolve("logs"), dir.resolve("out"));
    o.setFeatureSnapshotsAt("2025-06-02T00:00:00Z");
    Pipeline p = Pipeline.create(options);
    TrainingDataPipeline.build(p, o);

    JsonNode job = DataflowOffline.translate(p, options);
    List<String> names = DataflowOffline.stepUserNames(job);

    assertThat(job.path("type").asText(), equalTo("JOB_TYPE_BATCH"));
    for (String step :
        new String[] {"ReadImpressions", "ReadClicks", "ReadConversions", "Label", "AddFeatures/ProfileAsOfJoin", "AddFeatures/AdMetadataAsOfJoin", "AddFeatures/AttachFeatures",
          "FeatureSnapshots", "Weigh", "WriteTrainingData", "WritePropensitiesReport", "WriteDeadLetters", "WriteCorrections", "WriteFeatureTable"}) {
      assertThat(names, hasItem(startsWith(step + "/")));
    }
  }
}
