package io.ctrbeam.pipelines;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctrbeam.baseline.PlainJavaPipeline;
import io.ctrbeam.baseline.RowComparison;
import io.ctrbeam.schema.TrainingExample;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * The batch pipeline against plain Java on the same generated input, in one process: the plain-Java
 * baseline ({@link PlainJavaPipeline}), then {@link TrainingDataPipeline} on FlinkRunner {@code
 * [local]} with parallelism = cores, then on DirectRunner. Each run's Parquet output is compared
 * with the baseline's rows, field by field, and a run that differs gets no figure.
 *
 * <pre>How to run:
 * mvn -q package -Pflink-runner -DskipTests
 * java -Xmx3g -cp target/ctr-beam-bundled-flink-0.1.0-SNAPSHOT.jar io.ctrbeam.pipelines.Benchmark \
 *   --impressions=1000000 --report=benchmark.json --direct=false
 * </pre>
 *
 * <p>Options: {@code --impressions} (1,000,000), {@code --report} (benchmark.json), {@code
 * --direct} and {@code --flink} (true), {@code --parallelism} (cores), {@code --workDir} (a temp
 * dir), {@code --seed}. Any other {@code --name=value} goes to both pipeline runs.
 */
public final class Benchmark {
  private Benchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    List<String> extra = new ArrayList<>();
    for (String arg : args) {
      String[] kv = arg.replaceFirst("^--", "").split("=", 2);
      switch (kv[0]) {
        case "impressions", "report", "direct", "flink", "parallelism", "workDir", "seed" ->
            a.put(kv[0], kv.length > 1 ? kv[1] : "true");
        default -> extra.add(arg);
      }
    }
    long n = Long.parseLong(a.getOrDefault("impressions", "1000000"));
    int cores = Runtime.getRuntime().availableProcessors();
    int parallelism = Integer.parseInt(a.getOrDefault("parallelism", String.valueOf(cores)));
    Path work =
        a.containsKey("workDir")
            ? Path.of(a.get("workDir"))
            : Files.createTempDirectory("ctr-benchmark");
    Path logs = work.resolve("logs");
    System.out.printf("generating %,d impressions into %s%n", n, logs);
    GenerateLogs.run(
        "--output=" + logs,
        "--impressionsPerDay=" + n,
        "--days=1",
        "--badRecordRate=0.01",
        "--format=jsonl",
        "--seed=" + a.getOrDefault("seed", "42"));

    Instant clock = Instant.now();
    PlainJavaPipeline baseline = new PlainJavaPipeline(clock);
    if (n <= 2_000_000) {
      baseline.run(logs); // JIT warm-up; the timed pass is the second
    }
    Measure bm = Measure.start();
    List<TrainingExample> expected = baseline.run(logs);
    bm.stop();
    System.out.printf(
        "baseline: %.2f s, %,.0f impressions/s, %,d rows, stages %s%n",
        bm.wallS, n / bm.wallS, expected.size(), baseline.stageSeconds());

    ObjectMapper json = new ObjectMapper();
    ObjectNode report = json.createObjectNode();
    report
        .put("n", n)
        .put("cores", cores)
        .put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"))
        .put("max_heap_bytes", Runtime.getRuntime().maxMemory());
    ObjectNode base = report.putObject("baseline");
    base.put("events_per_s", (n + countEvents(expected)) / bm.wallS)
        .put("impressions_per_s", n / bm.wallS)
        .put("wall_s", bm.wallS);
    base.putPOJO("stages_s", baseline.stageSeconds());
    ArrayNode runs = report.putArray("runs");

