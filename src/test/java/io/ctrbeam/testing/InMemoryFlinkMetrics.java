package io.ctrbeam.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A Flink metric reporter that keeps the live counters of a {@code [local]} job in this JVM, so a
 * test can read a running stream's Beam counters (Beam reports them to Flink's metric system; a
 * detached streaming job has no readable accumulators until it ends). Register it with {@link
 * #confDir} as {@code --flinkConfDir}.
 */
public final class InMemoryFlinkMetrics implements MetricReporter, MetricReporterFactory {
  private static final Map<String, Counter> COUNTERS = new ConcurrentHashMap<>();

  /** A Flink configuration folder that registers this reporter. */
  public static Path confDir(Path dir) throws IOException {
    Path conf = Files.createDirectories(dir.resolve("flink-conf-metrics"));
    Files.writeString(
        conf.resolve("flink-conf.yaml"),
        "metrics.reporter.inmemory.factory.class: " + InMemoryFlinkMetrics.class.getName() + "\n");
    return conf;
  }

  /**
   * The sum over all operators and subtasks of the Beam counter {@code name} of {@code namespace}.
   */
  public static long sum(String namespace, String name) {
    long s = 0;
    for (Map.Entry<String, Counter> e : COUNTERS.entrySet()) {
      // Flink's identifiers spell the namespace with underscores: ctrbeam_label_state_entries.
      if (e.getKey().endsWith(namespace.replace('.', '_') + "_" + name)) {
        s += e.getValue().getCount();
      }
    }
    return s;
  }

  /** The identifiers of the counters seen, for a failure message. */
  public static java.util.Set<String> names() {
    return new java.util.TreeSet<>(COUNTERS.keySet());
  }

  /** Forgets the counters of earlier jobs. */
  public static void reset() {
    COUNTERS.clear();
  }

  @Override
  public MetricReporter createMetricReporter(Properties properties) {
    return this;
  }

  @Override
  public void open(MetricConfig config) {}

  @Override
  public void close() {}

  @Override
  public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
    if (metric instanceof Counter c) {
      COUNTERS.put(group.getMetricIdentifier(name), c);
    }
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {}
}
