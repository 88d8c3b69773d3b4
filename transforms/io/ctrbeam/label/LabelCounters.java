package io.ctrbeam.label;

import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;

/** Beam Metrics counters of the labeler (namespace {@link LabelRules#NAMESPACE}). */
final class LabelCounters {
  static final Counter DUPLICATE_PRIMARIES =
      Metrics.counter(LabelRules.NAMESPACE, "duplicate_primaries");
  static final Counter CORRECTIONS = Metrics.counter(LabelRules.NAMESPACE, "corrections");

  static Counter attributed(OutcomeKind s) {
    return Metrics.counter(LabelRules.NAMESPACE, s.recordType() + "_attributed");
  }

  static Counter rows(OutcomeKind s, boolean positive) {
    return Metrics.counter(
        LabelRules.NAMESPACE, s.labelName() + (positive ? "_positive" : "_negative"));
  }

  private LabelCounters() {}
}
