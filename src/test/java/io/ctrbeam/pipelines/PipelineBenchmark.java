package io.ctrbeam.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.label.BatchLabeler;
import io.ctrbeam.label.LabelImpressions;
import io.ctrbeam.label.LabelMode;
import io.ctrbeam.label.LabelRules;
import io.ctrbeam.label.Outcome;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The whole batch pipeline against a plain-Java baseline in the same process.
 *
 * <p>Generates N impressions (1% bad records) into a temp dir, times the plain-Java baseline (Jackson
 * parsing of the impression/click/conversion lines and the click and conversion joins with {@link
 * BatchLabeler}, second of two passes), then times {@link TrainingDataPipeline} (read, dedup, label, features, enrich,
 * Parquet) and prints impressions/s of both and their ratio.
 *
 * <pre>
 * mvn -o -q test-compile
 * CP=$(mvn -o -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/dev/stdout)
 * java -cp $CP:target/classes:target/test-classes io.ctrbeam.pipelines.PipelineBenchmark \
 *   --impressions=50000 --buckets=1 --enforceImmutability=false --enforceEncodability=false
 * # Flink: add --runner=FlinkRunner --flinkMaster=[local] --parallelism=2
 * </pre>
 *
 * <p>{@code --impressions} (default 50000) is the generator's impressionsPerDay (one day); every
 * other argument goes to the pipeline.
 */
public final class PipelineBenchmark {
  private PipelineBenchmark() {}

  public static void main(String[] args) throws IOException {
    long n = 50_000;
    List<String> pipelineArgs = new ArrayList<>();
    for (String a : args) {
      if (a.startsWith("--impressions=")) {
        n = Long.parseLong(a.substring("--impressions=".length()));
      } else {
        pipelineArgs.add(a);
      }
    }
    Path dir = Files.createTempDirectory("ctr-bench");
    Path logs = dir.resolve("logs");
    GenerateLogs.run(
        "--output=" + logs, "--impressionsPerDay=" + n, "--days=1", "--badRecordRate=0.01",
        "--format=jsonl");

    baseline(logs); // JIT warm-up; the timed pass is the second
    long t0 = System.nanoTime();
    long rows = baseline(logs);
    double baseSec = (System.nanoTime() - t0) / 1e9;

    pipelineArgs.addAll(
        Arrays.asList(
            "--impressions=" + logs + "/impressions/**",
            "--clicks=" + logs + "/clicks/**",
            "--conversions=" + logs + "/conversions/**",
            "--userProfiles=" + logs + "/users/**",
            "--adMetadata=" + logs + "/ads/**",
            "--output=" + dir.resolve("out")));
    TrainingDataOptions options =
        PipelineOptionsFactory.fromArgs(pipelineArgs.toArray(new String[0]))
            .withValidation()
            .as(TrainingDataOptions.class);
    long t1 = System.nanoTime();
    PipelineResult result = TrainingDataPipeline.run(options);
    result.waitUntilFinish();
    double pipeSec = (System.nanoTime() - t1) / 1e9;

    double baseRate = n / baseSec;
    double pipeRate = n / pipeSec;
    System.out.printf(
        "impressions=%,d runner=%s buckets=%d%n"
            + "baseline (Jackson + BatchLabeler): %.2f s, %,.0f impressions/s (%,d rows)%n"
            + "pipeline: %.2f s wall, %,.0f impressions/s, ratio to baseline %.4f%n"
            + "output: %s%n",
        n, options.getRunner().getSimpleName(), options.getBuckets(), baseSec, baseRate, rows,
        pipeSec, pipeRate, pipeRate / baseRate, dir.resolve("out"));
  }

  /** Parses the JSON lines and labels clicks and conversions in memory; returns the row count. */
  static long baseline(Path logs) {
    ObjectMapper mapper = new ObjectMapper();
    LabelImpressions cfg = LabelImpressions.create();
    Count clicked = new Count();
    BatchLabeler clickJoin = new BatchLabeler(cfg.clickRules());
    lines(logs.resolve("impressions"))
        .forEach(l -> {
          JsonNode j = parse(mapper, l);
          if (j != null && j.hasNonNull("impression_id") && j.hasNonNull("event_time")) {
            clickJoin.addPrimary(LabelImpressions.toRow(impression(j), LabelMode.WAIT), clicked);
          }
        });
    lines(logs.resolve("clicks")).forEach(l -> addOutcome(mapper, l, "click_id", clickJoin));
    clickJoin.finish(clicked);

    Count out = new Count();
    BatchLabeler convJoin = new BatchLabeler(cfg.conversionRules());
    for (TrainingExample r : clicked.rows) {
      if (r.getClicked() == 1 && r.getClickTime() != null) {
        convJoin.addPrimary(r, out);
      } else {
        out.example(r, 0);
      }
    }
    lines(logs.resolve("conversions")).forEach(l -> addOutcome(mapper, l, "conversion_id", convJoin));
    convJoin.finish(out);
    return out.rows.size();
  }

  private static void addOutcome(ObjectMapper mapper, String line, String idField, BatchLabeler join) {
    JsonNode j = parse(mapper, line);
    if (j != null && j.hasNonNull(idField) && j.hasNonNull("impression_id") && j.hasNonNull("event_time")) {
      join.addOutcome(
          new Outcome(
              j.get(idField).asText(), j.get("impression_id").asText(),
              j.get("event_time").asLong(), line));
    }
  }

  private static Impression impression(JsonNode j) {
    return Impression.newBuilder()
        .setImpressionId(j.get("impression_id").asText())
        .setEventTime(Instant.ofEpochMilli(j.get("event_time").asLong()))
        .setUserId(text(j, "user_id"))
        .setAdId(text(j, "ad_id"))
        .setPosition(j.path("position").asInt())
        .setAdvertiserId(text(j, "advertiser_id"))
        .setAdCategory(text(j, "ad_category"))
        .setDevice(text(j, "device"))
        .setCountry(text(j, "country"))
        .setRequestId(text(j, "request_id"))
        .build();
  }

  private static String text(JsonNode j, String field) {
    JsonNode v = j.get(field);
    return v == null || v.isNull() ? "" : v.asText();
  }

  private static JsonNode parse(ObjectMapper mapper, String line) {
    try {
      JsonNode j = mapper.readTree(line);
      return j != null && j.isObject() ? j : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static Stream<String> lines(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      List<Path> jsonl =
          files.filter(f -> f.toString().endsWith(".jsonl")).sorted(Comparator.naturalOrder()).toList();
      return jsonl.stream().flatMap(PipelineBenchmark::readLines);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Stream<String> readLines(Path f) {
    try {
      return Files.readAllLines(f).stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Keeps the rows; drops the rest. */
  private static final class Count implements LabelRules.Sink {
    final List<TrainingExample> rows = new ArrayList<>();

    @Override
    public void example(TrainingExample row, long ts) {
      rows.add(row);
    }

    @Override
    public void deadLetter(DeadLetter dl, long ts) {}

    @Override
    public void correction(LabelCorrection c, long ts) {}

    @Override
    public void delay(long delayMs, long ts) {}
  }
}
