package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.ctrbeam.generate.WriteResult;
import java.nio.file.Path;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch pipeline on FlinkRunner's embedded cluster gives the generator's truth, as on Direct. */
class TrainingDataPipelineFlinkIT {
  @Test
  void labelsCountsAndAccountingOnFlinkEqualTheTruth(@TempDir Path dir) throws Exception {
    WriteResult logs = PipelineFixtures.writeLogs(PipelineFixtures.smallWorld(), dir.resolve("logs"));
    TrainingDataOptions o = PipelineOptionsFactory.as(TrainingDataOptions.class);
    FlinkPipelineOptions flink = o.as(FlinkPipelineOptions.class);
    flink.setRunner(FlinkRunner.class);
    flink.setFlinkMaster("[local]");
    flink.setParallelism(2);
    o.setBuckets(8);
    PipelineFixtures.pointAt(o, dir.resolve("logs"), dir.resolve("out"));

    PipelineResult result = TrainingDataPipeline.run(o);
    assertThat(result.waitUntilFinish(), equalTo(PipelineResult.State.DONE));
    RunSummary summary = RunSummary.of(result, o.getOutput());

    assertThat(summary.label("clicked_positive"), equalTo(logs.truth().positives()));
    PipelineFixtures.assertAccounting(summary, logs.truth());
    PipelineFixtures.assertRecordsConserved(dir.resolve("logs"), dir.resolve("out"), summary);
    // Negatives are downsampled to 10% positives by default: the kept rows follow from the ids alone.
    PipelineFixtures.assertWrittenLabelsAreTheTruth(dir.resolve("logs"), dir.resolve("out"));
    assertThat(
        PipelineFixtures.jsonLines(dir.resolve("out/dead_letters")), equalTo(summary.totalDeadLetters()));
  }
}
