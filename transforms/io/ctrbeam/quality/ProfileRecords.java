package io.ctrbeam.quality;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.CombineInBundles;
import java.time.Instant;
import org.apache.avro.generic.IndexedRecord;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.values.PCollection;

/**
 * Records of one type to their {@link DatasetProfile}, one per window: a single {@code
 * Combine.globally} over every field at once (no shuffle of rows; partial accumulators merge;
 * bounded input folds each bundle first, {@link CombineInBundles}). Given a reference profile, it
 * also counts the records exactly on the reference's frozen drift bins.
 *
 * <pre>{@code
 * PCollection<DatasetProfile> p = impressions.apply("ProfileImpressions",
 *     ProfileRecords.<Impression>of(RecordFields.IMPRESSION).withReference(ref));
 * }</pre>
 */
public final class ProfileRecords<T extends IndexedRecord>
    extends PTransform<PCollection<T>, PCollection<DatasetProfile>> {
  private final RecordFields fields;
  private final DatasetProfile reference;
  private final int topK;
  private final Instant clock;

  private ProfileRecords(RecordFields fields, DatasetProfile reference, int topK, Instant clock) {
    this.fields = fields;
    this.reference = reference;
    this.topK = topK;
    this.clock = clock;
  }

  public static <T extends IndexedRecord> ProfileRecords<T> of(RecordFields fields) {
    checkArgument(fields != null, "fields must be given, got %s", fields);
    return new ProfileRecords<>(fields, null, 20, null);
  }

  /**
   * A profile of the same record type from an earlier run: drift is counted on its bins. Null for
   * none.
   */
  public ProfileRecords<T> withReference(DatasetProfile reference) {
    checkArgument(
        reference == null || reference.recordType().equals(fields.recordType()),
        "the reference must profile %s, got %s",
        fields.recordType(),
        reference == null ? null : reference.recordType());
    return new ProfileRecords<>(fields, reference, topK, clock);
  }

  /**
   * How many top categories a categorical field keeps (default 20); they become the drift bins of a
   * later run.
   */
  public ProfileRecords<T> withTopK(int k) {
    checkArgument(k >= 1 && k <= 200, "topK must be in [1, 200], got %s", k);
    return new ProfileRecords<>(fields, reference, k, clock);
  }

  /** The clock that bounds event times (contract §6: at most 1 h after it); default none. */
  public ProfileRecords<T> withClock(Instant clock) {
    return new ProfileRecords<>(fields, reference, topK, clock);
  }

  /** The combine this transform runs, for callers that profile records in memory. */
  public Combine.CombineFn<T, ?, DatasetProfile> combineFn() {
    long latest = clock == null ? Long.MAX_VALUE : clock.toEpochMilli() + FieldRules.ONE_HOUR;
    return new ProfileFn<T>(fields, reference, topK, latest);
  }

  @Override
  public PCollection<DatasetProfile> expand(PCollection<T> input) {
    CombineInBundles<T, ?, DatasetProfile> combine = CombineInBundles.globally(combineFn());
    boolean global = input.getWindowingStrategy().getWindowFn() instanceof GlobalWindows;
    return input
        .apply(
            "Profile"
                + Character.toUpperCase(fields.recordType().charAt(0))
                + fields.recordType().substring(1),
            global ? combine : combine.withoutDefaults())
        .setCoder(QualityCoders.profile());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("recordType", fields.recordType()))
        .add(DisplayData.item("fields", fields.fields().size()))
        .add(DisplayData.item("topK", topK))
        .add(DisplayData.item("hasReference", reference != null))
        .addIfNotNull(DisplayData.item("clock", clock == null ? null : clock.toString()));
  }
}
