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
import org.apache.beam.sdk.transforms.SerializableFunction;
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
 * once per consumer and sorts once per grouping. Bounded, the same grouping also answers the
 * enrichment's profile and ad joins ({@link CountsAndVersions}).
 */
final class AllKindsCountFeatures {
  private AllKindsCountFeatures() {}

  /** The answer sets of the attach step, in order, and the parts that fill the shared ones. */
  record Answers(
      List<AttachAnswers.AnswerSet<?>> sets, PCollection<KV<Integer, AttachAnswers.Part>> parts) {}

  /**
   * One set per kind, in {@link KeyKind} order, filled from the grouping's parts (kind k's part has
   * index k), then, unbounded, the enrichment's own sets. Impression events come from {@code imps},
   * or, when it is null (bounded rows, one per impression), from the rows' own queries.
   */
  static Answers of(
      @Nullable PCollection<Impression> imps,
      PCollection<RowKey> keys,
      FeatureParams params,
      long retentionMillis,
      int buckets,
      @Nullable EnrichExamples enrichment) {
    List<AttachAnswers.AnswerSet<?>> sets = new ArrayList<>();
    if (keys.isBounded() == PCollection.IsBounded.BOUNDED) {
      CountsAndVersions lookup = CountsAndVersions.answering(params);
      for (KeyKind kind : KeyKind.values()) {
        sets.add(
            AttachAnswers.AnswerSet.inSharedParts(
                AddPointInTimeFeatures.stepName(kind),
                CountsAndVersions.filling(
                    kind, params, enrichment == null ? null : enrichment.versionsOf(kind))));
      }
      List<PCollection<KV<Integer, AsOfElement<CountsAndVersions.Event>>>> versions =
          enrichment == null ? List.of() : enrichment.entityVersionEvents(buckets);
      return new Answers(
          sets,
          parts(
              imps,
              keys,
              lookup,
              CountsAndVersions.Event::click,
              versions,
              retentionMillis,
              buckets));
    }
    for (KeyKind kind : KeyKind.values()) {
      sets.add(
          AttachAnswers.AnswerSet.inSharedParts(
              AddPointInTimeFeatures.stepName(kind), new CountFeaturesLookup(kind, params)));
    }
    PCollection<KV<Integer, AttachAnswers.Part>> parts =
        parts(
            imps,
            keys,
            CountFeaturesLookup.allKinds(params),
            AsOfInputs.clickIds(),
            List.of(),
            retentionMillis,
            buckets);
    if (enrichment != null) {
      sets.addAll(enrichment.answerSets(keys));
    }
    return new Answers(sets, parts);
  }

  /**
   * The answers of every row and kind as parts. Click events carry {@code click} of their id;
   * {@code more} are further events of the same grouping.
   */
  private static <E, S, V> PCollection<KV<Integer, AttachAnswers.Part>> parts(
      @Nullable PCollection<Impression> imps,
      PCollection<RowKey> keys,
      AsOfLookup<E, S, V> lookup,
      SerializableFunction<String, E> click,
      List<PCollection<KV<Integer, AsOfElement<E>>>> more,
      long retentionMillis,
      int buckets) {
    boolean rowsAreImpressions = imps == null;
    Coder<KV<Integer, AsOfElement<E>>> items =
        rowsAreImpressions
            ? KvCoder.of(
                VarIntCoder.of(),
                new AsOfElement.ItemCoder<>(lookup.eventCoder()).withImpressionFlag())
            : BucketedAsOf.itemCoder(lookup);
    PCollectionList<KV<Integer, AsOfElement<E>>> all =
        PCollectionList.of(
            keys.apply(
                    "CountRowItems",
                    ParDo.of(new AsOfInputs.RowItemsFn<>(buckets, rowsAreImpressions, click)))
                .setCoder(items));
    if (!rowsAreImpressions) {
      all =
          all.and(
              imps.apply(
                      "CountImpressionEvents",
                      ParDo.of(
                          new AsOfInputs.ImpressionEventsFn<E>(
                              List.of(KeyKind.values()), true, buckets)))
                  .setCoder(items));
    }
    for (PCollection<KV<Integer, AsOfElement<E>>> m : more) {
      all = all.and(m.setCoder(items));
    }
    PCollection<KV<String, V>> answers =
        all.apply("CountItems", Flatten.pCollections())
            .apply("CountFeatures", new BucketedAsOf<>(lookup, retentionMillis));
    return answers
        .apply("CountAnswerParts", ParDo.of(new KindPartFn<>(lookup.answerCoder(), buckets)))
        .setCoder(AttachAnswers.partsCoder());
  }

  /** An answer under a {@link AsOfInputs#kindQueryId} as the part of its kind's set. */
  private static final class KindPartFn<V>
      extends DoFn<KV<String, V>, KV<Integer, AttachAnswers.Part>> {
    private final Coder<V> coder;
    private final int buckets;

    KindPartFn(Coder<V> coder, int buckets) {
      this.coder = coder;
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(
        @Element KV<String, V> a,
        @Timestamp Instant ts,
        OutputReceiver<KV<Integer, AttachAnswers.Part>> out)
        throws CoderException {
      String rowId = AsOfInputs.rowIdOf(a.getKey());
      out.output(
          KV.of(
              Buckets.of(rowId, buckets),
              new AttachAnswers.Part(
                  AsOfInputs.kindOf(a.getKey()).ordinal(),
                  rowId,
                  CoderUtils.encodeToByteArray(coder, a.getValue()),
                  ts.getMillis())));
    }
  }
}
