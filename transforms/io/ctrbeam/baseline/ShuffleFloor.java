package io.ctrbeam.baseline;

import io.ctrbeam.common.BatchGrouping;
import io.ctrbeam.common.Buckets;
import io.ctrbeam.common.GroupByBucket;
import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.label.LabelEvent;
import io.ctrbeam.label.LabelMode;
import io.ctrbeam.label.LabelRows;
import io.ctrbeam.label.Outcome;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.weights.SamplingPlan;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Mean;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The groupings that any Beam design of the batch layer needs, with no work inside them: a floor
 * under {@code TrainingDataPipeline} on a runner. Each impression's row is grouped
 *
 * <ol>
 *   <li>by impression, with its clicks and conversions (labeling; id dedup can share it);
 *   <li>by entity, once per key kind: point-in-time features need each impression's time at its
 *       user, ad, advertiser and category (one grouping keyed {@code kind|key} for all four);
 *   <li>by row again, with its four answers (attaching them), for the rows that negative
 *       downsampling keeps only: every row with a click, and the others at the rate of the run's
 *       {@link SamplingPlan} (its positive rate counted, a combine).
 * </ol>
 *
 * Every simplification makes it cheaper than a real design: no labeling, features or enrichment are
 * computed, the entity elements carry only a row id and a time, the answers only a row id, and
 * click events, profiles, ads, weights and the Parquet write are left out. The rows keep their real
 * coder and size. Output: the kept rows, unchanged. A group's rows are held while its clicks are
 * found, which is small with the runner's fine buckets.
 */
