package io.ctrbeam.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctrbeam.baseline.PlainJavaPipeline;
import io.ctrbeam.baseline.RowComparison;
import io.ctrbeam.schema.TrainingExample;
import java.io.File;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
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
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
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
 * dir), {@code --seed}, {@code --baselineHeap} (e.g. 16g: the baseline runs in a child JVM with
 * that heap, and so do the generator and the row comparison: the pipeline's JVM holds only the
 * pipeline), {@code --liveHeapEvery} (seconds between forced full collections, to measure the
 * retained heap), {@code --stages}, {@code --warm} (the whole pipeline once more after the cold
 * run, in the same JVM, checked and reported as {@code warm}; the headline stays the cold run),
 * {@code --floorOnly} (only the floor cut, as the JVM's first job: what any design pays cold),
 * {@code --reuseLogs} (take the logs an earlier run with the same {@code --workDir}, {@code
 * --impressions} and {@code --seed} generated). Any other {@code --name=value} goes to both
 * pipeline runs.
 */
public final class Benchmark {
  private Benchmark() {}

  /** The generator arguments that made a work dir's logs, for {@code --reuseLogs}. */
  private static final String GENERATED = "_benchmark_generated.txt";

  private static void checkSameLogs(Path marker, String generatedWith) throws IOException {
    String made = Files.readString(marker);
    if (!made.equals(generatedWith)) {
      throw new IllegalArgumentException(
          "--reuseLogs: " + marker + " holds logs generated with other arguments: " + made);
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    List<String> extra = new ArrayList<>();
    for (String arg : args) {
      String[] kv = arg.replaceFirst("^--", "").split("=", 2);
      switch (kv[0]) {
        case "impressions",
            "report",
            "direct",
            "flink",
            "parallelism",
            "workDir",
            "seed",
            "baselineHeap",
            "liveHeapEvery",
            "reuseLogs",
            "stages",
            "warm",
            "floorOnly" ->
            a.put(kv[0], kv.length > 1 ? kv[1] : "true");
        default -> extra.add(arg);
      }
    }
    long n = Long.parseLong(a.getOrDefault("impressions", "1000000"));
    Measure.liveHeapEveryS = Long.parseLong(a.getOrDefault("liveHeapEvery", "0"));
    int cores = Runtime.getRuntime().availableProcessors();
    int parallelism = Integer.parseInt(a.getOrDefault("parallelism", String.valueOf(cores)));
    Path work =
        a.containsKey("workDir")
            ? Path.of(a.get("workDir"))
            : Files.createTempDirectory("ctr-benchmark");
    Path logs = work.resolve("logs");
    String[] generate = {
      "--output=" + logs,
      "--impressionsPerDay=" + n,
      "--days=1",
      "--badRecordRate=0.01",
      "--format=jsonl",
      "--seed=" + a.getOrDefault("seed", "42")
    };
    String generatedWith = String.join("\n", generate);
    if (Boolean.parseBoolean(a.getOrDefault("reuseLogs", "false"))
        && Files.exists(logs.resolve(GENERATED))) {
      checkSameLogs(logs.resolve(GENERATED), generatedWith);
      System.out.printf("reusing the %,d impressions in %s%n", n, logs);
    } else {
      System.out.printf("generating %,d impressions into %s%n", n, logs);
      if (a.containsKey("baselineHeap")) {
        BaselineResult.fork(GenerateLogs.class, a.get("baselineHeap"), generate);
      } else {
        GenerateLogs.run(generate);
      }
      Files.writeString(logs.resolve(GENERATED), generatedWith);
    }

    Instant clock = Instant.now();
    BaselineResult bm =
        a.containsKey("baselineHeap")
            ? BaselineResult.forked(a.get("baselineHeap"), logs, clock, n, work)
            : BaselineResult.inProcess(logs, clock, n <= 2_000_000);
    System.out.printf(
        "baseline: %.2f s, %,.0f impressions/s, %,d rows, stages %s%n",
        bm.wallS, n / bm.wallS, bm.rows, bm.stages);

    ObjectMapper json = new ObjectMapper();
    ObjectNode report = json.createObjectNode();
    report
        .put("n", n)
        .put("cores", cores)
        .put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"))
        .put("max_heap_bytes", Runtime.getRuntime().maxMemory())
        .put("gc", String.join(", ", collectors()));
    ObjectNode base = report.putObject("baseline");
    base.put("events_per_s", (n + bm.outcomes) / bm.wallS)
        .put("impressions_per_s", n / bm.wallS)
        .put("wall_s", bm.wallS);
    base.putPOJO("stages_s", bm.stages);
    base.put("forked", bm.forked());
    ArrayNode runs = report.putArray("runs");

    boolean floorOnly = Boolean.parseBoolean(a.getOrDefault("floorOnly", "false"));
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
      if (floorOnly) {
        ObjectNode f = runs.addObject();
        f.put("runner", runner).put("cut", "floor");
        Measure m = runCut(TrainingDataPipeline.Stage.FLOOR, runner, pipelineArgs, work, f);
        ratios.put(runner, m.wallS / bm.wallS);
        continue;
      }
      TrainingDataOptions o =
          PipelineOptionsFactory.fromArgs(pipelineArgs)
              .withValidation()
              .as(TrainingDataOptions.class);
      if (runner.equals("direct") && collectors().stream().anyMatch(c -> c.startsWith("G1"))) {
        System.out.println(
            "note: DirectRunner's batch runs took about a fifth less time with"
                + " -XX:+UseParallelGC than with G1 here (README, \"Direct at 200k\")");
      }
      System.out.printf("running the batch pipeline on %s%n", runner);
      Measure m = Measure.start();
      TrainingDataPipeline.run(o).waitUntilFinish();
      m.stop();
      RowComparison cmp = bm.compare(out.resolve("training"), work);
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
      r.put("wall_s", m.wallS)
          .put("cpu_s", m.cpuS)
          .put("peak_heap_bytes", m.peakHeap)
          .put("peak_live_heap_bytes", m.peakLiveHeap < 0 ? null : m.peakLiveHeap);
      boolean stages = Boolean.parseBoolean(a.getOrDefault("stages", "false"));
      ObjectNode stageTimes = stages ? stageByStage(runner, pipelineArgs, work) : null;
      if (stages || Boolean.parseBoolean(a.getOrDefault("warm", "false"))) {
        // The whole pipeline once more in the same JVM, after the cold run (and the cuts).
        Path warmOut = work.resolve("out-" + runner + "-warm");
        TrainingDataOptions again =
            PipelineOptionsFactory.fromArgs(pipelineArgs)
                .withValidation()
                .as(TrainingDataOptions.class);
        again.setOutput(warmOut.toString());
        Measure w = Measure.start();
        TrainingDataPipeline.run(again).waitUntilFinish();
        w.stop();
        boolean warmCorrect = bm.compare(warmOut.resolve("training"), work).correct();
        allCorrect &= warmCorrect;
        double warmRate = n / w.wallS;
        System.out.printf(
            "%s whole, warm: %.2f s wall, %.1f s cpu, correct=%s, %,.0f impressions/s%n",
            runner, w.wallS, w.cpuS, warmCorrect, warmRate);
        ObjectNode warm = r.putObject("warm");
        warm.put("wall_s", w.wallS).put("cpu_s", w.cpuS).put("correct", warmCorrect);
        if (warmCorrect) {
          warm.put("impressions_per_s", warmRate).put("ratio", warmRate / (n / bm.wallS));
        }
        if (stages) {
          stageTimes.putObject("all").put("wall_s", w.wallS).put("cpu_s", w.cpuS);
          r.set("stages", stageTimes);
        }
      }
      System.out.printf(
          "%s: %.2f s wall, %.1f s cpu, peak heap %,d MB%s, correct=%s%s%n",
          runner,
          m.wallS,
          m.cpuS,
          m.peakHeap >> 20,
          m.peakLiveHeap < 0 ? "" : String.format(" (retained %,d MB)", m.peakLiveHeap >> 20),
          correct,
          correct
              ? String.format(", %,.0f impressions/s, ratio %.4f", rate, rate / (n / bm.wallS))
              : " " + cmp.examples);
    }
    Path reportFile = Path.of(a.getOrDefault("report", "benchmark.json"));
    json.writerWithDefaultPrettyPrinter().writeValue(reportFile.toFile(), report);
    System.out.println("report: " + reportFile.toAbsolutePath());
    if (floorOnly) {
      // No rows are written, so nothing is compared and no ratio is a rate.
      ratios.forEach(
          (runner, times) ->
              System.out.printf("%s floor, cold = %.2f× the baseline's time%n", runner, times));
      System.exit(0);
    }
    StringBuilder last = new StringBuilder();
    for (String runner : new String[] {"flink", "direct"}) {
      if (ratios.containsKey(runner)) {
        last.append(String.format("%s/baseline=%.4f ", runner, ratios.get(runner)));
      }
    }
    System.out.println(last + "correct=" + allCorrect);
    System.exit(allCorrect ? 0 : 1);
  }

  /** The JVM's garbage collectors, as its MX beans name them (e.g. G1 Young Generation). */
  private static List<String> collectors() {
    List<String> names = new ArrayList<>();
    ManagementFactory.getGarbageCollectorMXBeans().forEach(b -> names.add(b.getName()));
    return names;
  }

  /**
   * The floor, then the pipeline cut after ingest, after labeling, after weights and after features
   * (with the quality gate), each run on its own and timed; the differences are what each stage
   * adds.
   */
  private static ObjectNode stageByStage(String runner, String[] pipelineArgs, Path work) {
    ObjectNode times = new ObjectMapper().createObjectNode();
    for (TrainingDataPipeline.Stage stage :
        new TrainingDataPipeline.Stage[] {
          TrainingDataPipeline.Stage.FLOOR,
          TrainingDataPipeline.Stage.INGEST,
          TrainingDataPipeline.Stage.LABEL,
          TrainingDataPipeline.Stage.WEIGHTS,
          TrainingDataPipeline.Stage.FEATURES
        }) {
      runCut(
          stage,
          runner,
          pipelineArgs,
          work,
          times.putObject(stage.name().toLowerCase(java.util.Locale.ROOT)));
    }
    return times;
  }

  /**
   * Runs the pipeline cut after {@code stage}, timed; its wall and CPU seconds go into {@code to}.
   */
  private static Measure runCut(
      TrainingDataPipeline.Stage stage,
      String runner,
      String[] pipelineArgs,
      Path work,
      ObjectNode to) {
    String name = stage.name().toLowerCase(java.util.Locale.ROOT);
    TrainingDataOptions o =
        PipelineOptionsFactory.fromArgs(pipelineArgs)
            .withValidation()
            .as(TrainingDataOptions.class);
    o.setOutput(work.resolve("stage-" + runner + "-" + name).toString());
    System.out.printf("running the batch pipeline on %s up to %s%n", runner, name);
    Measure m = Measure.start();
    TrainingDataPipeline.pipeline(o, stage).run().waitUntilFinish();
    m.stop();
    System.out.printf("%s up to %s: %.2f s wall, %.1f s cpu%n", runner, name, m.wallS, m.cpuS);
    to.put("wall_s", m.wallS).put("cpu_s", m.cpuS);
    return m;
  }

  /** Every row of the Parquet files under {@code dir}. */
  static List<GenericRecord> readParquet(Path dir) throws IOException {
    List<GenericRecord> rows = new ArrayList<>();
    parquetRows(dir).forEach(rows::add);
    return rows;
  }

  /** The rows of the Parquet files under {@code dir}, read one at a time. */
  static Iterable<GenericRecord> parquetRows(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> all = Files.walk(dir)) {
      files = all.filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
    }
    Configuration conf = new Configuration();
    return () ->
        files.stream()
            .flatMap(
                f -> {
                  List<GenericRecord> rows = new ArrayList<>();
                  try (ParquetReader<GenericRecord> r =
                      AvroParquetReader.<GenericRecord>builder(
                              HadoopInputFile.fromPath(
                                  new org.apache.hadoop.fs.Path(f.toUri()), conf))
                          .withDataModel(GenericData.get())
                          .build()) {
                    for (GenericRecord g = r.read(); g != null; g = r.read()) {
                      rows.add(g);
                    }
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                  return rows.stream();
                })
            .iterator();
  }

  /**
   * The baseline's timing and rows: run in this process, or, for volumes whose rows do not fit the
   * heap the pipeline runs in, in a child JVM with a heap of its own ({@code --baselineHeap}) that
   * writes its rows to an Avro file.
   */
  private static final class BaselineResult {
    double wallS;
    long rows;
    long outcomes;
    Object stages;
    private List<TrainingExample> inMemory;
    private Path file;

    /** The child JVM's heap, or null when the baseline ran in this process. */
    private String heap;

    static BaselineResult inProcess(Path logs, Instant clock, boolean warmUp) {
      PlainJavaPipeline baseline = new PlainJavaPipeline(clock);
      if (warmUp) {
        baseline.run(logs); // JIT warm-up; the timed pass is the second
      }
      Measure m = Measure.start();
      List<TrainingExample> expected = baseline.run(logs);
      m.stop();
      BaselineResult r = new BaselineResult();
      r.wallS = m.wallS;
      r.rows = expected.size();
      r.outcomes = countOutcomes(expected);
      r.stages = baseline.stageSeconds();
      r.inMemory = expected;
      return r;
    }

    static BaselineResult forked(String heap, Path logs, Instant clock, long n, Path work)
        throws IOException, InterruptedException {
      Path file = work.resolve("baseline-rows.avro");
      Path stats = work.resolve("baseline.json");
      fork(
          ForkedBaseline.class,
          heap,
          logs.toString(),
          String.valueOf(clock.toEpochMilli()),
          String.valueOf(n <= 2_000_000),
          file.toString(),
          stats.toString());
      JsonNode s = new ObjectMapper().readTree(stats.toFile());
      BaselineResult r = new BaselineResult();
      r.wallS = s.get("wall_s").asDouble();
      r.rows = s.get("rows").asLong();
      r.outcomes = s.get("outcomes").asLong();
      r.stages = s.get("stages_s");
      r.heap = heap;
      r.file = file;
      return r;
    }

    /** Runs {@code main} in a child JVM with this heap and the same class path. */
    static void fork(Class<?> main, String heap, String... args)
        throws IOException, InterruptedException {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(List.of("-Xmx" + heap, "-cp", System.getProperty("java.class.path")));
      cmd.add(main.getName());
      cmd.addAll(List.of(args));
      Process p = new ProcessBuilder(cmd).inheritIO().start();
      if (p.waitFor() != 0) {
        throw new IllegalStateException(
            main.getSimpleName() + " failed in its own JVM with exit " + p.exitValue());
      }
    }

    /**
     * The comparison of a run's rows with these: in this process, or, with a forked baseline, in a
     * child JVM with the baseline's heap, since it holds the expected rows' values.
     */
    RowComparison compare(Path actual, Path work) throws IOException, InterruptedException {
      if (!forked()) {
        return RowComparison.of(inMemory, parquetRows(actual));
      }
      Path result = work.resolve("comparison.ser");
      fork(ForkedComparison.class, heap, file.toString(), actual.toString(), result.toString());
      try (ObjectInputStream in = new ObjectInputStream(Files.newInputStream(result))) {
        return (RowComparison) in.readObject();
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
    }

    boolean forked() {
      return heap != null;
    }

    /** The rows of an Avro file, read lazily. */
    static Iterable<TrainingExample> avroRows(Path file) {
      return () -> {
        try {
          return new DataFileReader<>(
              file.toFile(), new SpecificDatumReader<>(TrainingExample.class));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      };
    }

    static long countOutcomes(List<TrainingExample> rows) {
      long e = 0;
      for (TrainingExample r : rows) {
        e += r.getClicked() + r.getConverted();
      }
      return e;
    }
  }

  /** The row comparison in a JVM of its own: args expected rows (Avro), actual dir, result file. */
  public static final class ForkedComparison {
    private ForkedComparison() {}

    public static void main(String[] args) throws IOException {
      RowComparison cmp =
          RowComparison.of(
              BaselineResult.avroRows(Path.of(args[0])), parquetRows(Path.of(args[1])));
      try (ObjectOutputStream out =
          new ObjectOutputStream(Files.newOutputStream(Path.of(args[2])))) {
        out.writeObject(cmp);
      }
    }
  }

  /** The baseline in a JVM of its own: args logs, clock millis, warm-up, rows file, stats file. */
  public static final class ForkedBaseline {
    private ForkedBaseline() {}

    public static void main(String[] args) throws IOException {
      BaselineResult r =
          BaselineResult.inProcess(
              Path.of(args[0]),
              Instant.ofEpochMilli(Long.parseLong(args[1])),
              Boolean.parseBoolean(args[2]));
      try (DataFileWriter<TrainingExample> w =
          new DataFileWriter<>(new SpecificDatumWriter<>(TrainingExample.class))) {
        w.create(TrainingExample.getClassSchema(), new File(args[3]));
        for (TrainingExample row : r.inMemory) {
          w.append(row);
        }
      }
      ObjectMapper json = new ObjectMapper();
      ObjectNode s = json.createObjectNode();
      s.put("wall_s", r.wallS).put("rows", r.rows).put("outcomes", r.outcomes);
      s.putPOJO("stages_s", r.stages);
      json.writeValue(new File(args[4]), s);
    }
  }

  /**
   * Wall time, process CPU time and the peak heap in use of one run, sampled every 50 ms (garbage
   * included, so it follows the young generation's size). With {@code --liveHeapEvery=S} it also
   * forces a full collection every S seconds and keeps the largest heap in use right after one: the
   * peak of what the run retains, at the price of those pauses (so not for timed runs).
   */
  private static final class Measure {
    /** Seconds between forced full collections; 0: none. */
    static long liveHeapEveryS = 0;

    private final long t0 = System.nanoTime();
    private final long cpu0 = cpu();
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong peakLive = new AtomicLong(-1);
    private final Thread sampler;
    double wallS;
    double cpuS;
    long peakHeap;
    long peakLiveHeap;

    private Measure() {
      Runtime rt = Runtime.getRuntime();
      long everyMs = liveHeapEveryS * 1000;
      sampler =
          new Thread(
              () -> {
                long nextGc = System.currentTimeMillis() + everyMs;
                while (!Thread.currentThread().isInterrupted()) {
                  peak.accumulateAndGet(rt.totalMemory() - rt.freeMemory(), Math::max);
                  if (everyMs > 0 && System.currentTimeMillis() >= nextGc) {
                    System.gc();
                    peakLive.accumulateAndGet(rt.totalMemory() - rt.freeMemory(), Math::max);
                    nextGc = System.currentTimeMillis() + everyMs;
                  }
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
      peakLiveHeap = peakLive.get();
    }

    private static long cpu() {
      return ((com.sun.management.OperatingSystemMXBean)
              ManagementFactory.getOperatingSystemMXBean())
          .getProcessCpuTime();
    }
  }
}