    Map<String, Double> ratios = new LinkedHashMap<>();
    boolean allCorrect = true;
    for (String runner : new String[] {"flink", "direct"}) {
      if (!Boolean.parseBoolean(a.getOrDefault(runner, "true"))) {
        continue;
      }
      Path out = work.resolve("out-" + runner);
      List<String> pa =
          new ArrayList<>(
              List.of(
                  "--impressions=" + logs + "/impressions/**", "--clicks=" + logs + "/clicks/**",
                  "--conversions=" + logs + "/conversions/**",
                      "--userProfiles=" + logs + "/users/**",
                  "--adMetadata=" + logs + "/ads/**", "--output=" + out));
      if (runner.equals("flink")) {
        pa.addAll(
            List.of(
                "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=" + parallelism));
      } else {
        pa.addAll(List.of("--runner=DirectRunner", "--targetParallelism=" + cores));
      }
      pa.addAll(extra);
      String[] pipelineArgs =
          runner.equals("direct")
              ? CtrJob.withDirectRunnerDefaults(pa.toArray(new String[0]))
              : pa.toArray(new String[0]);
      TrainingDataOptions o =
          PipelineOptionsFactory.fromArgs(pipelineArgs)
              .withValidation()
              .as(TrainingDataOptions.class);
      System.out.printf("running the batch pipeline on %s%n", runner);
      Measure m = Measure.start();
      TrainingDataPipeline.run(o).waitUntilFinish();
      m.stop();
      RowComparison cmp = RowComparison.of(expected, readParquet(out.resolve("training")));
      boolean correct = cmp.correct();
      allCorrect &= correct;
      double rate = n / m.wallS;
      ObjectNode r = runs.addObject();
      r.put("runner", runner)
          .put("buckets", o.getBuckets())
          .put("correct", correct)
          .put("rows", cmp.actualRows)
          .put("expected_rows", cmp.expectedRows)
          .put("checksum", Long.toHexString(cmp.actualChecksum))
          .put("expected_checksum", Long.toHexString(cmp.expectedChecksum))
          .put("mismatched_rows", cmp.mismatchedRows);
      if (correct) {
        r.put("impressions_per_s", rate).put("ratio", rate / (n / bm.wallS));
        ratios.put(runner, rate / (n / bm.wallS));
      } else {
        r.putNull("impressions_per_s").putNull("ratio").putPOJO("differences", cmp.examples);
      }
      r.put("wall_s", m.wallS).put("cpu_s", m.cpuS).put("peak_heap_bytes", m.peakHeap);
      System.out.printf(
          "%s: %.2f s wall, %.1f s cpu, peak heap %,d MB, correct=%s%s%n",
          runner,
          m.wallS,
          m.cpuS,
          m.peakHeap >> 20,
          correct,
          correct
              ? String.format(", %,.0f impressions/s, ratio %.4f", rate, rate / (n / bm.wallS))
              : " " + cmp.examples);
    }
    Path reportFile = Path.of(a.getOrDefault("report", "benchmark.json"));
    json.writerWithDefaultPrettyPrinter().writeValue(reportFile.toFile(), report);
    System.out.println("report: " + reportFile.toAbsolutePath());
    StringBuilder last = new StringBuilder();
    for (String runner : new String[] {"flink", "direct"}) {
      if (ratios.containsKey(runner)) {
        last.append(String.format("%s/baseline=%.4f ", runner, ratios.get(runner)));
      }
    }
    System.out.println(last + "correct=" + allCorrect);
    System.exit(allCorrect ? 0 : 1);
  }

  private static long countEvents(List<TrainingExample> rows) {
    long e = 0;
    for (TrainingExample r : rows) {
      e += r.getClicked() + r.getConverted();
    }
    return e;
  }

  /** Every row of the Parquet files under {@code dir}. */
  static List<GenericRecord> readParquet(Path dir) throws IOException {
    List<GenericRecord> rows = new ArrayList<>();
    Configuration conf = new Configuration();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".parquet")).toList()) {
        try (ParquetReader<GenericRecord> r =
            AvroParquetReader.<GenericRecord>builder(
                    HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.toUri()), conf))
                .withDataModel(GenericData.get())
                .build()) {
          for (GenericRecord g = r.read(); g != null; g = r.read()) {
            rows.add(g);
          }
        }
      }
    }
    return rows;
  }

  /** Wall time, process CPU time and peak heap (sampled every 50 ms) of one run. */
  private static final class Measure {
    private final long t0 = System.nanoTime();
    private final long cpu0 = cpu();
    private final AtomicLong peak = new AtomicLong();
    private final Thread sampler;
    double wallS;
    double cpuS;
    long peakHeap;

    private Measure() {
      Runtime rt = Runtime.getRuntime();
      sampler =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  peak.accumulateAndGet(rt.totalMemory() - rt.freeMemory(), Math::max);
                  try {
                    Thread.sleep(50);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      sampler.setDaemon(true);
      sampler.start();
    }

    static Measure start() {
      System.gc();
      return new Measure();
    }

    void stop() {
      wallS = (System.nanoTime() - t0) / 1e9;
      cpuS = (cpu() - cpu0) / 1e9;
      sampler.interrupt();
      peakHeap = peak.get();
    }

    private static long cpu() {
      return ((com.sun.management.OperatingSystemMXBean)
              ManagementFactory.getOperatingSystemMXBean())
          .getProcessCpuTime();
    }
  }
}