public final class ShuffleFloor
    extends PTransform<PCollectionList<KV<Integer, LabelEvent>>, PCollection<TrainingExample>> {
  private static final KvCoder<Integer, LabelEvent> EVENTS =
      KvCoder.of(VarIntCoder.of(), LabelEvent.LabelEventCoder.of());
  private static final KvCoder<Integer, KV<String, TrainingExample>> ROWS_OR_ANSWERS =
      KvCoder.of(
          VarIntCoder.of(), KvCoder.of(StringUtf8Coder.of(), NullableCoder.of(TrainingRows.CODER)));
  private static final KvCoder<Integer, KV<String, Long>> QUERIES =
      KvCoder.of(VarIntCoder.of(), KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));

  private static final TypeDescriptor<Outcome> OUTCOME = TypeDescriptor.of(Outcome.class);
  private static final TupleTag<KV<Integer, KV<String, TrainingExample>>> KEPT =
      new TupleTag<>() {};
  private static final TupleTag<KV<Integer, KV<String, Long>>> ENTITY = new TupleTag<>() {};

  private final int buckets;
  private final double targetPositiveRate;

  private ShuffleFloor(int buckets, double targetPositiveRate) {
    this.buckets = buckets;
    this.targetPositiveRate = targetPositiveRate;
  }

  /**
   * The floor over impressions, clicks and conversions, each keyed by the bucket of its impression;
   * negatives are downsampled to {@code targetPositiveRate} (0: none) before the last grouping.
   */
  public static PCollection<TrainingExample> of(
      PCollection<Impression> imps,
      PCollection<Click> clicks,
      PCollection<Conversion> convs,
      int buckets,
      double targetPositiveRate) {
    return PCollectionList.of(
            imps.apply("ImpressionEvents", ParDo.of(new ImpressionFn(buckets))).setCoder(EVENTS))
        .and(
            clicks
                .apply("ClickOutcomes", MapElements.into(OUTCOME).via(Outcome::of))
                .setCoder(Outcome.OutcomeCoder.of())
                .apply("ClickEvents", ParDo.of(new OutcomeFn(buckets)))
                .setCoder(EVENTS))
        .and(
            convs
                .apply("ConversionOutcomes", MapElements.into(OUTCOME).via(Outcome::of))
                .setCoder(Outcome.OutcomeCoder.of())
                .apply("ConversionEvents", ParDo.of(new OutcomeFn(buckets)))
                .setCoder(EVENTS))
        .apply("ShuffleFloor", new ShuffleFloor(buckets, targetPositiveRate));
  }

  @Override
  public PCollection<TrainingExample> expand(PCollectionList<KV<Integer, LabelEvent>> in) {
    PCollection<KV<Integer, KV<String, TrainingExample>>> rows =
        BatchGrouping.globalWindow(
                "GlobalWindow", in.apply("FlattenEvents", Flatten.pCollections()))
            .apply("GroupByImpression", GroupByBucket.create())
            .apply("Rows", ParDo.of(new RowsFn()))
            .setCoder(ROWS_OR_ANSWERS);
    PCollectionView<Double> positiveRate =
        rows.apply(
                "Clicked",
                MapElements.into(TypeDescriptors.integers())
                    .via(r -> r.getValue().getValue().getClicked()))
            .apply("PositiveRate", Mean.globally())
            .apply(View.asSingleton());
    PCollectionTuple sampled =
        rows.apply(
            "Sample",
            ParDo.of(new SampleFn(buckets, targetPositiveRate, positiveRate))
                .withSideInputs(positiveRate)
                .withOutputTags(KEPT, TupleTagList.of(ENTITY)));
    PCollection<KV<Integer, KV<String, TrainingExample>>> answers =
        sampled
            .get(ENTITY)
            .setCoder(QUERIES)
            .apply("GroupByEntity", GroupByBucket.create())
            .apply("Answers", ParDo.of(new AnswersFn(buckets)))
            .setCoder(ROWS_OR_ANSWERS);
    return PCollectionList.of(sampled.get(KEPT).setCoder(ROWS_OR_ANSWERS))
        .and(answers)
        .apply("FlattenRowsAndAnswers", Flatten.pCollections())
        .apply("GroupByRow", GroupByBucket.create())
        .apply("AttachNothing", ParDo.of(new AttachFn()))
        .setCoder(TrainingRows.CODER);
  }

  private static final class ImpressionFn extends DoFn<Impression, KV<Integer, LabelEvent>> {
    private final int buckets;

    ImpressionFn(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(@Element Impression i, OutputReceiver<KV<Integer, LabelEvent>> out) {
      out.output(
          KV.of(
              Buckets.of(i.getImpressionId(), buckets),
              LabelEvent.primary(LabelRows.toRow(i, LabelMode.WAIT))));
    }
  }

  /** A click or conversion, keyed by the bucket of its impression. */
  private static final class OutcomeFn extends DoFn<Outcome, KV<Integer, LabelEvent>> {
    private final int buckets;

    OutcomeFn(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(@Element Outcome o, OutputReceiver<KV<Integer, LabelEvent>> out) {
      out.output(KV.of(Buckets.of(o.primaryId(), buckets), LabelEvent.outcome(o)));
    }
  }

  /**
   * Each group's rows, marked clicked when a click (or conversion) of theirs is in the group, keyed
   * as they came (by the bucket of their impression).
   */
  private static final class RowsFn
      extends DoFn<KV<Integer, Iterable<LabelEvent>>, KV<Integer, KV<String, TrainingExample>>> {
    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<LabelEvent>> group,
        OutputReceiver<KV<Integer, KV<String, TrainingExample>>> out) {
      List<TrainingExample> rows = new ArrayList<>();
      Set<String> clicked = new HashSet<>();
      for (LabelEvent e : group.getValue()) {
        if (e.primary() != null) {
          rows.add(e.primary());
        } else {
          clicked.add(e.outcome().primaryId());
        }
      }
      for (TrainingExample r : rows) {
        r.setClicked(clicked.contains(r.getImpressionId()) ? 1 : 0);
        out.output(KV.of(group.getKey(), KV.of(r.getImpressionId(), r)));
      }
    }
  }

  /**
   * Keeps a row as {@link SamplingPlan#keep} does; every row's time goes to its four entity keys,
   * with the row id only for a kept row (a query; the others are count events).
   */
  private static final class SampleFn
      extends DoFn<
          KV<Integer, KV<String, TrainingExample>>, KV<Integer, KV<String, TrainingExample>>> {
    private final int buckets;
    private final double target;
    private final PCollectionView<Double> positiveRate;
    private transient SamplingPlan plan;

    SampleFn(int buckets, double target, PCollectionView<Double> positiveRate) {
      this.buckets = buckets;
      this.target = target;
      this.positiveRate = positiveRate;
    }

    @ProcessElement
    public void process(@Element KV<Integer, KV<String, TrainingExample>> row, ProcessContext c) {
      if (plan == null) {
        // One global window in a bounded run: one rate for the whole run.
        plan = new SamplingPlan(c.sideInput(positiveRate), target, true);
      }
      TrainingExample r = row.getValue().getValue();
      boolean keep = plan.keep(r.getClicked() == 1, r.getImpressionId(), 0L);
      if (keep) {
        c.output(row);
      }
      KV<String, Long> entity =
          KV.of(keep ? r.getImpressionId() : "", r.getEventTime().toEpochMilli());
      c.output(ENTITY, KV.of(Buckets.of("user|" + r.getUserId(), buckets), entity));
      c.output(ENTITY, KV.of(Buckets.of("ad|" + r.getAdId(), buckets), entity));
      c.output(ENTITY, KV.of(Buckets.of("advertiser|" + r.getAdvertiserId(), buckets), entity));
      c.output(ENTITY, KV.of(Buckets.of("category|" + r.getAdCategory(), buckets), entity));
    }
  }

  /** An empty answer per query, keyed by the bucket of its row. */
  private static final class AnswersFn
      extends DoFn<
          KV<Integer, Iterable<KV<String, Long>>>, KV<Integer, KV<String, TrainingExample>>> {
    private final int buckets;

    AnswersFn(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<KV<String, Long>>> group,
        OutputReceiver<KV<Integer, KV<String, TrainingExample>>> out) {
      for (KV<String, Long> q : group.getValue()) {
        if (!q.getKey().isEmpty()) {
          out.output(KV.of(Buckets.of(q.getKey(), buckets), KV.of(q.getKey(), null)));
        }
      }
    }
  }

  /** The rows of each group, with nothing attached. */
  private static final class AttachFn
      extends DoFn<KV<Integer, Iterable<KV<String, TrainingExample>>>, TrainingExample> {
    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<KV<String, TrainingExample>>> group,
        OutputReceiver<TrainingExample> out) {
      for (KV<String, TrainingExample> e : group.getValue()) {
        if (e.getValue() != null) {
          out.output(e.getValue());
        }
      }
    }
  }
}
