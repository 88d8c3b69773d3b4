package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.common.MetricsReader;
import io.ctrbeam.generate.GroundTruth;
import io.ctrbeam.generate.WriteResult;
import io.ctrbeam.ingest.ReadLogs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch pipeline on DirectRunner over generated logs with injected defects, checked against the
 * generator's truth.
 */
class TrainingDataPipelineTest {

  /**
   * The weights cut counts the rows the default downsampling keeps, and writes no training data.
   */
  @Test
  void aGraphCutAfterWeightsCountsTheKeptRows(@TempDir Path dir) throws Exception {
    assertACutCountsTheKeptRows(dir, TrainingDataPipeline.Stage.WEIGHTS);
    assertThat(Files.exists(dir.resolve("out/_reports/quality.json")), equalTo(false));
  }

  /**
   * The features cut (features of the kept rows and the quality gate) counts the kept rows too, and
   * writes the quality report but no training data.
   */
  @Test
  void aGraphCutAfterFeaturesCountsTheKeptRowsAndChecksThem(@TempDir Path dir) throws Exception {
    assertACutCountsTheKeptRows(dir, TrainingDataPipeline.Stage.FEATURES);
    assertThat(Files.exists(dir.resolve("out/_reports/quality.json")), equalTo(true));
  }

  private static void assertACutCountsTheKeptRows(Path dir, TrainingDataPipeline.Stage cut)
      throws Exception {
    GroundTruth truth =
        PipelineFixtures.writeLogs(PipelineFixtures.smallWorld(), dir.resolve("logs")).truth();
    TrainingDataOptions o = PipelineFixtures.directOptions();
    PipelineFixtures.pointAt(o, dir.resolve("logs"), dir.resolve("out"));
    PipelineResult r = TrainingDataPipeline.pipeline(o, cut).run();
    r.waitUntilFinish();
    long kept =
        PipelineFixtures.keptByDefaultSampling(PipelineFixtures.truthLabels(dir.resolve("logs")))
            .size();
    assertThat(kept, lessThan(truth.positives() + truth.negatives()));
    assertThat(MetricsReader.read(r, "stages").get("rows"), equalTo(kept));
    assertThat(Files.exists(dir.resolve("out/training")), equalTo(false));
  }

  /**
   * The benchmark's floor graph groups every parsed impression (duplicates too: it reads without
   * dedup) and attaches to the rows the default downsampling keeps, within 10% of the truth's kept
   * count (its clicks are any in the group), and writes nothing.
   */
  @Test
  void theFloorGraphKeepsAboutTheRowsTheDownsamplingKeeps(@TempDir Path dir) throws Exception {
    GroundTruth truth =
        PipelineFixtures.writeLogs(PipelineFixtures.smallWorld(), dir.resolve("logs")).truth();
    TrainingDataOptions o = PipelineFixtures.directOptions();
    PipelineFixtures.pointAt(o, dir.resolve("logs"), dir.resolve("out"));
    PipelineResult r = TrainingDataPipeline.pipeline(o, TrainingDataPipeline.Stage.FLOOR).run();
    r.waitUntilFinish();
    long kept =
        PipelineFixtures.keptByDefaultSampling(PipelineFixtures.truthLabels(dir.resolve("logs")))
            .size();
    long rows = MetricsReader.read(r, "stages").get("rows");
    assertThat((double) rows, closeTo(kept, 0.1 * kept));
    assertThat(rows, greaterThanOrEqualTo(truth.positives()));
    assertThat(Files.exists(dir.resolve("out/training")), equalTo(false));
  }

