package io.ctrbeam.label;

import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * Builds what the outcome joins start from: the unlabeled row of an impression, its clicks and
 * conversions as {@link Outcome}s, and, for the speed layer's conversion join, the key row of a
 * clicked impression.
 */
public final class LabelRows {
  private LabelRows() {}

  /** The unlabeled row of an impression: all its fields, context columns, label_kind. */
  public static TrainingExample toRow(Impression imp, LabelMode mode) {
    ZonedDateTime t = imp.getEventTime().atZone(ZoneOffset.UTC);
    return TrainingExample.newBuilder()
        .setImpressionId(imp.getImpressionId())
        .setEventTime(imp.getEventTime())
        .setUserId(imp.getUserId())
        .setAdId(imp.getAdId())
        .setPosition(imp.getPosition())
        .setAdvertiserId(imp.getAdvertiserId())
        .setAdCategory(imp.getAdCategory())
        .setDevice(imp.getDevice())
        .setCountry(imp.getCountry())
        .setRequestId(imp.getRequestId())
        .setClicked(0)
        .setConverted(0)
        .setLabelTime(imp.getEventTime())
        .setElapsedMs(0L)
        .setLabelConfidence(0.0)
        .setLabelKind(mode.name())
        .setHourOfDay(t.getHour())
        .setDayOfWeek(t.getDayOfWeek().getValue())
        .build();
  }

  /**
   * What the conversion join of the speed layer holds for a clicked impression: its id and times
   * only, since its row has gone out.
   */
  static TrainingExample clickedKey(
      String id, Instant impressionTime, Instant clickTime, String labelKind) {
    return TrainingExample.newBuilder()
        .setImpressionId(id)
        .setEventTime(impressionTime)
        .setUserId("")
        .setAdId("")
        .setPosition(0)
        .setClicked(1)
        .setConverted(0)
        .setClickTime(clickTime)
        .setLabelTime(clickTime)
        .setElapsedMs(0L)
        .setLabelConfidence(0.0)
        .setLabelKind(labelKind)
        .setHourOfDay(0)
        .setDayOfWeek(0)
        .build();
  }

  /** Each impression as its unlabeled row. */
  static final class ToRowFn extends DoFn<Impression, TrainingExample> {
    private final LabelMode mode;

    ToRowFn(LabelMode mode) {
      this.mode = mode;
    }

    @ProcessElement
    public void process(@Element Impression imp, OutputReceiver<TrainingExample> out) {
      out.output(toRow(imp, mode));
    }
  }

  static final class ClickOutcomeFn extends DoFn<Click, Outcome> {
    @ProcessElement
    public void process(@Element Click c, OutputReceiver<Outcome> out) {
      out.output(Outcome.of(c));
    }
  }

  static final class ConversionOutcomeFn extends DoFn<Conversion, Outcome> {
    @ProcessElement
    public void process(@Element Conversion c, OutputReceiver<Outcome> out) {
      out.output(Outcome.of(c));
    }
  }

  /** The clicked key of each clicked row; unclicked rows give nothing. */
  static final class ClickedKeyFn extends DoFn<TrainingExample, TrainingExample> {
    @ProcessElement
    public void process(@Element TrainingExample row, OutputReceiver<TrainingExample> out) {
      if (OutcomeKind.CONVERSION.eligible(row)) {
        out.output(
            clickedKey(
                row.getImpressionId(), row.getEventTime(), row.getClickTime(), row.getLabelKind()));
      }
    }
  }

  /** The clicked key of an impression that a late click turned positive (clicked 0 -> 1). */
  static final class LateClickKeyFn extends DoFn<LabelCorrection, TrainingExample> {
    @ProcessElement
    public void process(@Element LabelCorrection c, OutputReceiver<TrainingExample> out) {
      if (c.getOldLabel() == 0 && OutcomeKind.CLICK.labelName().equals(c.getLabel())) {
        out.output(
            clickedKey(
                c.getImpressionId(),
                c.getImpressionTime(),
                c.getCorrectionTime(),
                c.getLabelKind()));
      }
    }
  }
}
