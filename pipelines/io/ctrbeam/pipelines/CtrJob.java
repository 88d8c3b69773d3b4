package io.ctrbeam.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrbeam.common.Reason;
import io.ctrbeam.generate.GeneratorConfig;
import io.ctrbeam.generate.GroundTruth;
import io.ctrbeam.generate.LogGenerator;
import io.ctrbeam.generate.RecordType;
import io.ctrbeam.generate.WriteResult;
import io.ctrbeam.quality.WriteQualityReport;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The main job, end to end over data it makes itself: generate logs with known truth → ingest and
 * validate → label → position-bias weights and negative downsampling (to 10% positives by default)
 * → features of the kept rows → quality gate → partitioned Parquet, dead letters and a run summary
 * that compares what it measured with the generator's truth, including the propensity table beside
 * the true examination. The first run's quality profile is kept in the working directory as the
 * drift reference of the next ones ({@code --driftFromDay=0} makes the next run drift); a breach
 * exits 1.
 *
 * <pre>How to run (DirectRunner):
 * mvn -q compile exec:java -Dexec.args="--workDir=demo-output --impressionsPerDay=100000"
 * </pre>
 */
public final class CtrJob {
  /** The drift reference the job keeps in its working directory: the first run's profile. */
  static final String REFERENCE = "quality_reference.json";

  private CtrJob() {}

  public static void main(String[] args) throws IOException {
    PipelineOptionsFactory.register(TrainingDataOptions.class);
    CtrJobOptions options =
        PipelineOptionsFactory.fromArgs(withDirectRunnerDefaults(args))
            .withValidation()
            .as(CtrJobOptions.class);
    RunSummary summary = run(options, System.out);
    if (options.as(QualityOptions.class).getFailOnBreach() && summary.qualityFailed()) {
      System.exit(1);
    }
  }

  /** Generates the logs, runs the training-data pipeline over them and prints what it did. */
  public static RunSummary run(CtrJobOptions options, PrintStream out) throws IOException {
    Path work = Path.of(options.getWorkDir()).toAbsolutePath();
    GeneratorConfig config =
        GeneratorConfig.defaults()
            .withImpressionsPerDay(options.getImpressionsPerDay())
            .withDays(options.getDays())
            .withSeed(options.getSeed())
            .withBadRecordRate(options.getBadRecordRate())
            .withUsers(options.getUsers())
            .withAds(options.getAds())
            .withDriftFromDay(options.getDriftFromDay());
    WriteResult logs =
        LogGenerator.write(config, work.resolve("logs"), LogGenerator.formats("jsonl"));
    out.println("generated " + logs);

    TrainingDataOptions training = options.as(TrainingDataOptions.class);
    Path in = logs.outputDir();
    training.setImpressions(in.resolve(RecordType.IMPRESSION.directory()) + "/**");
    training.setClicks(in.resolve(RecordType.CLICK.directory()) + "/**");
    training.setConversions(in.resolve(RecordType.CONVERSION.directory()) + "/**");
    training.setUserProfiles(in.resolve(RecordType.USER_PROFILE.directory()) + "/**");
    training.setAdMetadata(in.resolve(RecordType.AD_METADATA.directory()) + "/**");
    training.setOutput(work.resolve("out").toString());
    // The generated logs end at the end of their last day: that is "now" for freshness.
    if (training.getQualityClock().isEmpty()) {
      training.setQualityClock(
          java.time.Instant.ofEpochMilli(config.startMillis() + config.days() * 86_400_000L)
              .toString());
    }
    Path reference = work.resolve(REFERENCE);
    boolean savedReference = training.getQualityReference().isEmpty() && Files.exists(reference);
    if (savedReference) {
      training.setQualityReference(reference.toString());
    }

    long t1 = System.nanoTime();
    PipelineResult result = Progress.run(TrainingDataPipeline.pipeline(training), out);
    out.printf(
        "pipeline %s in %.1f s on %s%n",
        result.getState(), (System.nanoTime() - t1) / 1e9, options.getRunner().getSimpleName());
    RunSummary summary = RunSummary.of(result, training.getOutput());
    summary.print(out);
    printTruth(logs.truth(), summary, out);
    if (summary.quality() != null) {
      if (savedReference) {
        out.println(
            "drift was checked against "
                + reference
                + " (an earlier run's profile; delete it to start over)");
      } else if (training.getQualityReference().isEmpty()) {
        Files.copy(
            Path.of(training.getOutput(), QualitySetup.REPORT_DIR, WriteQualityReport.PROFILE_JSON),
            reference);
        out.println(
            "no drift reference yet: saved this run's profile as "
                + reference
                + "; the next run compares with it (try --driftFromDay=0)");
      }
    }
    return summary;
  }

  /** {@link DirectRunnerDefaults}, and two hash buckets on DirectRunner unless asked. */
  static String[] withDirectRunnerDefaults(String[] args) {
    List<String> all = new ArrayList<>(List.of(DirectRunnerDefaults.checksOff(args)));
    // DirectRunner pays per bundle for every Beam key of a grouping: few buckets serve it best.
    if (DirectRunnerDefaults.isDirect(all)
        && all.stream().noneMatch(a -> a.startsWith("--buckets"))) {
      all.add("--buckets=2");
    }
    return all.toArray(new String[0]);
  }

  private static void printTruth(GroundTruth t, RunSummary s, PrintStream out) {
    out.println("generator truth vs measured:");
    row(
        out,
        "impressions labeled",
        t.impressions(),
        s.label("clicked_positive") + s.label("clicked_negative"));
    row(out, "positives", t.positives(), s.label("clicked_positive"));
    row(out, "orphan clicks", t.orphanClicks(), s.deadLetters("click_" + Reason.ORPHAN_CLICK));
    row(
        out,
        "clicks before impression",
        t.clicksBeforeImpression(),
        s.deadLetters("click_" + Reason.CLICK_BEFORE_IMPRESSION));
    row(
        out,
        "clicks outside window",
        t.clicksOutsideWindow(),
        s.deadLetters("click_" + Reason.CLICK_OUTSIDE_WINDOW));
    out.println(
        "position propensity (relative to position 1) vs the generator's true examination:");
    out.printf(
        "  %-8s %-8s %-8s %-8s %-10s %-10s %s%n",
        "position", "truth", "naive", "EM", "impr", "clicks", "fallback");
    double naiveErr = 0;
    double emErr = 0;
    int n = 0;
    for (JsonNode e : s.report("propensities").path("propensities")) {
      int p = e.path("position").asInt();
      if (!e.path("context").asText().equals("*") || p > t.config().positions()) {
        continue;
      }
      double truth = t.examinationProbability(p) / t.examinationProbability(1);
      out.printf(
          "  %-8d %-8.3f %-8.3f %-8.3f %-10d %-10d %s%n",
          p,
          truth,
          e.path("naive").asDouble(),
          e.path("em").asDouble(),
          e.path("impressions").asLong(),
          e.path("clicks").asLong(),
          e.path("fallback").asText());
      if (p > 1) {
        naiveErr = Math.max(naiveErr, Math.abs(e.path("naive").asDouble() - truth));
        emErr = Math.max(emErr, Math.abs(e.path("em").asDouble() - truth));
        n++;
      }
    }
    out.printf("  max abs error over %d positions: naive %.3f, EM %.3f%n", n, naiveErr, emErr);
  }

  private static void row(PrintStream out, String what, long truth, long measured) {
    out.printf(
        "  %-26s truth=%-9d measured=%-9d %s%n",
        what, truth, measured, truth == measured ? "ok" : "DIFFERENT");
  }
}
