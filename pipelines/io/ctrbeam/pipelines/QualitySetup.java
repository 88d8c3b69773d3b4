package io.ctrbeam.pipelines;

import io.ctrbeam.quality.CheckQuality;
import io.ctrbeam.quality.DatasetProfile;
import io.ctrbeam.quality.ProfileRecords;
import io.ctrbeam.quality.QualityConfig;
import io.ctrbeam.quality.QualityFiles;
import io.ctrbeam.quality.QualityPerWindow;
import io.ctrbeam.quality.RecordFields;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import org.apache.avro.generic.IndexedRecord;

/**
 * The quality transforms as {@link QualityOptions} configure them: reference and config read once,
 * at construction.
 */
final class QualitySetup {
  /** Where a batch run writes quality.json, quality.html and profile.json, under its output. */
  static final String REPORT_DIR = "_reports";

  private final List<DatasetProfile> reference;
  private final QualityConfig config;

  /** Freshness is measured against this. */
  private final Instant clock;

  /** The run's start, ingest's clock: the 1 h future rule on records is checked against it. */
  private final Instant runStart;

  private QualitySetup(
      List<DatasetProfile> reference, QualityConfig config, Instant clock, Instant runStart) {
    this.reference = reference;
    this.config = config;
    this.clock = clock;
    this.runStart = runStart;
  }

  static QualitySetup of(QualityOptions o) {
    try {
      Instant start = Instant.now();
      Instant clock = o.getQualityClock().isEmpty() ? start : Instant.parse(o.getQualityClock());
      return new QualitySetup(
          QualityFiles.reference(o.getQualityReference()),
          QualityFiles.config(o.getQualityConfig()),
          clock,
          start);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read --qualityReference or --qualityConfig", e);
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException(
          "--qualityClock must be an ISO instant, got '" + o.getQualityClock() + "'", e);
    }
  }

  <T extends IndexedRecord> ProfileRecords<T> profile(RecordFields fields) {
    return ProfileRecords.<T>of(fields)
        .withReference(QualityFiles.forType(reference, fields.recordType()))
        .withClock(runStart);
  }

  /**
   * The same checks per event-time window of a stream, against this setup's reference and config.
   */
  <T extends IndexedRecord> QualityPerWindow<T> perWindow(
      RecordFields fields, org.joda.time.Duration window) {
    return QualityPerWindow.<T>of(fields)
        .withWindow(window)
        .withReference(QualityFiles.forType(reference, fields.recordType()))
        .withConfig(config);
  }

  CheckQuality check() {
    return CheckQuality.create().withReference(reference).withConfig(config).withClock(clock);
  }
}
