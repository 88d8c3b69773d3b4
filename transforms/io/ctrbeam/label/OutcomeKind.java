package io.ctrbeam.label;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.Reason;
import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.TrainingExample;
import java.time.Instant;

/**
 * What one outcome join labels: clicks on impressions, or conversions on clicked examples. The join
 * itself ({@link LabelRules}, {@link BatchLabeler}, {@link StatefulLabelFn}) is the same for both.
 */
public enum OutcomeKind {
  CLICK("click", "clicked") {
    @Override
    long primaryTime(TrainingExample row) {
      return row.getEventTime().toEpochMilli();
    }

    @Override
    boolean eligible(TrainingExample row) {
      return true;
    }

    @Override
    TrainingExample positive(TrainingExample row, long outcomeTime) {
      long delay = outcomeTime - primaryTime(row);
      TrainingExample r = TrainingRows.copy(row);
      r.setClicked(1);
      r.setClickTime(Instant.ofEpochMilli(outcomeTime));
      r.setClickDelayMs(delay);
      r.setLabelTime(Instant.ofEpochMilli(outcomeTime));
      r.setElapsedMs(delay);
      r.setLabelConfidence(1.0);
      return r;
    }

    @Override
    TrainingExample negative(TrainingExample row, long labelTime) {
      TrainingExample r = TrainingRows.copy(row);
      r.setClicked(0);
      r.setClickTime(null);
      r.setClickDelayMs(null);
      r.setLabelTime(Instant.ofEpochMilli(labelTime));
      r.setElapsedMs(labelTime - primaryTime(row));
      return r;
    }
  },

  CONVERSION("conversion", "converted") {
    @Override
    long primaryTime(TrainingExample row) {
      return row.getClickTime().toEpochMilli();
    }

    @Override
    boolean eligible(TrainingExample row) {
      return row.getClicked() == 1 && row.getClickTime() != null;
    }

    @Override
    TrainingExample positive(TrainingExample row, long outcomeTime) {
      TrainingExample r = TrainingRows.copy(row);
      r.setConverted(1);
      r.setConversionTime(Instant.ofEpochMilli(outcomeTime));
      r.setConversionDelayMs(outcomeTime - primaryTime(row));
      return r;
    }

    @Override
    TrainingExample negative(TrainingExample row, long labelTime) {
      TrainingExample r = TrainingRows.copy(row);
      r.setConverted(0);
      r.setConversionTime(null);
      r.setConversionDelayMs(null);
      return r;
    }
  };

  private final String recordType;
  private final String labelName;

  OutcomeKind(String recordType, String labelName) {
    this.recordType = recordType;
    this.labelName = labelName;
  }

  /** The dead-letter record type of this kind's outcomes: {@code click} or {@code conversion}. */
  public String recordType() {
    return recordType;
  }

  /** The label this kind decides: {@code clicked} or {@code converted}. */
  public String labelName() {
    return labelName;
  }

  /** The primary's time the outcome delay is measured from. */
  abstract long primaryTime(TrainingExample row);

  /** Whether a row takes part in this join; the others pass through unchanged. */
  abstract boolean eligible(TrainingExample row);

  abstract TrainingExample positive(TrainingExample row, long outcomeTime);

  abstract TrainingExample negative(TrainingExample row, long labelTime);

  /** The dead-letter reason for an outcome judged by {@link LabelRules.Verdict}. */
  Reason reason(LabelRules.Verdict v) {
    checkArgument(v != LabelRules.Verdict.VALID, "need a dead-letter verdict, got %s", v);
    return v == LabelRules.Verdict.BEFORE
        ? Reason.CLICK_BEFORE_IMPRESSION
        : Reason.CLICK_OUTSIDE_WINDOW;
  }
}
