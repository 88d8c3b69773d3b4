package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import io.ctrbeam.generate.GeneratorConfig;
import io.ctrbeam.generate.LogGenerator;
import io.ctrbeam.quality.QualityCheck;
import io.ctrbeam.quality.QualityJson;
import io.ctrbeam.quality.QualityReport;
import io.ctrbeam.quality.WriteQualityReport;
import io.ctrbeam.testing.DriftDays;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone gate on raw logs: day 0 writes the reference, day 1 (drifted) is checked against
 * it.
 */
class DataQualityReportTest {
  /** Checks one day of impressions, by default at the end of that day. */
  private static QualityReport run(Path logs, String day, Path out, String... extra)
      throws Exception {
    String clock =
        java.util.Arrays.stream(extra).anyMatch(a -> a.startsWith("--qualityClock"))
            ? null
            : "--qualityClock=" + java.time.LocalDate.parse(day).plusDays(1) + "T00:00:00Z";
    String[] base =
        clock == null
            ? new String[] {
              "--input=" + logs.resolve("impressions/date=" + day) + "/**",
              "--recordType=impression",
              "--output=" + out
            }
            : new String[] {
              "--input=" + logs.resolve("impressions/date=" + day) + "/**",
              "--recordType=impression",
              "--output=" + out,
              clock
            };
    String[] args =
        java.util.stream.Stream.concat(
                java.util.Arrays.stream(base), java.util.Arrays.stream(extra))
            .toArray(String[]::new);
    DataQualityReport.Options o =
        PipelineOptionsFactory.fromArgs(args).withValidation().as(DataQualityReport.Options.class);
    DataQualityReport.run(o).waitUntilFinish();
    return QualityJson.readReport(Files.readString(out.resolve(WriteQualityReport.REPORT_JSON)));
  }

  /**
   * 20k impressions a day: the noise model takes rows as independent, but a page of 10 impressions
   * shares its user, device and country, so those fields have about a tenth of the sample size; at
   * 3k a day user_id and country were flagged by that alone (see README).
   */
  @Test
  void driftedDayFailsAgainstTheFirstDaysProfile(@TempDir Path dir) throws Exception {
    GeneratorConfig c = DriftDays.config(true).withBadRecordRate(0.0005);
    LogGenerator.write(c, dir.resolve("logs"), LogGenerator.formats("jsonl"));

    QualityReport day0 = run(dir.resolve("logs"), "2025-06-01", dir.resolve("q0"));
    assertThat(day0.summary(), day0.passed(), is(true));
    // The same day a day later is stale: freshness breaks its 24 h.
    QualityReport late =
        run(
            dir.resolve("logs"),
            "2025-06-01",
            dir.resolve("late"),
            "--qualityClock=2025-06-03T00:00:00Z");
    assertThat(
        late.breaches().get(0).describe(),
        org.hamcrest.Matchers.startsWith("impression.event_time freshness_hours = 24."));
    assertThat(Files.exists(dir.resolve("q0/" + WriteQualityReport.REPORT_HTML)), is(true));

    QualityReport day1 =
        run(
            dir.resolve("logs"),
            "2025-06-02",
            dir.resolve("q1"),
            "--qualityReference=" + dir.resolve("q0/" + WriteQualityReport.PROFILE_JSON));
    Set<String> broken =
        day1.breaches().stream().map(b -> b.field() + " " + b.metric()).collect(Collectors.toSet());
    assertThat(day1.summary(), broken, equalTo(Set.of("device psi")));
    // Refused records are counted: every impression read is either profiled or a dead letter.
    QualityCheck record =
        day1.checks().stream().filter(k -> k.field().equals("(record)")).findFirst().orElseThrow();
    assertThat(
        record.n(),
        equalTo(day1.profiles().get(0).records() + day1.deadLetters().invalid("impression")));
  }
}
