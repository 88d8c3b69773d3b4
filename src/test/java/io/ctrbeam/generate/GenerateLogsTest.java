package io.ctrbeam.generate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.common.Reason;
import io.ctrbeam.pipelines.GenerateLogs;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateLogsTest {

  @Test
  void commandWritesWhatItsOptionsSay(@TempDir Path dir) throws Exception {
    WriteResult r =
        GenerateLogs.run(
            "--output=" + dir,
            "--impressionsPerDay=3000",
            "--days=2",
            "--seed=5",
            "--format",
            "avro",
            "--badRecordRate=0.02",
            "--driftFromDay=1",
            "--users=500",
            "--ads=100",
            "--threads=2");
    GroundTruth t = r.truth();
    assertThat(t.impressions(), equalTo(6000L));
    assertThat(t.config().seed(), equalTo(5L));
    assertThat(t.config().driftFromDay(), equalTo(1));
    assertThat(t.injected(RecordType.IMPRESSION), greaterThan(0L));
    assertThat(Files.exists(dir.resolve("ground_truth.json")), is(true));
    assertThat(Files.exists(dir.resolve("truth/labels.jsonl")), is(true));
    assertThat(
        LogGeneratorTest.files(dir.resolve("impressions")).stream()
            .allMatch(f -> f.toString().endsWith(".avro")),
        is(true));
    assertThat(r.files(), greaterThan(48L));
    // Same options, same truth as the library call.
    GeneratedLogs mem = LogGenerator.generate(t.config());
    assertThat(mem.truth().toJson(), equalTo(t.toJson()));
    assertThat(
        mem.truth().injected(RecordType.CLICK, Reason.ORPHAN_CLICK),
        equalTo(t.injected(RecordType.CLICK, Reason.ORPHAN_CLICK)));
  }

  @Test
  void badOptionsFail(@TempDir Path dir) {
    assertThrows(IllegalArgumentException.class, () -> GenerateLogs.run("--impressionsPerDay=10"));
    assertThrows(
        IllegalArgumentException.class, () -> GenerateLogs.run("--output=" + dir, "--nope=1"));
    assertThrows(
        IllegalArgumentException.class, () -> GenerateLogs.run("--output=" + dir, "--format=csv"));
    assertThrows(
        IllegalArgumentException.class,
        () -> GenerateLogs.run("--output=" + dir, "--badRecordRate=2"));
  }
}
