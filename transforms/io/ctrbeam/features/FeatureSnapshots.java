package io.ctrbeam.features;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import com.google.auto.value.AutoValue;
import io.ctrbeam.schema.FeatureSnapshot;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Per-key {@link FeatureSnapshot}s for serving: the features of a key as of t over events at or
 * before t (window (t − w, t], contract §3), from impressions and the clicks of positive examples.
 *
 * <ul>
 *   <li>{@link #asOf(Instant...)} (bounded input): one snapshot per key with any event at or before
 *       each given time;
 *   <li>{@link #current()} (unbounded input, {@link TickSnapshotsFn}): every {@code period} of
 *       event time (ticks at multiples of the period), the snapshot as of the tick of each key that
 *       got an event since its previous tick, emitted once the watermark passes the tick.
 * </ul>
 *
 * <pre>{@code
 * PCollection<FeatureSnapshot> s = examples.apply("Snapshots",
 *     FeatureSnapshots.current().from(impressions).withPeriod(Duration.standardMinutes(1)));
 * }</pre>
 *
 * <p>Keys are hashed into {@code buckets} Beam keys; per-key history lives in MapState (streaming)
 * or an in-memory sweep (batch). Snapshots are in the global window, timestamped at their tick.
 */
public final class FeatureSnapshots
    extends PTransform<PCollection<TrainingExample>, PCollection<FeatureSnapshot>> {
  /**
   * The configuration: each field is set by its {@code withX}, or by {@link #asOf}/{@link
   * #current}.
   */
  @AutoValue
  abstract static class Config implements Serializable {
    /** The times of {@link #asOf} snapshots, sorted; null for {@link #current()}. */
    abstract @Nullable List<Instant> times();

    /** The tick period of {@link #current()} snapshots; null for {@link #asOf}. */
    abstract @Nullable Duration period();

    abstract FeatureParams params();

    abstract int buckets();

    abstract Builder toBuilder();

    static Builder defaults() {
      return new AutoValue_FeatureSnapshots_Config.Builder()
          .params(FeatureParams.defaults())
          .buckets(64);
    }

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder times(@Nullable List<Instant> t);

      abstract Builder period(@Nullable Duration d);

      abstract Builder params(FeatureParams p);

      abstract Builder buckets(int n);

      abstract Config build();
    }
  }

  private static final List<KeyKind> KINDS = List.of(KeyKind.values());

  private final transient PCollection<Impression> impressions;
  private final transient PCollection<LabelCorrection> corrections;
  private final Config config;

  private FeatureSnapshots(
      PCollection<Impression> impressions,
      PCollection<LabelCorrection> corrections,
      Config config) {
    this.impressions = impressions;
    this.corrections = corrections;
    this.config = config;
  }

  private FeatureSnapshots with(Config config) {
    return new FeatureSnapshots(impressions, corrections, config);
  }

  /** Batch snapshots of every key as of each of the given times. */
  public static FeatureSnapshots asOf(Instant... times) {
    checkArgument(times.length > 0, "give at least one time, got %s", times.length);
    List<Instant> sorted = new ArrayList<>(Arrays.asList(times));
    sorted.sort(Comparator.naturalOrder());
    return new FeatureSnapshots(null, null, Config.defaults().times(sorted).build());
  }

  /** Streaming snapshots of the updated keys at every tick (default period 1 min). */
  public static FeatureSnapshots current() {
    return new FeatureSnapshots(
        null, null, Config.defaults().period(Duration.standardMinutes(1)).build());
  }

  /** The impressions to count (required). */
  public FeatureSnapshots from(PCollection<Impression> impressions) {
    checkArgument(impressions != null, "impressions must be set, got %s", impressions);
    return new FeatureSnapshots(impressions, corrections, config);
  }

  /**
   * The streaming labeler's corrections, so that a snapshot counts what they change: a late click
   * (LATE_OUTCOME) at its time, and a click moved earlier (EARLIER_OUTCOME) taken back at its old
   * time and counted at its new one. Without them a key keeps the value computed from the emitted
   * rows alone. Only corrections that carry their keys count.
   */
  public FeatureSnapshots withCorrections(PCollection<LabelCorrection> corrections) {
    checkArgument(corrections != null, "corrections must be set, got %s", corrections);
    return new FeatureSnapshots(impressions, corrections, config);
  }

  /** The tick period of {@link #current()} snapshots. */
  public FeatureSnapshots withPeriod(Duration period) {
    checkArgument(config.times() == null, "withPeriod applies to current() only, got asOf");
    checkArgument(
        period != null && period.getMillis() > 0, "period must be positive, got %s", period);
    return with(config.toBuilder().period(period).build());
  }

  /** The sliding window of the counts and CTR (default 24 h). */
  public FeatureSnapshots withWindow(Duration window) {
    return with(config.toBuilder().params(config.params().withWindow(window)).build());
  }

  /** The half-life of the decayed counts (default 24 h). */
  public FeatureSnapshots withHalfLife(Duration halfLife) {
    return with(config.toBuilder().params(config.params().withHalfLife(halfLife)).build());
  }

  /** Decayed CTR = (clicks + α) / (impressions + α + β); default α = 1, β = 49. */
  public FeatureSnapshots withSmoothing(double alpha, double beta) {
    return with(config.toBuilder().params(config.params().withSmoothing(alpha, beta)).build());
  }

  /** The number of hash buckets (Beam keys), default 64. */
  public FeatureSnapshots withBuckets(int buckets) {
    checkArgument(buckets > 0, "buckets must be positive, got %s", buckets);
    return with(config.toBuilder().buckets(buckets).build());
  }

  @Override
  public PCollection<FeatureSnapshot> expand(PCollection<TrainingExample> examples) {
    checkArgument(impressions != null, "call from(impressions) first");
    FeatureParams params = config.params();
    int buckets = config.buckets();
    List<Instant> times = config.times();
    Duration period = config.period();
    KvCoder<Integer, AsOfElement<String>> coder =
        BucketedAsOf.itemCoder(new CountFeaturesLookup(KeyKind.USER, params));
    PCollection<KV<Integer, AsOfElement<String>>> events =
        PCollectionList.of(
                BucketedAsOf.globalEarliest("ImpressionsGlobal", impressions)
                    .apply(
                        "ImpressionEvents",
                        ParDo.of(new AsOfInputs.ImpressionEventsFn(KINDS, true, buckets)))
                    .setCoder(coder))
            .and(
                RowKey.of("RowKeys", BucketedAsOf.globalEarliest("ExamplesGlobal", examples))
                    .apply(
                        "ClickEvents", ParDo.of(new AsOfInputs.ClickEventsFn(KINDS, true, buckets)))
                    .setCoder(coder))
            .and(
                corrections == null
                    ? List.of()
                    : List.of(
                        BucketedAsOf.globalEarliest("CorrectionsGlobal", corrections)
                            .apply(
                                "CorrectionEvents",
                                ParDo.of(new AsOfInputs.CorrectionEventsFn(KINDS, true, buckets)))
                            .setCoder(coder)))
            .apply("Events", Flatten.pCollections());
    PCollection<FeatureSnapshot> out;
    if (events.isBounded() == PCollection.IsBounded.BOUNDED) {
      checkArgument(times != null, "bounded input needs asOf(times)");
      out =
          BucketedAsOf.globalEarliest("EventsGlobal", events)
              .apply("GroupByBucket", GroupByKey.create())
              .apply("SweepBucket", ParDo.of(new AsOfFn(params, times)));
    } else {
      checkArgument(period != null, "unbounded input needs current()");
      out = events.apply("TickBucket", ParDo.of(new TickSnapshotsFn(params, period.getMillis())));
    }
    return out.setCoder(AvroCoder.specific(FeatureSnapshot.class));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    if (config.period() != null) {
      builder.add(DisplayData.item("period", config.period()));
    }
    if (config.times() != null) {
      builder.add(DisplayData.item("asOf", config.times().toString()));
    }
    config.params().populateDisplayData(builder);
    builder
        .add(DisplayData.item("buckets", config.buckets()))
        .add(DisplayData.item("corrections", corrections != null));
  }

  static FeatureSnapshot snapshot(String entity, long asOf, FeatureValues v) {
    int bar = entity.indexOf('|');
    return FeatureSnapshot.newBuilder()
        .setKeyKind(entity.substring(0, bar))
        .setKey(entity.substring(bar + 1))
        .setAsOf(java.time.Instant.ofEpochMilli(asOf))
        .setImpressions24h(v.impressions24h)
        .setClicks24h(v.clicks24h)
        .setCtr24h(v.ctr24h)
        .setDecayedImpressions(v.decayedImpressions)
        .setDecayedClicks(v.decayedClicks)
        .setDecayedCtr(v.decayedCtr)
        .build();
  }

  /** Bounded: per key, a sweep over its events and the requested times. */
  static final class AsOfFn
      extends DoFn<KV<Integer, Iterable<AsOfElement<String>>>, FeatureSnapshot> {
    private final FeatureParams params;
    private final List<Instant> times;

    AsOfFn(FeatureParams params, List<Instant> times) {
      this.params = params;
      this.times = times;
    }

    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<AsOfElement<String>>> bucket,
        @Timestamp Instant groupTs,
        OutputReceiver<FeatureSnapshot> out) {
      for (Map.Entry<String, List<AsOfElement<String>>> e :
          BucketedAsOf.byEntity(bucket.getValue()).entrySet()) {
        List<AsOfElement<String>> events = e.getValue();
        events.sort(Comparator.comparingLong(i -> i.time));
        EntityHistory h = new EntityHistory(params.lambdaPerMs);
        int next = 0;
        for (Instant asOf : times) {
          long t = asOf.getMillis();
          while (next < events.size() && events.get(next).time <= t) {
            AsOfElement<String> i = events.get(next++);
            h.add(i.time, i.event != null, i.event);
          }
          h.compact(t - params.windowMillis);
          if (h.hasEventBefore(t, true)) {
            FeatureSnapshot s = snapshot(e.getKey(), t, h.valuesAt(t, true, params));
            out.outputWithTimestamp(s, asOf.isBefore(groupTs) ? groupTs : asOf);
          }
        }
      }
    }
  }
}
