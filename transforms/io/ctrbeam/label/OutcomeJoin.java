package io.ctrbeam.label;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.BatchGrouping;
import io.ctrbeam.common.Buckets;
import io.ctrbeam.common.GroupByBucket;
import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;

/**
 * The generic outcome join of primary rows with outcome events (impressions x clicks, clicked
 * examples x conversions), keyed by hash bucket of impression_id. Bounded input: a GroupByKey per
 * bucket and one in-memory pass ({@link BatchLabelFn}). Unbounded input (or {@code
 * withStatefulInBatch}): a stateful DoFn per bucket with one timer per second of due entries
 * ({@link StatefulLabelFn}).
 *
 * <p>Input: a tuple with {@link #PRIMARIES} and {@link #OUTCOMES}. Output: a tuple with {@link
 * #ROWS}, {@link #DEAD_LETTERS}, {@link #CORRECTIONS} and {@link #DELAYS} (matched outcome delays).
 */
public final class OutcomeJoin extends PTransform<PCollectionTuple, PCollectionTuple> {
  public static final TupleTag<TrainingExample> PRIMARIES =
      new TupleTag<TrainingExample>("primaries") {};
  public static final TupleTag<Outcome> OUTCOMES = new TupleTag<Outcome>("outcomes") {};
  private static final JoinOutputs TAGS = new JoinOutputs();
  public static final TupleTag<TrainingExample> ROWS = TAGS.main;
  public static final TupleTag<DeadLetter> DEAD_LETTERS = TAGS.deadLetters;
  public static final TupleTag<LabelCorrection> CORRECTIONS = TAGS.corrections;
  public static final TupleTag<Long> DELAYS = TAGS.delays;

  private final LabelRules rules;
  private final int buckets;
  private final boolean statefulInBatch;

  private OutcomeJoin(LabelRules rules, int buckets, boolean statefulInBatch) {
    this.rules = rules;
    this.buckets = buckets;
    this.statefulInBatch = statefulInBatch;
  }

  /** A join with the given rules over {@code buckets} hash buckets. */
  public static OutcomeJoin of(LabelRules rules, int buckets) {
    checkArgument(buckets > 0, "buckets must be positive, got %s", buckets);
    return new OutcomeJoin(rules, buckets, false);
  }

  /** Uses the stateful path even on bounded input. */
  public OutcomeJoin withStatefulInBatch(boolean stateful) {
    return new OutcomeJoin(rules, buckets, stateful);
  }

  @Override
  public PCollectionTuple expand(PCollectionTuple in) {
    PCollection<TrainingExample> primaries = in.get(PRIMARIES);
    PCollection<Outcome> outcomes = in.get(OUTCOMES);
    KvCoder<Integer, LabelEvent> kv = KvCoder.of(VarIntCoder.of(), LabelEvent.LabelEventCoder.of());
    PCollection<KV<Integer, LabelEvent>> keyed =
        PCollectionList.of(
                primaries.apply("KeyPrimaries", ParDo.of(new KeyPrimaryFn(buckets))).setCoder(kv))
            .and(outcomes.apply("KeyOutcomes", ParDo.of(new KeyOutcomeFn(buckets))).setCoder(kv))
            .apply("FlattenEvents", Flatten.pCollections());
    boolean bounded =
        primaries.isBounded() == PCollection.IsBounded.BOUNDED
            && outcomes.isBounded() == PCollection.IsBounded.BOUNDED;
    PCollectionTuple out;
    if (bounded && !statefulInBatch) {
      out =
          BatchGrouping.globalWindow("GlobalWindow", keyed)
              .apply("GroupByBucket", GroupByBucket.create())
              .apply(
                  "LabelBuckets",
                  ParDo.of(new BatchLabelFn(rules, TAGS)).withOutputTags(ROWS, TAGS.additional()));
    } else {
      out =
          keyed
              .apply("GlobalWindow", Window.into(new GlobalWindows()))
              .apply(
                  "LabelBucketsStateful",
                  ParDo.of(new StatefulLabelFn(rules, TAGS))
                      .withOutputTags(ROWS, TAGS.additional()));
    }
    out.get(ROWS).setCoder(TrainingRows.CODER);
    out.get(DEAD_LETTERS).setCoder(AvroCoder.specific(DeadLetter.class));
    out.get(CORRECTIONS).setCoder(AvroCoder.specific(LabelCorrection.class));
    out.get(DELAYS).setCoder(VarLongCoder.of());
    return out;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("rules", rules.toString()))
        .add(DisplayData.item("buckets", buckets))
        .add(DisplayData.item("statefulInBatch", statefulInBatch));
  }

  private static final class KeyPrimaryFn extends DoFn<TrainingExample, KV<Integer, LabelEvent>> {
    private final int buckets;

    KeyPrimaryFn(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(@Element TrainingExample row, OutputReceiver<KV<Integer, LabelEvent>> out) {
      out.output(KV.of(Buckets.of(row.getImpressionId(), buckets), LabelEvent.primary(row)));
    }
  }

  private static final class KeyOutcomeFn extends DoFn<Outcome, KV<Integer, LabelEvent>> {
    private final int buckets;

    KeyOutcomeFn(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(@Element Outcome o, OutputReceiver<KV<Integer, LabelEvent>> out) {
      out.output(KV.of(Buckets.of(o.primaryId(), buckets), LabelEvent.outcome(o)));
    }
  }
}
