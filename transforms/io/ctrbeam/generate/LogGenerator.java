package io.ctrbeam.generate;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.Provenance;
import io.ctrbeam.ingest.Format;
import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.UserProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.Schema;

/**
 * A deterministic generator of realistic ad logs with known ground truth (plain Java, not a
 * pipeline).
 *
 * <p>Ads have a log-normal true CTR, positions a true examination probability, and better ads are
 * ranked higher more often, so the naive CTR_p / CTR_1 is biased. Clicks follow with a heavy-tailed
 * delay, conversions hours to days later; records arrive out of order within a bound and a small
 * fraction arrive hours late; bad records of every contract §6 reason can be injected.
 *
 * <p>Each event hour is generated from its own seeded {@link SplittableRandom}, so the output is
 * the same for a seed whatever the number of threads.
 */
public final class LogGenerator {
  /** The biggest run {@link #generate} holds in memory. */
  public static final long MAX_IN_MEMORY_IMPRESSIONS = 5_000_000L;

  private static final Comparator<ArrivalEvent> ARRIVAL_ORDER =
      Comparator.comparingLong(ArrivalEvent::arrivalTime).thenComparingLong(ArrivalEvent::seq);

  private LogGenerator() {}

  /**
   * Generates a small run in memory: records, raw lines and events in arrival order, and the truth
   * with every label.
   */
  public static GeneratedLogs generate(GeneratorConfig config) {
    check(config);
    GeneratorConfig.checkArgument(
        config.totalImpressions() <= MAX_IN_MEMORY_IMPRESSIONS,
        "generate() holds the run in memory; use write() above "
            + MAX_IN_MEMORY_IMPRESSIONS
            + " impressions",
        config.totalImpressions());
    World world = new World(config);
    PartitionGenerator.Keep keep = new PartitionGenerator.Keep(true, true, true);
    List<ArrivalEvent> events = new ArrayList<>();
    Tally tally = new Tally(config.positions());
    Map<String, ExpectedLabel> labels = new LinkedHashMap<>();
    PartitionGenerator.Output snapshot = PartitionGenerator.snapshot(config, world, keep);
    events.addAll(snapshot.events);
    tally.merge(snapshot.tally);
    ExecutorService pool = Executors.newFixedThreadPool(config.threads());
    try {
      List<Future<PartitionGenerator.Output>> hours = new ArrayList<>();
      long[] counts = hourCounts(config.impressionsPerDay());
      for (int g = 0; g < config.days() * 24; g++) {
        int partition = g;
        hours.add(
            pool.submit(() -> PartitionGenerator.hour(config, world, counts, partition, keep)));
      }
      for (Future<PartitionGenerator.Output> f : hours) {
        PartitionGenerator.Output o = get(f);
        events.addAll(o.events);
        tally.merge(o.tally);
        for (ExpectedLabel l : o.labels) {
          labels.put(l.impressionId(), l);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    events.sort(ARRIVAL_ORDER);
    return new GeneratedLogs(config, events, new GroundTruth(config, world, tally, labels));
  }

  /** The formats {@code --format} names: {@code jsonl}, {@code avro} or {@code both} (any case). */
  public static Set<Format> formats(String name) {
    String n = name.trim().toUpperCase(Locale.ROOT);
    checkArgument(
        n.equals("JSONL") || n.equals("AVRO") || n.equals("BOTH"),
        "--format must be jsonl, avro or both, got %s",
        name);
    return n.equals("BOTH") ? EnumSet.of(Format.JSONL, Format.AVRO) : EnumSet.of(Format.valueOf(n));
  }

  /**
   * Streams a run to files partitioned by arrival hour: {@code
   * <out>/{impressions,clicks,conversions,users,ads}/date=YYYY-MM-DD/hour=HH/part-00000.{jsonl,avro}},
   * plus {@code <out>/ground_truth.json} and, when the config says so, {@code
   * <out>/truth/labels.jsonl}.
   */
  public static WriteResult write(GeneratorConfig config, Path outputDir, Set<Format> format)
      throws IOException {
    check(config);
    checkArgument(
        !format.isEmpty() && !format.contains(Format.AUTO),
        "logs are written as JSONL, AVRO or both, got %s",
        format);
    long started = System.nanoTime();
    Files.createDirectories(outputDir);
    World world = new World(config);
    boolean writeLabels = config.writeLabels();
    PartitionGenerator.Keep keep =
        new PartitionGenerator.Keep(
            format.contains(Format.JSONL), format.contains(Format.AVRO), writeLabels);
    Tally tally = new Tally(config.positions());
    long startHour = config.startMillis() / PartitionGenerator.HOUR_MS;
    int partitions = config.days() * 24;
    long[] counts = hourCounts(config.impressionsPerDay());
    ExecutorService pool = Executors.newFixedThreadPool(config.threads());
    HourFiles hourFiles = new HourFiles(outputDir, format, config.seed(), pool);
    Writer labelsOut = null;
    try {
      if (writeLabels) {
        Path truthDir = outputDir.resolve("truth");
        Files.createDirectories(truthDir);
        labelsOut = HourFiles.newWriter(truthDir.resolve("labels.jsonl"));
      }
      PartitionGenerator.Output snapshot = PartitionGenerator.snapshot(config, world, keep);
      hourFiles.add(snapshot.events, Long.MIN_VALUE);
      tally.merge(snapshot.tally);
      Deque<Future<PartitionGenerator.Output>> pending = new ArrayDeque<>();
      int next = 0;
      int window = config.threads() + 1;
      for (int g = 0; g < partitions; g++) {
        while (next < partitions && pending.size() < window) {
          int partition = next++;
          pending.add(
              pool.submit(() -> PartitionGenerator.hour(config, world, counts, partition, keep)));
        }
        PartitionGenerator.Output o = get(pending.poll());
        hourFiles.add(o.events, startHour + g - 1);
        tally.merge(o.tally);
        if (labelsOut != null) {
          labelsOut.write(o.labelLines);
        }
        // Every record arrives at or after its event hour, so arrival hours up to this one are
        // complete.
        hourFiles.flushUpTo(startHour + g);
      }
      hourFiles.flushUpTo(Long.MAX_VALUE);
      long[] totals = hourFiles.totals();
      GroundTruth truth = new GroundTruth(config, world, tally, new LinkedHashMap<>());
      Files.writeString(
          outputDir.resolve("ground_truth.json"), truth.toJson() + "\n", StandardCharsets.UTF_8);
      return new WriteResult(
          outputDir,
          truth,
          totals[0],
          totals[1],
          totals[2],
          (System.nanoTime() - started) / 1_000_000);
    } finally {
      if (labelsOut != null) {
        labelsOut.close();
      }
      pool.shutdownNow();
    }
  }

  /** The §1 Avro schema of a record type (its generated class's, without provenance fields). */
  public static Schema schema(RecordType type) {
    switch (type) {
      case IMPRESSION:
        return Provenance.specSchema(Impression.getClassSchema());
      case CLICK:
        return Provenance.specSchema(Click.getClassSchema());
      case CONVERSION:
        return Provenance.specSchema(Conversion.getClassSchema());
      case USER_PROFILE:
        return UserProfile.getClassSchema();
      default:
        return AdMetadata.getClassSchema();
    }
  }

  private static void check(GeneratorConfig c) {
    GeneratorConfig.checkArgument(
        c.ads() >= c.positions(), "need at least as many ads as positions", c.ads());
  }

  static <T> T get(Future<T> f) throws UncheckedIOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException) {
        throw new UncheckedIOException((IOException) cause);
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IllegalStateException(cause);
    }
  }

  /**
   * Impressions of each hour of a day: a diurnal curve peaking mid-afternoon UTC, summing exactly
   * to {@code perDay}.
   */
  static long[] hourCounts(long perDay) {
    double[] weight = new double[24];
    double sum = 0;
    for (int h = 0; h < 24; h++) {
      weight[h] = 1 + 0.5 * Math.sin(2 * Math.PI * (h - 9) / 24.0);
      sum += weight[h];
    }
    long[] counts = new long[24];
    double[] remainder = new double[24];
    long assigned = 0;
    for (int h = 0; h < 24; h++) {
      double exact = perDay * weight[h] / sum;
      counts[h] = (long) Math.floor(exact);
      remainder[h] = exact - counts[h];
      assigned += counts[h];
    }
    // Largest remainders get the leftover impressions (ties by hour).
    while (assigned < perDay) {
      int best = 0;
      for (int h = 1; h < 24; h++) {
        if (remainder[h] > remainder[best]) {
          best = h;
        }
      }
      counts[best]++;
      remainder[best] = -1;
      assigned++;
    }
    return counts;
  }

  /** SplitMix64 of a seed and a stream number: independent seeds per partition. */
  static long mix(long seed, long stream) {
    long z = seed + 0x9E3779B97F4A7C15L * (stream + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
