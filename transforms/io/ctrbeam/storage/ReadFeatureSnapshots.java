package io.ctrbeam.storage;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.schema.FeatureSnapshot;
import java.time.Instant;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Reads the batch layer's feature table ({@link WriteFeatureSnapshots}) back as {@link
 * FeatureSnapshot}s.
 */
public final class ReadFeatureSnapshots extends PTransform<PBegin, PCollection<FeatureSnapshot>> {
  private final String filePattern;

  private ReadFeatureSnapshots(String filePattern) {
    this.filePattern = filePattern;
  }

  /** Parquet files, e.g. {@code out/features/**}{@code /*.parquet}. */
  public static ReadFeatureSnapshots from(String filePattern) {
    checkArgument(filePattern != null && !filePattern.isEmpty(), "filePattern must not be empty");
    return new ReadFeatureSnapshots(filePattern);
  }

  @Override
  public PCollection<FeatureSnapshot> expand(PBegin input) {
    return input
        .apply(
            "ReadParquet",
            ParquetIO.read(FeatureSnapshot.getClassSchema())
                .withAvroDataModel(GenericData.get())
                .from(filePattern))
        .apply(
            "ToSnapshots",
            MapElements.into(TypeDescriptor.of(FeatureSnapshot.class))
                .via(ReadFeatureSnapshots::toSnapshot))
        .setCoder(AvroCoder.specific(FeatureSnapshot.class));
  }

  static FeatureSnapshot toSnapshot(GenericRecord r) {
    return FeatureSnapshot.newBuilder()
        .setKeyKind(r.get("key_kind").toString())
        .setKey(r.get("key").toString())
        .setAsOf(Instant.ofEpochMilli((Long) r.get("as_of")))
        .setImpressions24h((Long) r.get("impressions_24h"))
        .setClicks24h((Long) r.get("clicks_24h"))
        .setCtr24h((Double) r.get("ctr_24h"))
        .setDecayedImpressions((Double) r.get("decayed_impressions"))
        .setDecayedClicks((Double) r.get("decayed_clicks"))
        .setDecayedCtr((Double) r.get("decayed_ctr"))
        .build();
  }
}
