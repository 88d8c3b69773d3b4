package io.ctrbeam.quality;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import org.apache.avro.generic.IndexedRecord;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;

/**
 * The streaming gate: records of one type into fixed event-time windows (hourly by default), then
 * the same profile and checks as a batch run, one {@link QualityReport} per window when the
 * watermark passes its end. Freshness is measured at the window's end. Turn the reports into alert
 * records with {@link FormatQualityAlerts}.
 *
 * <pre>{@code
 * impressions
 *     .apply("QualityPerHour", QualityPerWindow.<Impression>of(RecordFields.IMPRESSION).withReference(ref))
 *     .apply("QualityAlerts", FormatQualityAlerts.create());
 * }</pre>
 */
public final class QualityPerWindow<T extends IndexedRecord>
    extends PTransform<PCollection<T>, PCollection<QualityReport>> {
  private final RecordFields fields;
  private final Duration window;
  private final DatasetProfile reference;
  private final QualityConfig config;

  private QualityPerWindow(
      RecordFields fields, Duration window, DatasetProfile reference, QualityConfig config) {
    this.fields = fields;
    this.window = window;
    this.reference = reference;
    this.config = config;
  }

  public static <T extends IndexedRecord> QualityPerWindow<T> of(RecordFields fields) {
    checkArgument(fields != null, "fields must be given, got %s", fields);
    return new QualityPerWindow<>(
        fields, Duration.standardHours(1), null, QualityConfig.defaults());
  }

  /** The window size (default 1 h). */
  public QualityPerWindow<T> withWindow(Duration size) {
    checkArgument(size != null && size.getMillis() > 0, "window must be positive, got %s", size);
    return new QualityPerWindow<>(fields, size, reference, config);
  }

  /** The reference profile of this record type; null for no drift check. */
  public QualityPerWindow<T> withReference(DatasetProfile reference) {
    return new QualityPerWindow<>(fields, window, reference, config);
  }

  /** Thresholds; default {@link QualityConfig#defaults()}. */
  public QualityPerWindow<T> withConfig(QualityConfig config) {
    checkArgument(config != null, "config must not be null, got %s", config);
    return new QualityPerWindow<>(fields, window, reference, config);
  }

  @Override
  public PCollection<QualityReport> expand(PCollection<T> input) {
    PCollection<DatasetProfile> profiles =
        input
            .apply("FixedWindows", Window.<T>into(FixedWindows.of(window)))
            .apply("Profile", ProfileRecords.<T>of(fields).withReference(reference));
    return PCollectionList.of(profiles)
        .apply(
            "Check",
            CheckQuality.create()
                .withReference(reference == null ? List.of() : List.of(reference))
                .withConfig(config));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("recordType", fields.recordType()))
        .add(DisplayData.item("window", window))
        .add(DisplayData.item("hasReference", reference != null));
  }
}
