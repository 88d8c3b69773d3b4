package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job end to end, as the README runs it, on a small world. */
class CtrJobTest {
  @Test
  void generatesLabelsAndReportsAgreementWithTheTruth(@TempDir Path dir) throws Exception {
    PipelineOptionsFactory.register(TrainingDataOptions.class);
    CtrJobOptions o =
        PipelineOptionsFactory.fromArgs(
                CtrJob.withDirectRunnerDefaults(
                    new String[] {"--workDir=" + dir, "--impressionsPerDay=2000", "--users=300", "--ads=60"}))
            .withValidation()
            .as(CtrJobOptions.class);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    RunSummary summary = CtrJob.run(o, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String printed = bytes.toString(StandardCharsets.UTF_8);

    assertThat(printed, containsString(dir.resolve("out").toString() + "/training"));
    assertThat(printed, containsString("impression_PARSE_ERROR"));
    assertThat(printed, containsString("positives"));
    assertThat(printed, not(containsString("DIFFERENT")));
    assertThat(printed, containsString("position propensity (relative to position 1) vs the generator's true examination"));
    assertThat(printed, containsString("IPW clipped at the maximum in"));
    assertThat(printed, containsString("target 0.1000 -> keep negatives at rate"));
    assertThat(printed, containsString("positive rate after sampling:  unweighted"));
    assertThat(summary.label("clicked_positive") + summary.label("clicked_negative"), equalTo(2000L));
  }

  @Test
  void directRunnerDefaultsLeaveWhatTheUserSaid() {
    String[] args = CtrJob.withDirectRunnerDefaults(new String[] {"--buckets=16", "--enforceImmutability=true"});
    assertThat(String.join(" ", args), containsString("--buckets=16"));
    assertThat(String.join(" ", args), not(containsString("--buckets=2")));
    assertThat(String.join(" ", args), not(containsString("--enforceImmutability=false")));
    assertThat(String.join(" ", args), containsString("--enforceEncodability=false"));
  }
}
