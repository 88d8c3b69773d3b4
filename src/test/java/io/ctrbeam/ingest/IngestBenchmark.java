package io.ctrbeam.ingest;

import static io.ctrbeam.ingest.IngestFixtures.CLOCK;
import static io.ctrbeam.ingest.IngestFixtures.T0;
import static io.ctrbeam.ingest.IngestFixtures.impressionJson;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.ctrbeam.testing.TestPipelineExtension;
import java.nio.file.Path;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read + parse + dedup of N impressions (default 100k; {@code -Dingest.benchmark.records=N}) in 4
 * JSON lines files on DirectRunner: 1% bad position, 2% duplicate ids. Not part of the unit suite
 * (no *Test suffix); run with {@code mvn -o -q test -Dtest=IngestBenchmark}.
 */
@ExtendWith(TestPipelineExtension.class)
class IngestBenchmark {
  @Test
  void readParseDedup(TestPipeline p, @TempDir Path tmp) throws Exception {
    int n = Integer.getInteger("ingest.benchmark.records", 100_000);
    int files = 4;
    for (int f = 0; f < files; f++) {
      String[] lines = new String[n / files];
      for (int j = 0; j < lines.length; j++) {
        int i = f * lines.length + j;
        String id = i % 50 == 49 ? "imp-" + (i - 1) : "imp-" + i;
        lines[j] = impressionJson(id, T0 - (n - i) * 100L, i % 100 == 7 ? 0 : 1 + i % 5, "US");
      }
      IngestFixtures.writeLines(tmp.resolve("imps-" + f + ".jsonl"), lines);
    }
    p.apply(ReadLogs.impressions(tmp.resolve("imps-*.jsonl").toString()).withClock(CLOCK));
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long cpuStart = os.getProcessCpuTime();
    long start = System.nanoTime();
    PipelineResult result = p.run();
    result.waitUntilFinish();
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpuSeconds = (os.getProcessCpuTime() - cpuStart) / 1e9;
    Map<String, Long> counters = IngestMetrics.counters(result);
    System.out.printf(
        "IngestBenchmark: %d records in %.1f s wall (%.0f records/s), %.1f s process CPU"
            + " (%.0f records per CPU second), load average %.1f, counters %s%n",
        n, seconds, n / seconds, cpuSeconds, n / cpuSeconds, os.getSystemLoadAverage(), counters);
    assertThat(counters.get("impression_in"), equalTo((long) n));
    assertThat(
        counters.get("impression_out")
            + counters.get("impression_BAD_POSITION")
            + counters.get("impression_DUPLICATE_ID"),
        equalTo((long) n));
  }
}
