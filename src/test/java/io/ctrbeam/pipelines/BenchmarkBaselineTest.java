package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import io.ctrbeam.baseline.PlainJavaPipeline;
import io.ctrbeam.baseline.RowComparison;
import io.ctrbeam.schema.TrainingExample;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's plain-Java baseline writes exactly the batch layer's rows, so its figures compare
 * like with like.
 */
class BenchmarkBaselineTest {
  @Test
  void baselineRowsEqualThePipelinesParquetRowsFieldByField(@TempDir Path dir) throws Exception {
    Path logs = dir.resolve("logs");
    GenerateLogs.run(
        "--output=" + logs,
        "--impressionsPerDay=3000",
        "--days=1",
        "--badRecordRate=0.01",
        "--format=jsonl",
        "--seed=5",
        "--users=400",
        "--ads=80");
    List<TrainingExample> expected = new PlainJavaPipeline(Instant.now()).run(logs);

    Path out = dir.resolve("out");
    String[] args =
        CtrJob.withDirectRunnerDefaults(
            new String[] {
              "--impressions=" + logs + "/impressions/**", "--clicks=" + logs + "/clicks/**",
              "--conversions=" + logs + "/conversions/**", "--userProfiles=" + logs + "/users/**",
              "--adMetadata=" + logs + "/ads/**", "--output=" + out
            });
    TrainingDataPipeline.run(
            PipelineOptionsFactory.fromArgs(args).withValidation().as(TrainingDataOptions.class))
        .waitUntilFinish();
    RowComparison cmp = RowComparison.of(expected, Benchmark.readParquet(out.resolve("training")));

    assertThat(cmp.expectedRows, greaterThan(100L));
    assertThat(String.valueOf(cmp.examples), cmp.mismatchedRows, equalTo(0L));
    assertThat(cmp.actualRows, equalTo(cmp.expectedRows));
    assertThat(cmp.actualChecksum, equalTo(cmp.expectedChecksum));
  }
}
