package io.ctrbeam.ingest;

import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.MetricsReader;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;

/**
 * Ingest counters. In namespace {@value #NAMESPACE}: {@code <type>_in} (raw records read), {@code
 * <type>_valid} (records that passed the rules) and {@code <type>_out} (records leaving {@link
 * IngestRecords}); dead letters are counted in {@link DeadLetters#NAMESPACE} as {@code
 * <type>_<REASON>}. For every type: in = out + its dead letters.
 */
public final class IngestMetrics {
  public static final String NAMESPACE = "ctrbeam.ingest";

  private IngestMetrics() {}

  /**
   * The ingest and dead-letter counters of a finished (or running) pipeline, by counter name (e.g.
   * {@code impression_in}, {@code impression_PARSE_ERROR}), summed over steps. Committed values
   * where the runner supports them, else attempted.
   */
  public static Map<String, Long> counters(PipelineResult result) {
    return MetricsReader.read(result, NAMESPACE, DeadLetters.NAMESPACE);
  }
}
