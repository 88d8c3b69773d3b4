package io.ctrbeam.pipelines;

import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.Durations;
import io.ctrbeam.common.MetricsReader;
import io.ctrbeam.ingest.IngestMetrics;
import io.ctrbeam.label.LabelRules;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Runs a pipeline and prints, every {@code --progressInterval}, the records read, labeled and
 * dead-lettered per type, from the running job's Beam Metrics (attempted values), then one final
 * line with the finished job's counts. {@code --progress=false} runs it without. How the job is
 * kept readable while it runs, per runner, is {@link LiveRun}'s.
 *
 * <p>A line: {@code progress 10s read impression=52000 click=1033 | labeled 40112 (positives=530) |
 * dead-lettered impression=120 click=70}; the last one starts {@code progress done}.
 */
public final class Progress {
  /** The record types, in the order they are printed. */
  static final List<String> TYPES =
      List.of("impression", "click", "conversion", "user_profile", "ad_metadata");

  private Progress() {}

  /**
   * Runs {@code p} to its end, printing progress to {@code out} unless turned off; returns the
   * finished result.
   */
  public static PipelineResult run(Pipeline p, PrintStream out) {
    return run(p, out, null);
  }

  /**
   * As {@link #run(Pipeline, PrintStream)}; with {@code runFor} (a stream's bounded run) the job is
   * cancelled when it has not ended after that long.
   */
  public static PipelineResult run(Pipeline p, PrintStream out, @Nullable Duration runFor) {
    ProgressOptions o = p.getOptions().as(ProgressOptions.class);
    if (!o.getProgress() && runFor == null) {
      PipelineResult result = p.run();
      result.waitUntilFinish();
      return result;
    }
    long start = System.nanoTime();
    PipelineResult running = LiveRun.start(p);
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "progress");
              t.setDaemon(true);
              return t;
            });
    if (o.getProgress()) {
      long intervalMs = Durations.parse(o.getProgressInterval()).getMillis();
      timer.scheduleAtFixedRate(
          () -> printLive(running, start, out), intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }
    try {
      PipelineResult done =
          runFor == null ? LiveRun.await(running) : LiveRun.stopAfter(running, runFor);
      stop(timer);
      if (o.getProgress()) {
        printLive(done, "done", out);
      }
      return done;
    } finally {
      timer.shutdownNow();
    }
  }

  private static void printLive(PipelineResult running, long start, PrintStream out) {
    printLive(running, (System.nanoTime() - start) / 1_000_000_000L + "s", out);
  }

  private static void printLive(PipelineResult result, String when, PrintStream out) {
    try {
      out.println(line(when, result));
    } catch (RuntimeException e) {
      // A runner may refuse metrics while it starts or shuts down; the next tick tries again.
    }
  }

  private static void stop(ScheduledExecutorService timer) {
    timer.shutdown();
    try {
      timer.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One progress line from a result's current metrics. */
  static String line(String when, PipelineResult result) {
    Map<String, Long> ingest = MetricsReader.read(result, IngestMetrics.NAMESPACE);
    Map<String, Long> labels = MetricsReader.read(result, LabelRules.NAMESPACE);
    Map<String, Long> dead = deadLettersByType(MetricsReader.read(result, DeadLetters.NAMESPACE));
    StringBuilder s = new StringBuilder("progress ").append(when).append(" read");
    for (String type : TYPES) {
      if (ingest.containsKey(type + "_in")) {
        s.append(' ').append(type).append('=').append(ingest.get(type + "_in"));
      }
    }
    long positives = labels.getOrDefault("clicked_positive", 0L);
    s.append(" | labeled ").append(positives + labels.getOrDefault("clicked_negative", 0L));
    s.append(" (positives=").append(positives).append(')');
    s.append(" | dead-lettered");
    dead.forEach((type, n) -> s.append(' ').append(type).append('=').append(n));
    return s.toString();
  }

  /** Dead-letter counters ({@code <type>_<REASON>}) summed per record type. */
  static Map<String, Long> deadLettersByType(Map<String, Long> counters) {
    Map<String, Long> byType = new LinkedHashMap<>();
    for (String type : TYPES) {
      long n =
          counters.entrySet().stream()
              .filter(e -> e.getKey().startsWith(type + "_"))
              .mapToLong(Map.Entry::getValue)
              .sum();
      if (n > 0) {
        byType.put(type, n);
      }
    }
    return byType;
  }
}
