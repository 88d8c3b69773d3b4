package io.ctrbeam.features;

import io.ctrbeam.common.Buckets;
import io.ctrbeam.schema.Impression;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The count features of all four key kinds in one as-of grouping, keyed by {@code kind|key} ({@link
 * AsOfInputs#entity}), answered as {@link AttachAnswers} parts. One step reads the impressions and
 * one the row keys, instead of one and two per kind: Flink's batch runner serializes a collection
 * once per consumer and sorts once per grouping.
 */
final class AllKindsCountFeatures {
  private AllKindsCountFeatures() {}

  /** One set per kind, in {@link KeyKind} order, filled from {@link #parts}. */
  static List<AttachAnswers.AnswerSet<?>> sets(FeatureParams params) {
    List<AttachAnswers.AnswerSet<?>> sets = new ArrayList<>();
    for (KeyKind kind : KeyKind.values()) {
      sets.add(
          AttachAnswers.AnswerSet.inSharedParts(
              AddPointInTimeFeatures.stepName(kind), new CountFeaturesLookup(kind, params)));
    }
    return sets;
  }

  /**
   * The answers of every row and kind as parts; kind k's part has index {@code firstIndex + k}, the
   * index of its set from {@link #sets} in the attach step. Impression events come from {@code
   * imps}, or, when it is null (bounded rows, one per impression), from the rows' own queries.
   */
  static PCollection<KV<Integer, AttachAnswers.Part>> parts(
      @Nullable PCollection<Impression> imps,
      PCollection<RowKey> keys,
      FeatureParams params,
      long retentionMillis,
      int buckets,
      int firstIndex) {
    CountFeaturesLookup lookup = CountFeaturesLookup.allKinds(params);
    boolean rowsAreImpressions = imps == null;
    Coder<KV<Integer, AsOfElement<String>>> items =
        rowsAreImpressions
            ? KvCoder.of(
                VarIntCoder.of(),
                new AsOfElement.ItemCoder<>(lookup.eventCoder()).withImpressionFlag())
            : BucketedAsOf.itemCoder(lookup);
    PCollection<KV<Integer, AsOfElement<String>>> rowItems =
        keys.apply(
                "CountRowItems", ParDo.of(new AsOfInputs.RowItemsFn(buckets, rowsAreImpressions)))
            .setCoder(items);
    PCollectionList<KV<Integer, AsOfElement<String>>> all =
        rowsAreImpressions
            ? PCollectionList.of(rowItems)
            : PCollectionList.of(
                    imps.apply(
                            "CountImpressionEvents",
                            ParDo.of(
                                new AsOfInputs.ImpressionEventsFn(
                                    List.of(KeyKind.values()), true, buckets)))
                        .setCoder(items))
                .and(rowItems);
    PCollection<KV<String, FeatureValues>> answers =
        all.apply("CountItems", Flatten.pCollections())
            .apply("CountFeatures", new BucketedAsOf<>(lookup, retentionMillis));
    return answers
        .apply(
            "CountAnswerParts", ParDo.of(new KindPartFn(lookup.answerCoder(), firstIndex, buckets)))
        .setCoder(AttachAnswers.partsCoder());
  }

  /** An answer under a {@link AsOfInputs#kindQueryId} as the part of its kind's set. */
  private static final class KindPartFn
      extends DoFn<KV<String, FeatureValues>, KV<Integer, AttachAnswers.Part>> {
    private final Coder<FeatureValues> coder;
    private final int firstIndex;
    private final int buckets;

    KindPartFn(Coder<FeatureValues> coder, int firstIndex, int buckets) {
      this.coder = coder;
      this.firstIndex = firstIndex;
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(
        @Element KV<String, FeatureValues> a,
        @Timestamp Instant ts,
        OutputReceiver<KV<Integer, AttachAnswers.Part>> out)
        throws CoderException {
      String rowId = AsOfInputs.rowIdOf(a.getKey());
      int index = firstIndex + AsOfInputs.kindOf(a.getKey()).ordinal();
      out.output(
          KV.of(
              Buckets.of(rowId, buckets),
              new AttachAnswers.Part(
                  index,
                  rowId,
                  CoderUtils.encodeToByteArray(coder, a.getValue()),
                  ts.getMillis())));
    }
  }
}
