package io.ctrbeam.label;

import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;

/**
 * Applies the updates of the corrections output onto the rows they update, as a consumer of the
 * speed layer does: the streamed rows with their updates folded in equal the batch rows.
 *
 * <ul>
 *   <li>{@code clicked} 0 -> 1 (a late click): a WAIT row becomes the positive; FAKE_NEGATIVE and
 *       ELAPSED, which keep their negative, gain the positive row.
 *   <li>{@code clicked} 1 -> 1 (an earlier click): the positive is dated by the earliest click.
 *   <li>{@code converted} 0 -> 1: the clicked row gets its conversion, dated by the earliest.
 * </ul>
 */
public final class FoldCorrections
    extends PTransform<PCollection<TrainingExample>, PCollection<TrainingExample>> {
  private final PCollection<LabelCorrection> corrections;

  private FoldCorrections(PCollection<LabelCorrection> corrections) {
    this.corrections = corrections;
  }

  /**
   * Folds {@code corrections} onto the rows it is applied to, by impression_id, once all are in:
   * over bounded input (a backfill of the speed layer's files), or at the end of unbounded input.
   */
  public static FoldCorrections of(PCollection<LabelCorrection> corrections) {
    return new FoldCorrections(corrections);
  }

  @Override
  public PCollection<TrainingExample> expand(PCollection<TrainingExample> rows) {
    TupleTag<TrainingExample> rowTag = new TupleTag<>();
    TupleTag<LabelCorrection> corrTag = new TupleTag<>();
    PCollection<KV<String, TrainingExample>> keyedRows =
        rows.apply("RowsGlobal", everything())
            .apply(
                "KeyRows",
                WithKeys.of(TrainingExample::getImpressionId)
                    .withKeyType(TypeDescriptors.strings()));
    PCollection<KV<String, LabelCorrection>> keyedCorrs =
        corrections
            .apply("CorrectionsGlobal", everything())
            .apply(
                "KeyCorrections",
                WithKeys.of((LabelCorrection c) -> c.getImpressionId())
                    .withKeyType(TypeDescriptors.strings()));
    return KeyedPCollectionTuple.of(rowTag, keyedRows)
        .and(corrTag, keyedCorrs)
        .apply("ByImpression", CoGroupByKey.create())
        .apply("Fold", ParDo.of(new FoldFn(rowTag, corrTag)))
        .setCoder(TrainingRows.CODER)
        .apply(
            "DefaultTrigger",
            Window.<TrainingExample>configure()
                .triggering(DefaultTrigger.of())
                .discardingFiredPanes()
                .withAllowedLateness(Duration.ZERO));
  }

  /** One pane at the end: the whole input when bounded, the end of input when not. */
  private static <T> Window<T> everything() {
    return Window.<T>into(new GlobalWindows())
        .triggering(AfterWatermark.pastEndOfWindow())
        .discardingFiredPanes()
        .withAllowedLateness(Duration.ZERO);
  }

  private static final class FoldFn extends DoFn<KV<String, CoGbkResult>, TrainingExample> {
    private final TupleTag<TrainingExample> rowTag;
    private final TupleTag<LabelCorrection> corrTag;

    FoldFn(TupleTag<TrainingExample> rowTag, TupleTag<LabelCorrection> corrTag) {
      this.rowTag = rowTag;
      this.corrTag = corrTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> e, OutputReceiver<TrainingExample> out) {
      List<TrainingExample> rows = new ArrayList<>();
      e.getValue().getAll(rowTag).forEach(rows::add);
      List<LabelCorrection> corrs = new ArrayList<>();
      e.getValue().getAll(corrTag).forEach(corrs::add);
      fold(rows, corrs).forEach(out::output);
    }
  }

  /** The rows of one impression with its corrections applied. */
  public static List<TrainingExample> fold(
      List<TrainingExample> rows, List<LabelCorrection> corrections) {
    Long click = null;
    Long conversion = null;
    boolean lateClick = false;
    for (LabelCorrection c : corrections) {
      long t = c.getCorrectionTime().toEpochMilli();
      if (OutcomeKind.CLICK.labelName().equals(c.getLabel())) {
        click = click == null ? t : Math.min(click, t);
        lateClick |= c.getOldLabel() == 0;
      } else {
        conversion = conversion == null ? t : Math.min(conversion, t);
      }
    }
    List<TrainingExample> out = new ArrayList<>(rows.size() + 1);
    boolean hasPositive = rows.stream().anyMatch(r -> r.getClicked() == 1);
    for (TrainingExample r : rows) {
      TrainingExample row = r;
      boolean waitNegative = r.getClicked() == 0 && LabelMode.WAIT.name().equals(r.getLabelKind());
      if (click != null && lateClick && !hasPositive && !waitNegative) {
        out.add(withConversion(OutcomeKind.CLICK.positive(r, click), conversion));
        hasPositive = true;
      }
      if (click != null && (r.getClicked() == 1 || (lateClick && waitNegative))) {
        long earliest =
            r.getClicked() == 1 ? Math.min(click, r.getClickTime().toEpochMilli()) : click;
        row = OutcomeKind.CLICK.positive(r, earliest);
      }
      out.add(row.getClicked() == 1 ? withConversion(row, conversion) : row);
    }
    return out;
  }

  private static TrainingExample withConversion(TrainingExample row, Long conversion) {
    if (conversion == null && row.getConversionTime() == null) {
      return row;
    }
    long t =
        row.getConversionTime() == null
            ? conversion
            : conversion == null
                ? row.getConversionTime().toEpochMilli()
                : Math.min(conversion, row.getConversionTime().toEpochMilli());
    return OutcomeKind.CONVERSION.positive(row, t);
  }
}
