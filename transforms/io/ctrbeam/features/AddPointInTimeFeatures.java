package io.ctrbeam.features;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import com.google.auto.value.AutoValue;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * Fills the sliding-window and decayed features of every key kind (user, ad, advertiser, user ×
 * category) onto training examples, each as of its impression's event_time t and from events
 * strictly before t (contract §3 point in time).
 *
 * <p>Impression events come from {@code impressions} (or, {@link #fromExamples}, from the examples
 * themselves); click events from the positive examples (one per clicked impression, at its
 * click_time). Every example comes out exactly once, in the global window, at its input timestamp
 * (or t if that was earlier).
 *
 * <pre>{@code
 * examples.apply("AddFeatures", AddPointInTimeFeatures.from(impressions)
 *     .withWindow(Duration.standardHours(24)).withHalfLife(Duration.standardHours(24))
 *     .withSmoothing(1, 49).withLabelWait(Duration.standardHours(2)).withBuckets(64));
 * }</pre>
 *
 * <p>All four kinds are answered by one as-of grouping keyed by {@code kind|key} ({@link
 * AllKindsCountFeatures}). Bounded input: a GroupByKey by hash bucket and an exact in-memory sweep.
 * Unbounded input: a stateful DoFn per bucket answers an example once the watermark passes its
 * timestamp (a positive arrives at its click time, a negative at t + label wait); history is kept
 * for window + label wait + allowed lateness and older events are folded into decayed sums.
 */
public final class AddPointInTimeFeatures
    extends PTransform<PCollection<TrainingExample>, PCollection<TrainingExample>> {
  /** The configuration: each field is set by its {@code withX}. */
  @AutoValue
  abstract static class Config implements Serializable {
    abstract FeatureParams params();

    abstract Duration labelWait();

    abstract Duration allowedLateness();

    abstract int buckets();

    abstract boolean statefulInBatch();

    abstract Builder toBuilder();

    static Config defaults() {
      return new AutoValue_AddPointInTimeFeatures_Config.Builder()
          .params(FeatureParams.defaults())
          .labelWait(Duration.standardHours(2))
          .allowedLateness(Duration.ZERO)
          .buckets(64)
          .statefulInBatch(false)
          .build();
    }

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder params(FeatureParams p);

      abstract Builder labelWait(Duration d);

      abstract Builder allowedLateness(Duration d);

      abstract Builder buckets(int n);

      abstract Builder statefulInBatch(boolean b);

      abstract Config build();
    }
  }

  private final transient PCollection<Impression> impressions;
  private final transient EnrichExamples enrichment;
  private final Config config;

  private AddPointInTimeFeatures(
      PCollection<Impression> impressions, EnrichExamples enrichment, Config config) {
    this.impressions = impressions;
    this.enrichment = enrichment;
    this.config = config;
  }

  private AddPointInTimeFeatures with(Config config) {
    return new AddPointInTimeFeatures(impressions, enrichment, config);
  }

  /** Features from these impressions (and the clicks of the examples it is applied to). */
  public static AddPointInTimeFeatures from(PCollection<Impression> impressions) {
    checkArgument(impressions != null, "impressions must be set, got %s", impressions);
    return new AddPointInTimeFeatures(impressions, null, Config.defaults());
  }

  /**
   * Features whose impression events are the examples themselves: for bounded examples with exactly
   * one per impression (labels in {@code LabelMode.WAIT}). Each example's query then also stands
   * for its impression event, so the features' grouping carries one element per example and kind,
   * not two, and no step reads the impressions.
   */
  public static AddPointInTimeFeatures fromExamples() {
    return new AddPointInTimeFeatures(null, null, Config.defaults());
  }

  /** The sliding window of the counts and CTR (default 24 h). */
  public AddPointInTimeFeatures withWindow(Duration window) {
    return with(config.toBuilder().params(config.params().withWindow(window)).build());
  }

  /** The half-life of the decayed counts (default 24 h): λ = ln 2 / half-life. */
  public AddPointInTimeFeatures withHalfLife(Duration halfLife) {
    return with(config.toBuilder().params(config.params().withHalfLife(halfLife)).build());
  }

  /** Decayed CTR = (clicks + α) / (impressions + α + β); default α = 1, β = 49. */
  public AddPointInTimeFeatures withSmoothing(double alpha, double beta) {
    return with(config.toBuilder().params(config.params().withSmoothing(alpha, beta)).build());
  }

  /** The label wait T: an example arrives at most T after its impression (default 2 h). */
  public AddPointInTimeFeatures withLabelWait(Duration labelWait) {
    checkArgument(
        labelWait != null && labelWait.getMillis() >= 0,
        "label wait must be >= 0, got %s",
        labelWait);
    return with(config.toBuilder().labelWait(labelWait).build());
  }

  /**
   * How late (behind the watermark) an example may still arrive with exact features (default 0).
   */
  public AddPointInTimeFeatures withAllowedLateness(Duration allowedLateness) {
    checkArgument(
        allowedLateness != null && allowedLateness.getMillis() >= 0,
        "allowed lateness must be >= 0, got %s",
        allowedLateness);
    return with(config.toBuilder().allowedLateness(allowedLateness).build());
  }

  /** The number of hash buckets (Beam keys) per key kind (default 64). */
  public AddPointInTimeFeatures withBuckets(int buckets) {
    checkArgument(buckets > 0, "buckets must be positive, got %s", buckets);
    return with(config.toBuilder().buckets(buckets).build());
  }

  /**
   * Also writes the as-of profile and ad-metadata fields of {@code enrichment}, in the same final
   * grouping as the features, so the rows are grouped once for both.
   */
  public AddPointInTimeFeatures withEnrichment(EnrichExamples enrichment) {
    checkArgument(enrichment != null, "enrichment must be set, got %s", enrichment);
    return new AddPointInTimeFeatures(impressions, enrichment, config);
  }

  /**
   * Attaches the answers to bounded rows with the stateful path instead of a GroupByKey: on Flink a
   * batch GroupByKey is a list-building combine plus a second sort, a stateful DoFn one sort.
   */
  public AddPointInTimeFeatures withStatefulInBatch(boolean stateful) {
    return with(config.toBuilder().statefulInBatch(stateful).build());
  }

  FeatureParams params() {
    return config.params();
  }

  @Override
  public PCollection<TrainingExample> expand(PCollection<TrainingExample> examples) {
    checkArgument(
        impressions != null || examples.isBounded() == PCollection.IsBounded.BOUNDED,
        "fromExamples() needs bounded examples (unbounded ones arrive after their impressions),"
            + " got %s",
        examples.isBounded());
    PCollection<TrainingExample> labeled = BucketedAsOf.asOfInput("ExamplesGlobal", examples);
    PCollection<RowKey> keys = RowKey.of("RowKeys", labeled);
    long retention = config.labelWait().getMillis() + config.allowedLateness().getMillis();
    List<AttachAnswers.AnswerSet<?>> sets = AllKindsCountFeatures.sets(params());
    PCollection<KV<Integer, AttachAnswers.Part>> countParts =
        AllKindsCountFeatures.parts(
            impressions == null ? null : BucketedAsOf.asOfInput("ImpressionsGlobal", impressions),
            keys,
            params(),
            retention,
            config.buckets(),
            0);
    if (enrichment != null) {
      sets.addAll(enrichment.answerSets(keys));
    }
    return labeled.apply(
        "AttachFeatures",
        new AttachAnswers(sets, List.of(countParts), config.buckets(), config.statefulInBatch()));
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
    config.params().populateDisplayData(builder);
    builder
        .add(DisplayData.item("labelWait", config.labelWait()))
        .add(DisplayData.item("allowedLateness", config.allowedLateness()))
        .add(DisplayData.item("buckets", config.buckets()))
        .add(DisplayData.item("enrichment", enrichment != null))
        .add(DisplayData.item("statefulInBatch", config.statefulInBatch()));
  }
}
