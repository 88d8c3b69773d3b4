package io.ctrbeam.pipelines;

import io.ctrbeam.ingest.Format;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Options of the batch training-data pipeline (files in, training examples out). */
public interface TrainingDataOptions
    extends CtrOptions, WeightOptions, QualityOptions, ProgressOptions {
  @Description("File pattern of impression logs (JSON lines or Avro), e.g. logs/impressions/**")
  @Validation.Required
  String getImpressions();

  void setImpressions(String value);

  @Description("File pattern of click logs")
  @Validation.Required
  String getClicks();

  void setClicks(String value);

  @Description("File pattern of conversion logs; empty to label clicks only")
  @Default.String("")
  String getConversions();

  void setConversions(String value);

  @Description("File pattern of user profiles; empty to skip enrichment")
  @Default.String("")
  String getUserProfiles();

  void setUserProfiles(String value);

  @Description("File pattern of ad metadata; empty to skip enrichment")
  @Default.String("")
  String getAdMetadata();

  void setAdMetadata(String value);

  @Description("Input format: AUTO (by extension), JSONL or AVRO")
  @Default.Enum("AUTO")
  Format getInputFormat();

  void setInputFormat(Format value);

  @Description("Output directory: training data, dead_letters/, corrections/ and _reports/ go here")
  @Validation.Required
  String getOutput();

  void setOutput(String value);

  @Description("Output format of the training data: parquet, avro or jsonl")
  @Default.String("parquet")
  String getOutputFormat();

  void setOutputFormat(String value);

  @Description(
      "Also write per-key feature snapshots as of these times (comma-separated ISO instants, e.g. 2025-06-02T00:00:00Z) to <output>/features, partitioned by date")
  @Default.String("")
  String getFeatureSnapshotsAt();

  void setFeatureSnapshotsAt(String value);

  @Description(
      "Target size of a training-data file, e.g. 256MB or 1GB: each partition gets ceil(its Avro-encoded bytes / this) files; 0 = one file per partition")
  @Default.String("256MB")
  String getTargetFileSize();

  void setTargetFileSize(String value);
}
