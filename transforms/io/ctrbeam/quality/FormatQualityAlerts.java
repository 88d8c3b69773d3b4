package io.ctrbeam.quality;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * One JSON alert line per breached check of each report (window): window start and end, the clock,
 * record type, field, metric, value, threshold, sample sizes and noise bound. Write it with {@code
 * TextIO.write().withWindowedWrites()} or to a Kafka topic.
 */
public final class FormatQualityAlerts
    extends PTransform<PCollection<QualityReport>, PCollection<String>> {
  private FormatQualityAlerts() {}

  public static FormatQualityAlerts create() {
    return new FormatQualityAlerts();
  }

  @Override
  public PCollection<String> expand(PCollection<QualityReport> input) {
    return input.apply("FormatAlerts", ParDo.of(new AlertFn()));
  }

  /** The alert of one breach, as a map in a fixed field order. */
  public static Map<String, Object> alert(QualityReport r, QualityCheck c) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("window_start", r.windowStart());
    a.put("window_end", r.windowEnd());
    a.put("clock", r.clockMillis());
    a.put("record_type", c.recordType());
    a.put("field", c.field());
    a.put("metric", c.metric());
    a.put("value", c.value());
    a.put("threshold", c.threshold());
    a.put("n", c.n());
    a.put("m", c.m());
    a.put("noise_bound", c.noiseBound());
    a.put("band", c.band());
    a.put("message", c.describe());
    return a;
  }

  static final class AlertFn extends DoFn<QualityReport, String> {
    private final Counter alerts = Metrics.counter(CheckQuality.NAMESPACE, "alerts");

    @ProcessElement
    public void process(@Element QualityReport r, OutputReceiver<String> out) {
      for (QualityCheck c : r.breaches()) {
        alerts.inc();
        out.output(QualityJson.line(alert(r, c)));
      }
    }
  }
}
