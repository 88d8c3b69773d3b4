package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress lines on DirectRunner: they appear while the job runs, grow, and end at the run's
 * totals.
 */
class ProgressTest {
  @Test
  void progressLinesGrowAndTheFinalLineHoldsTheRunsTotals(@TempDir Path dir) throws Exception {
    PipelineFixtures.writeLogs(PipelineFixtures.smallWorld(), dir.resolve("logs"));
    TrainingDataOptions o = PipelineFixtures.directOptions();
    PipelineFixtures.pointAt(o, dir.resolve("logs"), dir.resolve("out"));
    o.setProgressInterval("300ms");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    PipelineResult result = Progress.run(TrainingDataPipeline.pipeline(o), out);
    assertThat(result.getState(), equalTo(PipelineResult.State.DONE));
    RunSummary summary = RunSummary.of(result, o.getOutput());

    System.out.print(bytes.toString(StandardCharsets.UTF_8));
    ProgressLines.check(bytes.toString(StandardCharsets.UTF_8), summary, 2);
    // The summary prints the label stats as a table, not as a toString().
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    summary.print(new PrintStream(printed, true, StandardCharsets.UTF_8));
    String text = printed.toString(StandardCharsets.UTF_8);
    assertThat(text, containsString("matched clicks"));
    assertThat(text, not(containsString("LabelStats{")));
    assertThat(
        Files.readString(dir.resolve("out/_reports/label_stats.txt")),
        containsString("click delay"));
  }

  @Test
  void progressFalsePrintsNoProgress(@TempDir Path dir) throws Exception {
    PipelineFixtures.writeLogs(
        PipelineFixtures.smallWorld().withImpressionsPerDay(300), dir.resolve("logs"));
    TrainingDataOptions o = PipelineFixtures.directOptions();
    PipelineFixtures.pointAt(o, dir.resolve("logs"), dir.resolve("out"));
    o.setConversions("");
    o.setProgress(false);
    o.setProgressInterval("100ms");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Pipeline p = TrainingDataPipeline.pipeline(o);
    PipelineResult result = Progress.run(p, new PrintStream(bytes, true, StandardCharsets.UTF_8));

    assertThat(result.getState(), equalTo(PipelineResult.State.DONE));
    assertThat(ProgressLines.parse(bytes.toString(StandardCharsets.UTF_8)), empty());
  }
}
