package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The retention entry point: options, dry run and a real run. */
class RetentionJobTest {
  private static void write(Path f, int bytes) throws Exception {
    Files.createDirectories(f.getParent());
    Files.write(f, new byte[bytes]);
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2025-01-01T00:00:00Z")));
  }

  private static String run(Path root, String... extra) throws Exception {
    String[] args = new String[extra.length + 2];
    args[0] = "--root=" + root;
    args[1] = "--now=2025-08-01T00:00:00Z";
    System.arraycopy(extra, 0, args, 2, extra.length);
    RetentionJob.Options o =
        PipelineOptionsFactory.fromArgs(args).withValidation().as(RetentionJob.Options.class);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    RetentionJob.run(o, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void dryRunListsWhatWouldGoWithSizesThenARealRunDeletesIt(@TempDir Path root) throws Exception {
    Path old =
        root.resolve("out/training/date=2025-06-01/hour=03/country=DE/part-00000-of-00001.parquet");
    Path recent =
        root.resolve("out/training/date=2025-07-30/hour=03/country=DE/part-00000-of-00001.parquet");
    write(old, 1234);
    write(recent, 10);

    String dry = run(root, "--dryRun=true");
    assertThat(dry, containsString("dry run: nothing is deleted"));
    assertThat(
        dry,
        containsString(
            "EXPIRED   TRAINING "
                + root.resolve("out/training/date=2025-06-01")
                + "  1 files, 1234 bytes, 61 days old"));
    assertThat(dry, containsString("would delete 1 partitions (1234 bytes); kept 1; in flight 0"));
    assertThat(Files.exists(old), equalTo(true));

    String real = run(root, "--trainingRetentionDays=30");
    assertThat(real, containsString("deleted 1 partitions"));
    assertThat(Files.exists(old), equalTo(false));
    assertThat(Files.exists(recent), equalTo(true));
  }

  @Test
  void defaultsAreTheSeedsPolicy() {
    RetentionJob.Options o =
        PipelineOptionsFactory.fromArgs("--root=x").withValidation().as(RetentionJob.Options.class);
    assertThat(o.getRawRetentionDays(), equalTo(90));
    assertThat(o.getTrainingRetentionDays(), equalTo(30));
    assertThat(o.getFeaturesRetentionDays(), equalTo(365));
    assertThat(o.getDryRun(), equalTo(false));
  }
}
