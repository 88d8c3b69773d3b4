package io.ctrbeam.features;

import io.ctrbeam.common.Buckets;
import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;
import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Fills the sliding-window and decayed features of every key kind (user, ad, advertiser,
 * user × category) onto training examples, each as of its impression's event_time t and from
 * events strictly before t (SPEC §3 point in time).
 *
 * <p>Impression events come from {@code impressions}; click events from the positive examples
 * (one per clicked impression, at its click_time). Every example comes out exactly once, in the
 * global window, at its input timestamp (or t if that was earlier).
 *
 * <pre>{@code
 * examples.apply("AddFeatures", AddPointInTimeFeatures.from(impressions)
 *     .withWindow(Duration.standardHours(24)).withHalfLife(Duration.standardHours(24))
 *     .withSmoothing(1, 49).withLabelWait(Duration.standardHours(2)).withBuckets(64));
 * }</pre>
 *
 * <p>Bounded input: per kind one GroupByKey by hash bucket and an exact in-memory sweep. Unbounded
 * input: per kind a stateful DoFn per bucket answers an example once the watermark passes its
 * timestamp (a positive arrives at its click time, a negative at t + label wait); history is kept
 * for window + label wait + allowed lateness and older events are folded into decayed sums.
 */
public final class AddPointInTimeFeatures
    extends PTransform<PCollection<TrainingExample>, PCollection<TrainingExample>> {
  private final PCollection<Impression> impressions;
  private final Duration window;
  private final Duration halfLife;
  private final double alpha;
  private final double beta;
  private final Duration labelWait;
  private final Duration allowedLateness;
  private final int buckets;
  private final EnrichExamples enrichment;
  private final boolean statefulInBatch;

  private AddPointInTimeFeatures(
      PCollection<Impression> impressions,
      Duration window,
      Duration halfLife,
      double alpha,
      double beta,
      Duration labelWait,
      Duration allowedLateness,
      int buckets,
      EnrichExamples enrichment,
      boolean statefulInBatch) {
    this.impressions = impressions;
    this.window = window;
    this.halfLife = halfLife;
    this.alpha = alpha;
    this.beta = beta;
    this.labelWait = labelWait;
    this.allowedLateness = allowedLateness;
    this.buckets = buckets;
    this.enrichment = enrichment;
    this.statefulInBatch = statefulInBatch;
  }

  /** Features from these impressions (and the clicks of the examples it is applied to). */
  public static AddPointInTimeFeatures from(PCollection<Impression> impressions) {
    checkArgumentNotNull(impressions, "impressions");
    return new AddPointInTimeFeatures(
        impressions,
        Duration.standardHours(24),
        Duration.standardHours(24),
        FeatureParams.DEFAULT_ALPHA,
        FeatureParams.DEFAULT_BETA,
        Duration.standardHours(2),
        Duration.ZERO,
        64,
        null,
        false);
  }

  /** The sliding window of the counts and CTR (default 24 h). */
  public AddPointInTimeFeatures withWindow(Duration window) {
    checkArgument(window != null && window.getMillis() > 0, "window must be positive");
    return new AddPointInTimeFeatures(
        impressions, window, halfLife, alpha, beta, labelWait, allowedLateness, buckets, enrichment, statefulInBatch);
  }

  /** The half-life of the decayed counts (default 24 h): λ = ln 2 / half-life. */
  public AddPointInTimeFeatures withHalfLife(Duration halfLife) {
    checkArgument(halfLife != null && halfLife.getMillis() > 0, "half-life must be positive");
    return new AddPointInTimeFeatures(
        impressions, window, halfLife, alpha, beta, labelWait, allowedLateness, buckets, enrichment, statefulInBatch);
  }

  /** Decayed CTR = (clicks + α) / (impressions + α + β); default α = 1, β = 49. */
  public AddPointInTimeFeatures withSmoothing(double alpha, double beta) {
    checkArgument(alpha >= 0 && beta >= 0 && alpha + beta > 0, "need α, β >= 0 and α + β > 0");
    return new AddPointInTimeFeatures(
        impressions, window, halfLife, alpha, beta, labelWait, allowedLateness, buckets, enrichment, statefulInBatch);
  }

  /** The label wait T: an example arrives at most T after its impression (default 2 h). */
  public AddPointInTimeFeatures withLabelWait(Duration labelWait) {
    checkArgument(labelWait != null && labelWait.getMillis() >= 0, "label wait must be >= 0");
    return new AddPointInTimeFeatures(
        impressions, window, halfLife, alpha, beta, labelWait, allowedLateness, buckets, enrichment, statefulInBatch);
  }

  /** How late (behind the watermark) an example may still arrive with exact features (default 0). */
  public AddPointInTimeFeatures withAllowedLateness(Duration allowedLateness) {
    checkArgument(allowedLateness != null && allowedLateness.getMillis() >= 0, "lateness >= 0");
    return new AddPointInTimeFeatures(
        impressions, window, halfLife, alpha, beta, labelWait, allowedLateness, buckets, enrichment, statefulInBatch);
  }

  /** The number of hash buckets (Beam keys) per key kind (default 64). */
  public AddPointInTimeFeatures withBuckets(int buckets) {
    checkArgument(buckets > 0, "buckets must be positive");
    return new AddPointInTimeFeatures(
        impressions, window, halfLife, alpha, beta, labelWait, allowedLateness, buckets, enrichment, statefulInBatch);
  }

  /**
   * Also writes the as-of profile and ad-metadata fields of {@code enrichment}, in the same final
   * grouping as the features, so the rows are grouped once for both.
   */
  public AddPointInTimeFeatures withEnrichment(EnrichExamples enrichment) {
    checkArgumentNotNull(enrichment, "enrichment");
    return new AddPointInTimeFeatures(
        impressions, window, halfLife, alpha, beta, labelWait, allowedLateness, buckets, enrichment, statefulInBatch);
  }

  /**
   * Attaches the answers to bounded rows with the stateful path instead of a GroupByKey: on Flink a
   * batch GroupByKey is a list-building combine plus a second sort, a stateful DoFn one sort.
   */
  public AddPointInTimeFeatures withStatefulInBatch(boolean stateful) {
    return new AddPointInTimeFeatures(
        impressions, window, halfLife, alpha, beta, labelWait, allowedLateness, buckets, enrichment, stateful);
  }

  FeatureParams params() {
    return new FeatureParams(window.getMillis(), halfLife.getMillis(), alpha, beta);
  }

  @Override
  public PCollection<TrainingExample> expand(PCollection<TrainingExample> examples) {
    PCollection<TrainingExample> labeled = BucketedAsOf.asOfInput("ExamplesGlobal", examples);
    PCollection<RowKey> keys = RowKey.of("RowKeys", labeled);
    List<AttachAnswers.AnswerSet<?>> sets = answerSets(keys);
    if (enrichment != null) {
      sets.addAll(enrichment.answerSets(keys));
    }
    return labeled.apply("AttachFeatures", new AttachAnswers(sets, buckets, statefulInBatch));
  }

  /** Per key kind, the features of every row as {@code KV(rowId, values)}. */
  List<AttachAnswers.AnswerSet<?>> answerSets(PCollection<RowKey> labeled) {
    FeatureParams params = params();
    long retention = labelWait.getMillis() + allowedLateness.getMillis();
    PCollection<Impression> imps = BucketedAsOf.asOfInput("ImpressionsGlobal", impressions);
    List<AttachAnswers.AnswerSet<?>> sets = new ArrayList<>();
    for (KeyKind kind : KeyKind.values()) {
      String name = stepName(kind);
      CountFeaturesLookup lookup = new CountFeaturesLookup(kind, params);
      PCollection<KV<Integer, AsOfElement<String>>> impEvents =
          imps.apply(name + "ImpressionEvents", ParDo.of(new ImpressionEventsFn(kind, buckets)))
              .setCoder(BucketedAsOf.itemCoder(lookup));
      PCollection<KV<Integer, AsOfElement<String>>> clickEvents =
          labeled
              .apply(name + "ClickEvents", ParDo.of(new ClickEventsFn(kind, buckets)))
              .setCoder(BucketedAsOf.itemCoder(lookup));
      PCollection<KV<Integer, AsOfElement<String>>> queries =
          labeled
              .apply(name + "Queries", ParDo.of(new QueriesFn<String>(kind, buckets)))
              .setCoder(BucketedAsOf.itemCoder(lookup));
      PCollection<KV<String, FeatureValues>> answers =
          PCollectionList.of(impEvents)
              .and(clickEvents)
              .and(queries)
              .apply(name + "Items", Flatten.pCollections())
              .apply(name + "Features", new BucketedAsOf<>(lookup, retention));
      sets.add(new AttachAnswers.AnswerSet<>(name, answers, lookup));
    }
    return sets;
  }

  static String stepName(KeyKind kind) {
    StringBuilder b = new StringBuilder();
    for (String part : kind.label.split("_")) {
      b.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
    }
    return b.toString();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("window", window))
        .add(DisplayData.item("halfLife", halfLife))
        .add(DisplayData.item("alpha", alpha))
        .add(DisplayData.item("beta", beta))
        .add(DisplayData.item("labelWait", labelWait))
        .add(DisplayData.item("allowedLateness", allowedLateness))
        .add(DisplayData.item("buckets", buckets))
        .add(DisplayData.item("enrichment", enrichment != null))
        .add(DisplayData.item("statefulInBatch", statefulInBatch));
  }

  /** One impression event per impression with a key of this kind. */
  static final class ImpressionEventsFn extends DoFn<Impression, KV<Integer, AsOfElement<String>>> {
    private final KeyKind kind;
    private final int buckets;

    ImpressionEventsFn(KeyKind kind, int buckets) {
      this.kind = kind;
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(@Element Impression i, OutputReceiver<KV<Integer, AsOfElement<String>>> out) {
      String key = kind.keyOf(i);
      if (key != null) {
        out.output(
            KV.of(
                Buckets.of(key, buckets),
                AsOfElement.<String>event(key, i.getEventTime().toEpochMilli(), null)));
      }
    }
  }

  /** One click event per positive example, at its click_time, keyed by the impression's key. */
  static final class ClickEventsFn extends DoFn<RowKey, KV<Integer, AsOfElement<String>>> {
    private final KeyKind kind;
    private final int buckets;

    ClickEventsFn(KeyKind kind, int buckets) {
      this.kind = kind;
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(@Element RowKey e, OutputReceiver<KV<Integer, AsOfElement<String>>> out) {
      String key = kind.keyOf(e);
      if (key != null && e.hasClick()) {
        out.output(KV.of(Buckets.of(key, buckets), AsOfElement.event(key, e.clickTime, e.impressionId)));
      }
    }
  }

  /** Every example as a query of its key of this kind (a null key: bucket by row id). */
  static final class QueriesFn<E> extends DoFn<RowKey, KV<Integer, AsOfElement<E>>> {
    private final KeyKind kind;
    private final int buckets;

    QueriesFn(KeyKind kind, int buckets) {
      this.kind = kind;
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(
        @Element RowKey e, @Timestamp Instant ts, OutputReceiver<KV<Integer, AsOfElement<E>>> out) {
      String key = kind.keyOf(e);
      String rowId = e.rowId();
      int bucket = Buckets.of(key != null ? key : rowId, buckets);
      out.output(KV.of(bucket, AsOfElement.<E>query(key, rowId, e.eventTime, ts.getMillis())));
    }
  }
}