  @Test
  void labelsCountsAndAccountingMatchTheGeneratorsTruth(@TempDir Path dir) throws Exception {
    WriteResult logs =
        PipelineFixtures.writeLogs(PipelineFixtures.smallWorld(), dir.resolve("logs"));
    GroundTruth truth = logs.truth();
    TrainingDataOptions o = PipelineFixtures.directOptions();
    PipelineFixtures.pointAt(o, dir.resolve("logs"), dir.resolve("out"));

    PipelineResult result = TrainingDataPipeline.run(o);
    result.waitUntilFinish();
    RunSummary summary = RunSummary.of(result, o.getOutput());

    assertThat(truth.positives(), greaterThan(20L));
    assertThat(summary.label("clicked_positive"), equalTo(truth.positives()));
    assertThat(summary.label("clicked_negative"), equalTo(truth.negatives()));
    PipelineFixtures.assertAccounting(summary, truth);
    // The summary's stages add up, each side counted by its own counters, clicks and conversions
    // through ingest and labeling; attributed clicks are the generator's positives.
    assertThat(summary.stages().stream().filter(st -> !st.addsUp()).toList(), empty());
    assertThat(
        summary.stages().stream().map(RunSummary.Stage::name).toList(),
        hasItems("impression ingest", "click ingest", "click labeling", "conversion labeling"));
    assertThat(
        summary.stages().stream()
            .filter(st -> st.name().equals("click labeling"))
            .findFirst()
            .orElseThrow()
            .out(),
        equalTo(truth.positives()));
    PipelineFixtures.assertRecordsConserved(dir.resolve("logs"), dir.resolve("out"), summary);

    // Negatives are downsampled to 10% positives by default: the kept rows follow from the ids
    // alone.
    Map<String, long[]> expected =
        PipelineFixtures.keptByDefaultSampling(PipelineFixtures.truthLabels(dir.resolve("logs")));
    Map<String, long[]> written = PipelineFixtures.writtenLabels(dir.resolve("out"));
    assertThat(written.size(), equalTo(expected.size()));
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      long[] w = written.get(e.getKey());
      assertThat("row for " + e.getKey(), w == null, equalTo(false));
      assertThat("clicked " + e.getKey(), w[0], equalTo(e.getValue()[0]));
      assertThat("converted " + e.getKey(), w[1], equalTo(e.getValue()[1]));
      assertThat("click_time " + e.getKey(), w[2], equalTo(e.getValue()[2]));
    }

    assertThat(
        "every dead letter is written, with its reason",
        PipelineFixtures.jsonLines(dir.resolve("out/dead_letters")),
        equalTo(summary.totalDeadLetters()));
    assertThat(Files.exists(dir.resolve("out/_reports/label_stats.txt")), equalTo(true));
  }

  @Test
  void aStepWhoseDeadLettersAreNotRegisteredStopsTheRun(@TempDir Path dir) throws Exception {
    PipelineFixtures.writeLogs(PipelineFixtures.smallWorld(), dir.resolve("logs"));
    TrainingDataOptions o = PipelineFixtures.directOptions();
    PipelineFixtures.pointAt(o, dir.resolve("logs"), dir.resolve("out"));
    Pipeline p = TrainingDataPipeline.pipeline(o);
    p.apply("ReadClicksAgain", ReadLogs.clicks(o.getClicks())); // its dead letters go nowhere

    IllegalStateException e = assertThrows(IllegalStateException.class, p::run);
    assertThat(e.getMessage(), containsString("ReadClicksAgain"));
    assertThat(Files.exists(dir.resolve("out")), equalTo(false));
  }

  @Test
  void refusesALabelWaitShorterThanTheWindow() {
    TrainingDataOptions o =
        PipelineOptionsFactory.fromArgs(
                "--impressions=x",
                "--clicks=y",
                "--output=z",
                "--attributionWindow=3h",
                "--labelWait=2h")
            .withValidation()
            .as(TrainingDataOptions.class);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CtrTransforms.labeling(o));
    assertThat(e.getMessage(), containsString("--labelWait"));
  }

  @Test
  void refusesAnUnknownOutputFormat() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> TrainingDataPipeline.outputFormat("csv"));
    assertThat(e.getMessage(), containsString("parquet, avro or jsonl"));
  }

  @Test
  void optionsParseWithDefaults() {
    TrainingDataOptions o =
        PipelineOptionsFactory.fromArgs("--impressions=a", "--clicks=b", "--output=c")
            .withValidation()
            .as(TrainingDataOptions.class);
    assertThat(o.getAttributionWindow(), equalTo("30m"));
    assertThat(o.getLabelWait(), equalTo("2h"));
    assertThat(o.getOutputFormat(), equalTo("parquet"));
    assertThat(o.getBuckets(), equalTo(64));
  }

  @Test
  void bucketsDefaultFollowsTheRunner() {
    TrainingDataOptions flink =
        PipelineOptionsFactory.fromArgs(
                "--runner=FlinkRunner", "--impressions=a", "--clicks=b", "--output=c")
            .withValidation()
            .as(TrainingDataOptions.class);
    assertThat(flink.getBuckets(), equalTo(1 << 20));
    TrainingDataOptions given =
        PipelineOptionsFactory.fromArgs(
                "--runner=FlinkRunner",
                "--buckets=8",
                "--impressions=a",
                "--clicks=b",
                "--output=c")
            .withValidation()
            .as(TrainingDataOptions.class);
    assertThat(given.getBuckets(), equalTo(8));
  }
}
