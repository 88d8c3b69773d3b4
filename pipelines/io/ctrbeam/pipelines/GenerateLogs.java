package io.ctrbeam.pipelines;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.generate.GeneratorConfig;
import io.ctrbeam.generate.GroundTruth;
import io.ctrbeam.generate.LogGenerator;
import io.ctrbeam.generate.RecordType;
import io.ctrbeam.generate.WriteResult;
import io.ctrbeam.ingest.Format;
import java.io.IOException;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Writes synthetic ad logs with known ground truth: impressions, clicks, conversions, user profiles
 * and ad metadata as JSON lines and/or Avro, partitioned by arrival hour, plus ground_truth.json.
 *
 * <p>How to run:
 *
 * <pre>
 * mvn -o -q compile exec:java -Dexec.mainClass=io.ctrbeam.pipelines.GenerateLogs \
 *   -Dexec.args="--output=/tmp/logs --impressionsPerDay=1000000 --days=1 --seed=42 --format=jsonl"
 * </pre>
 *
 * <p>Options (all {@code --name=value}): output (required), format (jsonl|avro|both), seed, days,
 * impressionsPerDay, startDate, users, ads, advertisers, categories, positions, badRecordRate,
 * lateFraction, disorderBoundMinutes, driftFromDay, driftCtrMultiplier, driftMobileShare,
 * windowMinutes, horizonMinutes, conversionWindowDays, writeLabels, threads.
 */
public final class GenerateLogs {
  private GenerateLogs() {}

  public static void main(String[] args) throws IOException {
    WriteResult r = run(args);
    GroundTruth t = r.truth();
    System.out.println("Wrote " + r);
    System.out.printf(
        "impressions=%,d positives=%,d clicks=%,d conversions=%,d late=%,d injected_bad=%,d%n",
        t.impressions(),
        t.positives(),
        t.validClicks(),
        t.conversions(),
        t.lateRecords(),
        injected(t));
    System.out.println("Ground truth: " + r.outputDir().resolve("ground_truth.json"));
  }

  /** Parses the arguments, writes the logs and returns what was written. */
  public static WriteResult run(String... args) throws IOException {
    Map<String, String> a = parse(args);
    String output = a.remove("output");
    checkArgument(output != null, "--output=<dir> is required, got %s", output);
    Set<Format> format = LogGenerator.formats(a.getOrDefault("format", "jsonl"));
    a.remove("format");
    GeneratorConfig c = config(a);
    return LogGenerator.write(c, Paths.get(output), format);
  }

  /** Builds the generator config from {@code --name=value} options (unknown names fail). */
  static GeneratorConfig config(Map<String, String> a) {
    GeneratorConfig c = GeneratorConfig.defaults();
    for (Map.Entry<String, String> e : a.entrySet()) {
      String v = e.getValue();
      switch (e.getKey()) {
        case "seed":
          c = c.withSeed(Long.parseLong(v));
          break;
        case "days":
          c = c.withDays(Integer.parseInt(v));
          break;
        case "impressionsPerDay":
          c = c.withImpressionsPerDay(Long.parseLong(v));
          break;
        case "startDate":
          c = c.withStartDate(LocalDate.parse(v));
          break;
        case "users":
          c = c.withUsers(Integer.parseInt(v));
          break;
        case "ads":
          c = c.withAds(Integer.parseInt(v));
          break;
        case "advertisers":
          c = c.withAdvertisers(Integer.parseInt(v));
          break;
        case "categories":
          c = c.withCategories(Integer.parseInt(v));
          break;
        case "positions":
          c = c.withPositions(Integer.parseInt(v));
          break;
        case "badRecordRate":
          c = c.withBadRecordRate(Double.parseDouble(v));
          break;
        case "lateFraction":
          c = c.withLateFraction(Double.parseDouble(v));
          break;
        case "disorderBoundMinutes":
          c = c.withDisorderBound(Duration.ofMinutes(Long.parseLong(v)));
          break;
        case "driftFromDay":
          c = c.withDriftFromDay(Integer.parseInt(v));
          break;
        case "driftCtrMultiplier":
          c = c.withDriftCtrMultiplier(Double.parseDouble(v));
          break;
        case "driftMobileShare":
          c = c.withDriftMobileShare(Double.parseDouble(v));
          break;
        case "windowMinutes":
          c = c.withWindow(Duration.ofMinutes(Long.parseLong(v)));
          break;
        case "horizonMinutes":
          c = c.withHorizon(Duration.ofMinutes(Long.parseLong(v)));
          break;
        case "conversionWindowDays":
          c = c.withConversionWindow(Duration.ofDays(Long.parseLong(v)));
          break;
        case "writeLabels":
          c = c.withWriteLabels(Boolean.parseBoolean(v));
          break;
        case "threads":
          c = c.withThreads(Integer.parseInt(v));
          break;
        default:
          checkArgument(false, "unknown option, got --%s", e.getKey());
      }
    }
    return c;
  }

  static Map<String, String> parse(String[] args) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String s = args[i];
      checkArgument(s.startsWith("--"), "expected --name=value, got %s", s);
      int eq = s.indexOf('=');
      if (eq > 0) {
        m.put(s.substring(2, eq), s.substring(eq + 1));
      } else if (i + 1 < args.length) {
        m.put(s.substring(2), args[++i]);
      } else {
        checkArgument(false, "no value for an option, got %s", s);
      }
    }
    return m;
  }

  private static long injected(GroundTruth t) {
    long n = 0;
    for (RecordType type : RecordType.values()) {
      n += t.injected(type);
    }
    return n;
  }
}
