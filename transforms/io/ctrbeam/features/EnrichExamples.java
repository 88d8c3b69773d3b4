package io.ctrbeam.features;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.Buckets;
import io.ctrbeam.common.FastRecordCoder;
import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.schema.UserProfile;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;

/**
 * Joins the {@link UserProfile} (by user_id) and the {@link AdMetadata} (by ad_id) onto training
 * examples as of the impression: the latest version with updated_at ≤ event_time. Fills {@code
 * user_age_bucket}, {@code user_gender}, {@code user_interests}, {@code ad_meta_advertiser_id},
 * {@code ad_meta_category}; with no such version they are null. Every example comes out once, in
 * the global window.
 *
 * <pre>{@code
 * examples.apply("Enrich", EnrichExamples.of(profiles, adMetadata).withBuckets(64));
 * }</pre>
 *
 * <p>Bounded: a GroupByKey by hash bucket and a sweep. Unbounded: a stateful DoFn per bucket that
 * answers an example once the watermark passes its timestamp and keeps, per id, the latest version
 * older than label wait + allowed lateness and every newer one.
 */
public final class EnrichExamples
    extends PTransform<PCollection<TrainingExample>, PCollection<TrainingExample>> {
  private final PCollection<UserProfile> profiles;
  private final PCollection<AdMetadata> ads;
  private final Duration labelWait;
  private final Duration allowedLateness;
  private final int buckets;

  private EnrichExamples(
      PCollection<UserProfile> profiles,
      PCollection<AdMetadata> ads,
      Duration labelWait,
      Duration allowedLateness,
      int buckets) {
    this.profiles = profiles;
    this.ads = ads;
    this.labelWait = labelWait;
    this.allowedLateness = allowedLateness;
    this.buckets = buckets;
  }

  /** Enrichment from these profile and ad-metadata versions. */
  public static EnrichExamples of(PCollection<UserProfile> profiles, PCollection<AdMetadata> ads) {
    checkArgument(profiles != null && ads != null, "profiles and ads are required");
    return new EnrichExamples(profiles, ads, Duration.standardHours(2), Duration.ZERO, 64);
  }

  /** The label wait T: an example arrives at most T after its impression (default 2 h). */
  public EnrichExamples withLabelWait(Duration labelWait) {
    checkArgument(labelWait != null && labelWait.getMillis() >= 0, "label wait must be >= 0");
    return new EnrichExamples(profiles, ads, labelWait, allowedLateness, buckets);
  }

  /** How late an example may arrive and still find its versions (default 0). */
  public EnrichExamples withAllowedLateness(Duration allowedLateness) {
    checkArgument(allowedLateness != null && allowedLateness.getMillis() >= 0, "lateness >= 0");
    return new EnrichExamples(profiles, ads, labelWait, allowedLateness, buckets);
  }

  /** The number of hash buckets (Beam keys) per join, default 64. */
  public EnrichExamples withBuckets(int buckets) {
    checkArgument(buckets > 0, "buckets must be positive");
    return new EnrichExamples(profiles, ads, labelWait, allowedLateness, buckets);
  }

  @Override
  public PCollection<TrainingExample> expand(PCollection<TrainingExample> examples) {
    PCollection<TrainingExample> rows = BucketedAsOf.asOfInput("ExamplesGlobal", examples);
    return rows.apply(
        "AttachEnrichment",
        new AttachAnswers(answerSets(RowKey.of("RowKeys", rows)), buckets, false));
  }

  /** The as-of profile and ad-metadata versions of every row as {@code KV(rowId, version)}. */
  List<AttachAnswers.AnswerSet<?>> answerSets(PCollection<RowKey> rows) {
    long retention = labelWait.getMillis() + allowedLateness.getMillis();
    List<AttachAnswers.AnswerSet<?>> sets = new ArrayList<>();
    sets.add(join("Profile", rows, profiles, new ProfileLookup(), KeyKind.USER, retention));
    sets.add(join("AdMetadata", rows, ads, new AdMetadataLookup(), KeyKind.AD, retention));
    return sets;
  }

  private <R> AttachAnswers.AnswerSet<R> join(
      String name,
      PCollection<RowKey> rows,
      PCollection<R> versions,
      LatestVersionLookup<R> lookup,
      KeyKind kind,
      long retention) {
    PCollection<KV<Integer, AsOfElement<R>>> events =
        BucketedAsOf.asOfInput(name + "VersionsGlobal", versions)
            .apply(name + "Versions", ParDo.of(new VersionEventsFn<>(lookup, buckets)))
            .setCoder(BucketedAsOf.itemCoder(lookup));
    PCollection<KV<Integer, AsOfElement<R>>> queries =
        rows.apply(name + "Queries", ParDo.of(new AsOfInputs.QueriesFn<R>(kind, buckets)))
            .setCoder(BucketedAsOf.itemCoder(lookup));
    PCollection<KV<String, R>> answers =
        PCollectionList.of(events)
            .and(queries)
            .apply(name + "Items", Flatten.pCollections())
            .apply(name + "AsOfJoin", new BucketedAsOf<>(lookup, retention));
    return new AttachAnswers.AnswerSet<>(name, answers, lookup);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("labelWait", labelWait))
        .add(DisplayData.item("allowedLateness", allowedLateness))
        .add(DisplayData.item("buckets", buckets));
  }

  /** Versions of one id sorted by updated_at; a query at t takes the latest at or before t. */
  abstract static class LatestVersionLookup<R> implements AsOfLookup<R, List<R>, R> {
    abstract String idOf(R r);

    abstract long updatedAt(R r);

    @Override
    public Coder<R> answerCoder() {
      return NullableCoder.of(eventCoder());
    }

    @Override
    public Coder<List<R>> stateCoder() {
      return ListCoder.of(eventCoder());
    }

    @Override
    public List<R> newState() {
      return new ArrayList<>();
    }

    @Override
    public List<R> add(List<R> state, long time, R r) {
      List<R> s = new ArrayList<>(state);
      int pos = s.size();
      while (pos > 0 && updatedAt(s.get(pos - 1)) > time) {
        pos--;
      }
      s.add(pos, r);
      return s;
    }

    @Override
    public boolean inclusive() {
      return true;
    }

    @Override
    public long horizonFor(long t) {
      return t;
    }

    @Override
    public List<R> compact(List<R> state, long horizon) {
      int latestOld = latestAtOrBefore(state, horizon);
      return latestOld <= 0 ? state : new ArrayList<>(state.subList(latestOld, state.size()));
    }

    private int latestAtOrBefore(List<R> s, long t) {
      int i = s.size() - 1;
      while (i >= 0 && updatedAt(s.get(i)) > t) {
        i--;
      }
      return i;
    }

    @Override
    public R answer(List<R> state, long t) {
      int i = state == null ? -1 : latestAtOrBefore(state, t);
      return i < 0 ? null : state.get(i);
    }
  }

  static final class ProfileLookup extends LatestVersionLookup<UserProfile> {
    @Override
    public Coder<UserProfile> eventCoder() {
      return FastRecordCoder.orAvro(UserProfile.class);
    }

    @Override
    String idOf(UserProfile r) {
      return r.getUserId();
    }

    @Override
    long updatedAt(UserProfile r) {
      return r.getUpdatedAt().toEpochMilli();
    }

    @Override
    public void fill(TrainingExample e, UserProfile r) {
      e.setUserAgeBucket(r == null ? null : r.getAgeBucket());
      e.setUserGender(r == null ? null : r.getGender());
      e.setUserInterests(r == null ? null : r.getInterests());
    }
  }

  static final class AdMetadataLookup extends LatestVersionLookup<AdMetadata> {
    @Override
    public Coder<AdMetadata> eventCoder() {
      return FastRecordCoder.orAvro(AdMetadata.class);
    }

    @Override
    String idOf(AdMetadata r) {
      return r.getAdId();
    }

    @Override
    long updatedAt(AdMetadata r) {
      return r.getUpdatedAt().toEpochMilli();
    }

    @Override
    public void fill(TrainingExample e, AdMetadata r) {
      e.setAdMetaAdvertiserId(r == null ? null : r.getAdvertiserId());
      e.setAdMetaCategory(r == null ? null : r.getCategory());
    }
  }

  /** One event per version, keyed by the bucket of its id, at its updated_at. */
  static final class VersionEventsFn<R> extends DoFn<R, KV<Integer, AsOfElement<R>>> {
    private final LatestVersionLookup<R> lookup;
    private final int buckets;

    VersionEventsFn(LatestVersionLookup<R> lookup, int buckets) {
      this.lookup = lookup;
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(@Element R r, OutputReceiver<KV<Integer, AsOfElement<R>>> out) {
      String id = lookup.idOf(r);
      out.output(KV.of(Buckets.of(id, buckets), AsOfElement.event(id, lookup.updatedAt(r), r)));
    }
  }
}
