package io.ctrbeam.quality;

import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;

/**
 * Coders of the small quality values: a profile or a report is one element per record type and
 * window.
 */
public final class QualityCoders {
  private QualityCoders() {}

  public static Coder<DatasetProfile> profile() {
    return SerializableCoder.of(DatasetProfile.class);
  }

  public static Coder<QualityReport> report() {
    return SerializableCoder.of(QualityReport.class);
  }
}
