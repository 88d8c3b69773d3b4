package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.either;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job end to end, as the README runs it, on a small world. */
class CtrJobTest {
  private static RunSummary runJob(Path dir, StringBuilder printed, String... extra)
      throws Exception {
    PipelineOptionsFactory.register(TrainingDataOptions.class);
    List<String> args =
        new ArrayList<>(
            List.of("--workDir=" + dir, "--impressionsPerDay=2000", "--users=300", "--ads=60"));
    args.addAll(List.of(extra));
    CtrJobOptions o =
        PipelineOptionsFactory.fromArgs(
                CtrJob.withDirectRunnerDefaults(args.toArray(new String[0])))
            .withValidation()
            .as(CtrJobOptions.class);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    RunSummary summary = CtrJob.run(o, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    printed.append(bytes.toString(StandardCharsets.UTF_8));
    return summary;
  }

  @Test
  void generatesLabelsAndReportsAgreementWithTheTruth(@TempDir Path dir) throws Exception {
    StringBuilder out = new StringBuilder();
    RunSummary summary = runJob(dir, out, "--badRecordRate=0.01");
    String printed = out.toString();

    assertThat(printed, containsString(dir.resolve("out").toString() + "/training"));
    assertThat(printed, containsString("impression_PARSE_ERROR"));
    assertThat(printed, containsString("positives"));
    assertThat(printed, not(containsString("DIFFERENT")));
    assertThat(
        printed,
        containsString(
            "position propensity (relative to position 1) vs the generator's true examination"));
    assertThat(printed, containsString("IPW clipped at the maximum in"));
    assertThat(printed, containsString("target 0.1000 -> keep negatives at rate"));
    assertThat(printed, containsString("positive rate after sampling:  unweighted"));
    assertThat(
        summary.label("clicked_positive") + summary.label("clicked_negative"), equalTo(2000L));
    // 1% injected bad records is far above contract §5's 0.1% validity threshold: the gate says so.
    assertThat(summary.qualityFailed(), is(true));
    assertThat(printed, containsString("quality gate FAILED"));
    assertThat(printed, containsString("impression.(record) validity = "));
    assertThat(printed, containsString("< threshold 0.999"));
    assertThat(
        printed,
        containsString("quality page: " + dir.resolve("out/_reports/quality.html").toUri()));
  }

  @Test
  void theFirstRunIsTheReferenceAndADriftedRunFailsOnTheDeviceMix(@TempDir Path dir)
      throws Exception {
    StringBuilder first = new StringBuilder();
    RunSummary clean = runJob(dir, first);
    assertThat(first.toString(), clean.qualityFailed(), is(false));
    assertThat(Files.exists(dir.resolve(CtrJob.REFERENCE)), is(true));
    assertThat(Files.exists(dir.resolve("out/_reports/quality.html")), is(true));

    StringBuilder second = new StringBuilder();
    RunSummary drifted = runJob(dir, second, "--driftFromDay=0");
    assertThat(second.toString(), drifted.qualityFailed(), is(true));
    Set<String> broken =
        drifted.quality().breaches().stream()
            .map(b -> b.recordType() + "." + b.field() + " " + b.metric())
            .collect(Collectors.toSet());
    assertThat(broken, hasItem("impression.device psi"));
    assertThat(
        second.toString(),
        containsString("drift was checked against " + dir.resolve(CtrJob.REFERENCE)));
    // The generator drifts the device mix and the CTR; at 2000 impressions only the mix stands
    // above the noise.
    for (String b : broken) {
      assertThat(b, either(containsString(".device ")).or(containsString("click")));
    }
  }

  @Test
  void directRunnerDefaultsLeaveWhatTheUserSaid() {
    String[] args =
        CtrJob.withDirectRunnerDefaults(
            new String[] {"--buckets=16", "--enforceImmutability=true"});
    assertThat(String.join(" ", args), containsString("--buckets=16"));
    assertThat(String.join(" ", args), not(containsString("--buckets=2")));
    assertThat(String.join(" ", args), not(containsString("--enforceImmutability=false")));
    assertThat(String.join(" ", args), containsString("--enforceEncodability=false"));
  }
}
