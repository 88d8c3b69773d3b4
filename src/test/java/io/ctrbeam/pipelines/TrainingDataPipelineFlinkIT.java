package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.ctrbeam.generate.WriteResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch pipeline on FlinkRunner's embedded cluster gives the generator's truth, as on Direct;
 * its progress lines, read from the running job, grow and end at the run's totals.
 */
class TrainingDataPipelineFlinkIT {
  @Test
  void labelsCountsAndAccountingOnFlinkEqualTheTruth(@TempDir Path dir) throws Exception {
    WriteResult logs =
        PipelineFixtures.writeLogs(PipelineFixtures.smallWorld(), dir.resolve("logs"));
    TrainingDataOptions o = PipelineOptionsFactory.as(TrainingDataOptions.class);
    FlinkPipelineOptions flink = o.as(FlinkPipelineOptions.class);
    flink.setRunner(FlinkRunner.class);
    flink.setFlinkMaster("[local]");
    flink.setParallelism(2);
    o.setBuckets(8);
    PipelineFixtures.pointAt(o, dir.resolve("logs"), dir.resolve("out"));

    // With progress on, the job runs detached; the task managers report counts every heartbeat (1 s
    // here).
    Files.writeString(
        Files.createDirectories(dir.resolve("flink-conf")).resolve("flink-conf.yaml"),
        "heartbeat.interval: 1000\n");
    flink.setFlinkConfDir(dir.resolve("flink-conf").toString());
    o.setProgressInterval("1s");
    ByteArrayOutputStream progress = new ByteArrayOutputStream();

    PipelineResult result =
        Progress.run(
            TrainingDataPipeline.pipeline(o),
            new PrintStream(progress, true, StandardCharsets.UTF_8));
    assertThat(result.waitUntilFinish(), equalTo(PipelineResult.State.DONE));
    RunSummary summary = RunSummary.of(result, o.getOutput());
    System.out.print(progress.toString(StandardCharsets.UTF_8));
    // Task managers report counts once a heartbeat, and this small job can read and label all of
    // its records before the first report: growth is checked on Direct (ProgressTest).
    ProgressLines.check(progress.toString(StandardCharsets.UTF_8), summary, 2, false);

    assertThat(summary.label("clicked_positive"), equalTo(logs.truth().positives()));
    PipelineFixtures.assertAccounting(summary, logs.truth());
    PipelineFixtures.assertRecordsConserved(dir.resolve("logs"), dir.resolve("out"), summary);
    // Negatives are downsampled to 10% positives by default: the kept rows follow from the ids
    // alone.
    PipelineFixtures.assertWrittenLabelsAreTheTruth(dir.resolve("logs"), dir.resolve("out"));
    assertThat(
        PipelineFixtures.jsonLines(dir.resolve("out/dead_letters")),
        equalTo(summary.totalDeadLetters()));
  }
}
