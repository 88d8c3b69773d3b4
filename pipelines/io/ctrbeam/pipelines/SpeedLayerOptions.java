package io.ctrbeam.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.options.Validation;

/** Options of the speed layer: Kafka in; Redis features, labeled examples and dead letters out. */
public interface SpeedLayerOptions
    extends CtrOptions,
        RedisOptions,
        StreamingOptions,
        WeightOptions,
        QualityOptions,
        ProgressOptions {
  @Description(
      "Event-time window of the streaming quality checks; their alerts go to <output>/quality_alerts/")
  @Default.String("1h")
  String getQualityWindow();

  void setQualityWindow(String value);

  @Description(
      "Cancel the job after this long, e.g. 10m (a bounded run: a smoke test, a backfill); empty runs until stopped")
  @Default.String("")
  String getRunFor();

  void setRunFor(String value);

  @Description("Kafka bootstrap servers, e.g. localhost:9092")
  @Validation.Required
  String getBootstrapServers();

  void setBootstrapServers(String value);

  @Description("Topic of impression JSON lines")
  @Default.String("impressions")
  String getImpressionsTopic();

  void setImpressionsTopic(String value);

  @Description("Topic of click JSON lines")
  @Default.String("clicks")
  String getClicksTopic();

  void setClicksTopic(String value);

  @Description("Topic of conversion JSON lines; empty to label clicks only")
  @Default.String("")
  String getConversionsTopic();

  void setConversionsTopic(String value);

  @Description("Bounded disorder the watermark tolerates: watermark = latest event time - this")
  @Default.String("5m")
  String getMaxDelay();

  void setMaxDelay(String value);

  @Description(
      "A Kafka partition without records and backlog for this long advances its watermark with the"
          + " processing clock (now - maxDelay) instead of holding every other partition back; 0s turns it off,"
          + " e.g. to replay historical logs that pause")
  @Default.String("5m")
  String getIdleTimeout();

  void setIdleTimeout(String value);

  @Description("TTL of each key's features in Redis")
  @Default.String("48h")
  String getFeatureTtl();

  void setFeatureTtl(String value);

  @Description("Event-time period at which updated keys' features are written to Redis")
  @Default.String("1m")
  String getSnapshotPeriod();

  void setSnapshotPeriod(String value);

  @Description("Topic to write labeled, featured examples to as JSON; empty for none")
  @Default.String("")
  String getLabelsTopic();

  void setLabelsTopic(String value);

  // No @Default: Beam requires one on every registered options interface with an "output" getter
  // or on none, and the batch entry points' output is required.
  @Description(
      "Directory for dead letters and label corrections (JSON lines, per window); unset for none")
  String getOutput();

  void setOutput(String value);

  @Description(
      "Processing-time period after which dead letters and corrections are written to files;"
          + " late records are written too")
  @Default.String("10m")
  String getFileWindow();

  void setFileWindow(String value);
}
