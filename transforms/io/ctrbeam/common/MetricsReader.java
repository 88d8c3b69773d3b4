package io.ctrbeam.common;

import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/** Reads a pipeline's Beam Metrics counters, summed over steps, by namespace and name. */
public final class MetricsReader {
  private MetricsReader() {}

  /**
   * The counters of the given namespaces, keyed {@code name} (summed over steps). Committed values
   * where the runner supports them, else attempted.
   */
  public static Map<String, Long> read(PipelineResult result, String... namespaces) {
    MetricsFilter.Builder filter = MetricsFilter.builder();
    for (String ns : namespaces) {
      filter.addNameFilter(MetricNameFilter.inNamespace(ns));
    }
    Map<String, Long> out = new TreeMap<>();
    for (MetricResult<Long> c : result.metrics().queryMetrics(filter.build()).getCounters()) {
      out.merge(c.getName().getName(), value(c), Long::sum);
    }
    return out;
  }

  private static long value(MetricResult<Long> c) {
    try {
      Long committed = c.getCommitted();
      return committed == null ? c.getAttempted() : committed;
    } catch (RuntimeException e) {
      // Runners without committed metrics refuse getCommitted().
      return c.getAttempted();
    }
  }
}
