package io.ctrbeam.ingest;

import io.ctrbeam.common.DeadLetters;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * Ingest counters. In namespace {@value #NAMESPACE}: {@code <type>_in} (raw records read),
 * {@code <type>_valid} (records that passed the rules) and {@code <type>_out} (records leaving
 * {@link IngestRecords}); dead letters are counted in {@link DeadLetters#NAMESPACE} as {@code
 * <type>_<REASON>}. For every type: in = out + its dead letters.
 */
public final class IngestMetrics {
  public static final String NAMESPACE = "ctrbeam.ingest";

  private IngestMetrics() {}

  /**
   * The ingest and dead-letter counters of a finished (or running) pipeline, by counter name
   * (e.g. {@code impression_in}, {@code impression_PARSE_ERROR}), summed over steps. Committed
   * values where the runner supports them, else attempted.
   */
  public static Map<String, Long> counters(PipelineResult result) {
    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.inNamespace(NAMESPACE))
                    .addNameFilter(MetricNameFilter.inNamespace(DeadLetters.NAMESPACE))
                    .build());
    Map<String, Long> out = new TreeMap<>();
    for (MetricResult<Long> c : metrics.getCounters()) {
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
