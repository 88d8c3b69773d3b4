package io.ctrbeam.features;

import io.ctrbeam.common.Buckets;
import io.ctrbeam.common.DueIndex;
import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.schema.FeatureSnapshot;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Per-key {@link FeatureSnapshot}s for serving: the features of a key as of t over events at or
 * before t (window (t − w, t], SPEC §3), from impressions and the clicks of positive examples.
 *
 * <ul>
 *   <li>{@link #asOf(Instant...)} (bounded input): one snapshot per key with any event at or
 *       before each given time;
 *   <li>{@link #current()} (unbounded input): every {@code period} of event time (ticks at
 *       multiples of the period), the snapshot as of the tick of each key that got an event since
 *       its previous tick, emitted once the watermark passes the tick.
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
  private final PCollection<Impression> impressions;
  private final PCollection<LabelCorrection> corrections;
  private final List<Instant> times;
  private final Duration period;
  private final Duration window;
  private final Duration halfLife;
  private final double alpha;
  private final double beta;
  private final int buckets;

  private FeatureSnapshots(
      PCollection<Impression> impressions,
      PCollection<LabelCorrection> corrections,
      List<Instant> times,
      Duration period,
      Duration window,
      Duration halfLife,
      double alpha,
      double beta,
      int buckets) {
    this.impressions = impressions;
    this.corrections = corrections;
    this.times = times;
    this.period = period;
    this.window = window;
    this.halfLife = halfLife;
    this.alpha = alpha;
    this.beta = beta;
    this.buckets = buckets;
  }

  /** Batch snapshots of every key as of each of the given times. */
  public static FeatureSnapshots asOf(Instant... times) {
    checkArgument(times.length > 0, "give at least one time");
    List<Instant> sorted = new ArrayList<>(Arrays.asList(times));
    sorted.sort(Comparator.naturalOrder());
    return new FeatureSnapshots(
        null,
        null,
        sorted,
        null,
        Duration.standardHours(24),
        Duration.standardHours(24),
        FeatureParams.DEFAULT_ALPHA,
        FeatureParams.DEFAULT_BETA,
        64);
  }

  /** Streaming snapshots of the updated keys at every tick (default period 1 min). */
  public static FeatureSnapshots current() {
    return new FeatureSnapshots(
        null,
        null,
        null,
        Duration.standardMinutes(1),
        Duration.standardHours(24),
        Duration.standardHours(24),
        FeatureParams.DEFAULT_ALPHA,
        FeatureParams.DEFAULT_BETA,
        64);
  }

  /** The impressions to count (required). */
  public FeatureSnapshots from(PCollection<Impression> impressions) {
    checkArgument(impressions != null, "impressions");
    return new FeatureSnapshots(
        impressions, corrections, times, period, window, halfLife, alpha, beta, buckets);
  }

  /**
   * The streaming labeler's corrections, so that a snapshot counts what they change: a late click
   * (LATE_OUTCOME) at its time, and a click moved earlier (EARLIER_OUTCOME) taken back at its old
   * time and counted at its new one. Without them a key keeps the value computed from the emitted
   * rows alone. Only corrections that carry their keys count.
   */
  public FeatureSnapshots withCorrections(PCollection<LabelCorrection> corrections) {
    checkArgument(corrections != null, "corrections");
    return new FeatureSnapshots(
        impressions, corrections, times, period, window, halfLife, alpha, beta, buckets);
  }

  /** The tick period of {@link #current()} snapshots. */
  public FeatureSnapshots withPeriod(Duration period) {
    checkArgument(times == null, "withPeriod applies to current() only");
    checkArgument(period != null && period.getMillis() > 0, "period must be positive");
    return new FeatureSnapshots(
        impressions, corrections, times, period, window, halfLife, alpha, beta, buckets);
  }

  /** The sliding window of the counts and CTR (default 24 h). */
  public FeatureSnapshots withWindow(Duration window) {
    checkArgument(window != null && window.getMillis() > 0, "window must be positive");
    return new FeatureSnapshots(
        impressions, corrections, times, period, window, halfLife, alpha, beta, buckets);
  }

  /** The half-life of the decayed counts (default 24 h). */
  public FeatureSnapshots withHalfLife(Duration halfLife) {
    checkArgument(halfLife != null && halfLife.getMillis() > 0, "half-life must be positive");
    return new FeatureSnapshots(
        impressions, corrections, times, period, window, halfLife, alpha, beta, buckets);
  }

  /** Decayed CTR = (clicks + α) / (impressions + α + β); default α = 1, β = 49. */
  public FeatureSnapshots withSmoothing(double alpha, double beta) {
    checkArgument(alpha >= 0 && beta >= 0 && alpha + beta > 0, "need α, β >= 0 and α + β > 0");
    return new FeatureSnapshots(
        impressions, corrections, times, period, window, halfLife, alpha, beta, buckets);
  }

  /** The number of hash buckets (Beam keys), default 64. */
  public FeatureSnapshots withBuckets(int buckets) {
    checkArgument(buckets > 0, "buckets must be positive");
    return new FeatureSnapshots(
        impressions, corrections, times, period, window, halfLife, alpha, beta, buckets);
  }

  @Override
  public PCollection<FeatureSnapshot> expand(PCollection<TrainingExample> examples) {
    checkArgument(impressions != null, "call from(impressions) first");
    FeatureParams params = new FeatureParams(window.getMillis(), halfLife.getMillis(), alpha, beta);
    KvCoder<Integer, AsOfElement<String>> coder =
        BucketedAsOf.itemCoder(new CountFeaturesLookup(KeyKind.USER, params));
    PCollection<KV<Integer, AsOfElement<String>>> events =
        PCollectionList.of(
                BucketedAsOf.globalEarliest("ImpressionsGlobal", impressions)
                    .apply("ImpressionEvents", ParDo.of(new ImpressionEventsFn(buckets)))
                    .setCoder(coder))
            .and(
                BucketedAsOf.globalEarliest("ExamplesGlobal", examples)
                    .apply("ClickEvents", ParDo.of(new ClickEventsFn(buckets)))
                    .setCoder(coder))
            .and(
                corrections == null
                    ? List.of()
                    : List.of(
                        BucketedAsOf.globalEarliest("CorrectionsGlobal", corrections)
                            .apply("CorrectionEvents", ParDo.of(new CorrectionEventsFn(buckets)))
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
      out = events.apply("TickBucket", ParDo.of(new TickFn(params, period.getMillis())));
    }
    return out.setCoder(AvroCoder.specific(FeatureSnapshot.class));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    if (period != null) {
      builder.add(DisplayData.item("period", period));
    }
    if (times != null) {
      builder.add(DisplayData.item("asOf", times.toString()));
    }
    builder
        .add(DisplayData.item("window", window))
        .add(DisplayData.item("halfLife", halfLife))
        .add(DisplayData.item("alpha", alpha))
        .add(DisplayData.item("beta", beta))
        .add(DisplayData.item("buckets", buckets));
  }

  /** The entity of a (kind, key): {@code kind|key}; kind labels hold no '|'. */
  static String entity(KeyKind kind, String key) {
    return kind.label + "|" + key;
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

  /** One event per key kind of each impression. */
  static final class ImpressionEventsFn extends DoFn<Impression, KV<Integer, AsOfElement<String>>> {
    private final int buckets;

    ImpressionEventsFn(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(@Element Impression i, OutputReceiver<KV<Integer, AsOfElement<String>>> out) {
      for (KeyKind kind : KeyKind.values()) {
        String key = kind.keyOf(i);
        if (key != null) {
          String entity = entity(kind, key);
          out.output(
              KV.of(
                  Buckets.of(entity, buckets),
                  AsOfElement.<String>event(entity, i.getEventTime().toEpochMilli(), null)));
        }
      }
    }
  }

  /** One click event per key kind of each positive example, at its click_time. */
  static final class ClickEventsFn
      extends DoFn<TrainingExample, KV<Integer, AsOfElement<String>>> {
    private final int buckets;

    ClickEventsFn(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(
        @Element TrainingExample e, OutputReceiver<KV<Integer, AsOfElement<String>>> out) {
      if (e.getClicked() != 1 || e.getClickTime() == null) {
        return;
      }
      for (KeyKind kind : KeyKind.values()) {
        String key = kind.keyOf(e);
        if (key != null) {
          String entity = entity(kind, key);
          out.output(
              KV.of(
                  Buckets.of(entity, buckets),
                  AsOfElement.event(entity, e.getClickTime().toEpochMilli(), e.getImpressionId())));
        }
      }
    }
  }

  /**
   * The click events of a clicked-label correction that carries its keys, per key kind: a late
   * click at its time; a click moved earlier, taken back at its old time ({@link
   * EntityHistory#retraction}) and counted at its new one, under an id of its own.
   */
  static final class CorrectionEventsFn
      extends DoFn<LabelCorrection, KV<Integer, AsOfElement<String>>> {
    private final int buckets;

    CorrectionEventsFn(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(
        @Element LabelCorrection c, OutputReceiver<KV<Integer, AsOfElement<String>>> out) {
      if (!"clicked".equals(c.getLabel()) || c.getNewLabel() != 1) {
        return;
      }
      String id = c.getImpressionId();
      long at = c.getCorrectionTime().toEpochMilli();
      Long before =
          c.getPreviousOutcomeTime() == null ? null : c.getPreviousOutcomeTime().toEpochMilli();
      for (KeyKind kind : KeyKind.values()) {
        String key =
            kind.keyOf(c.getUserId(), c.getAdId(), c.getAdvertiserId(), c.getAdCategory());
        if (key == null) {
          continue;
        }
        String entity = entity(kind, key);
        int bucket = Buckets.of(entity, buckets);
        if (before == null) {
          out.output(KV.of(bucket, AsOfElement.event(entity, at, id)));
        } else {
          out.output(
              KV.of(
                  bucket,
                  AsOfElement.event(
                      entity, before, EntityHistory.retraction(id + "@" + before))));
          out.output(KV.of(bucket, AsOfElement.event(entity, at, id + "@" + at)));
        }
      }
    }
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

  /**
   * Unbounded: per bucket, the history of each key in an {@link EntityStore} (events in time
   * slices, folded once older than the window before the last tick, removed when idle past window
   * + period), and the keys to snapshot filed by tick in a {@link DueIndex}, with one timer per
   * tick that has keys: a tick's firing reads only its own keys, never the bucket's. Metric:
   * {@code dirty_keys_per_tick}.
   */
  static final class TickFn extends DoFn<KV<Integer, AsOfElement<String>>, FeatureSnapshot> {
    static final String DIRTY_HEADS = "dirtyHeads";
    static final String DIRTY_CHUNKS = "dirtyChunks";
    /** The (tick, key) pairs filed, so that a key is filed once per tick. */
    static final String DIRTY_MARKS = "dirtyMarks";
    private static final String LAST_TICK = "lastTick";
    static final String TICK = "tick";
    private static final Distribution KEYS_PER_TICK =
        Metrics.distribution(EntityStore.NAMESPACE, "dirty_keys_per_tick");

    private final FeatureParams params;
    private final long periodMillis;
    private final DueIndex<String> dirty;
    private final EntityStore<String, EntityHistory> store;

    @StateId(EntityStore.ENTRIES)
    private final StateSpec<MapState<String, EntityStore.Entry<EntityHistory>>> entriesSpec;

    @StateId(EntityStore.SLICES)
    private final StateSpec<MapState<String, List<KV<Long, String>>>> slicesSpec;

    @StateId(EntityStore.GC_HEADS)
    private final StateSpec<MapState<Long, KV<Long, Long>>> gcHeadsSpec;

    @StateId(EntityStore.GC_CHUNKS)
    private final StateSpec<MapState<String, List<String>>> gcChunksSpec;

    @StateId(EntityStore.LIVE)
    private final StateSpec<ValueState<Long>> liveSpec = EntityStore.longSpec();

    /** One event-time timer per GC grid step that holds entities. */
    @TimerFamily(EntityStore.GC)
    private final TimerSpec gcSpec = DueIndex.timerSpec();

    @StateId(DIRTY_HEADS)
    private final StateSpec<MapState<Long, KV<Long, Long>>> dirtyHeadsSpec;

    @StateId(DIRTY_CHUNKS)
    private final StateSpec<MapState<String, List<String>>> dirtyChunksSpec;

    @StateId(DIRTY_MARKS)
    private final StateSpec<MapState<String, Boolean>> dirtyMarksSpec =
        StateSpecs.map(StringUtf8Coder.of(), BooleanCoder.of());

    @StateId(LAST_TICK)
    private final StateSpec<ValueState<Long>> lastTickSpec = StateSpecs.value(VarLongCoder.of());

    @TimerFamily(TICK)
    private final TimerSpec tickSpec = DueIndex.timerSpec();

    TickFn(FeatureParams params, long periodMillis) {
      // A snapshot is as of a tick at or after the watermark: once the watermark is window +
      // period past a key's last event, no later snapshot's window holds any of its events.
      this.params = params;
      CountFeaturesLookup lookup = new CountFeaturesLookup(KeyKind.USER, params);
      this.store =
          new EntityStore<>(lookup, lookup.sliceMillis(), params.windowMillis + periodMillis);
      this.entriesSpec = store.entriesSpec();
      this.slicesSpec = store.slicesSpec();
      this.gcHeadsSpec = store.gcHeadsSpec();
      this.gcChunksSpec = store.gcChunksSpec();
      this.periodMillis = periodMillis;
      this.dirty = DueIndex.of(StringUtf8Coder.of(), periodMillis, KEYS_PER_TICK);
      this.dirtyHeadsSpec = dirty.headsSpec();
      this.dirtyChunksSpec = dirty.chunksSpec();
    }

    static String mark(long tick, String entity) {
      return tick + "|" + entity;
    }

    /** The first tick at or after t. */
    long ceilTick(long t) {
      long floor = Math.floorDiv(t, periodMillis) * periodMillis;
      return floor == t ? t : floor + periodMillis;
    }

    @ProcessElement
    public void process(
        @Element KV<Integer, AsOfElement<String>> element,
        @Timestamp Instant ts,
        @StateId(EntityStore.ENTRIES) MapState<String, EntityStore.Entry<EntityHistory>> entries,
        @StateId(EntityStore.SLICES) MapState<String, List<KV<Long, String>>> slices,
        @StateId(EntityStore.GC_HEADS) MapState<Long, KV<Long, Long>> gcHeads,
        @StateId(EntityStore.GC_CHUNKS) MapState<String, List<String>> gcChunks,
        @StateId(EntityStore.LIVE) ValueState<Long> live,
        @TimerFamily(EntityStore.GC) TimerMap gc,
        @StateId(DIRTY_HEADS) MapState<Long, KV<Long, Long>> dirtyHeads,
        @StateId(DIRTY_CHUNKS) MapState<String, List<String>> dirtyChunks,
        @StateId(DIRTY_MARKS) MapState<String, Boolean> dirtyMarks,
        @StateId(LAST_TICK) ValueState<Long> lastTick,
        @TimerFamily(TICK) TimerMap ticks) {
      AsOfElement<String> i = element.getValue();
      Long last = lastTick.read();
      long tick = ceilTick(Math.max(i.time, ts.getMillis()));
      long foldTo = Long.MIN_VALUE;
      if (last != null) {
        foldTo = last - params.windowMillis;
        tick = Math.max(tick, last + periodMillis);
      }
      store.add(
          new EntityStore.Bucket<>(entries, slices, gcHeads, gcChunks, live, gc, ts.getMillis()),
          i.entity, i.time, i.event, foldTo);
      String mark = mark(tick, i.entity);
      if (dirtyMarks.get(mark).read() == null) {
        dirty.add(new DueIndex.Cells<>(dirtyHeads, dirtyChunks, ticks), tick, i.entity);
        dirtyMarks.put(mark, true);
      }
    }

    @OnTimerFamily(TICK)
    public void onTick(
        @TimerId String timerId,
        OnTimerContext c,
        @StateId(EntityStore.ENTRIES) MapState<String, EntityStore.Entry<EntityHistory>> entries,
        @StateId(EntityStore.SLICES) MapState<String, List<KV<Long, String>>> slices,
        @StateId(EntityStore.GC_HEADS) MapState<Long, KV<Long, Long>> gcHeads,
        @StateId(EntityStore.GC_CHUNKS) MapState<String, List<String>> gcChunks,
        @StateId(EntityStore.LIVE) ValueState<Long> live,
        @TimerFamily(EntityStore.GC) TimerMap gc,
        @StateId(DIRTY_HEADS) MapState<Long, KV<Long, Long>> dirtyHeads,
        @StateId(DIRTY_CHUNKS) MapState<String, List<String>> dirtyChunks,
        @StateId(DIRTY_MARKS) MapState<String, Boolean> dirtyMarks,
        @StateId(LAST_TICK) ValueState<Long> lastTick,
        @TimerFamily(TICK) TimerMap ticks,
        OutputReceiver<FeatureSnapshot> out) {
      long tick = c.fireTimestamp().getMillis();
      List<String> due = dirty.take(new DueIndex.Cells<>(dirtyHeads, dirtyChunks, ticks), timerId);
      EntityStore.Bucket<String, EntityHistory> b =
          new EntityStore.Bucket<>(entries, slices, gcHeads, gcChunks, live, gc, EntityStore.floor(c));
      for (String entity : due) {
        dirtyMarks.remove(mark(tick, entity));
        EntityHistory h = store.read(b, entity);
        if (h != null) {
          out.outputWithTimestamp(
              snapshot(entity, tick, h.valuesAt(tick, true, params)), new Instant(tick));
          store.fold(b, entity, tick - params.windowMillis);
        }
      }
      Long last = lastTick.read();
      lastTick.write(last == null ? tick : Math.max(last, tick));
    }

    @OnTimerFamily(EntityStore.GC)
    public void onGc(
        @TimerId String timerId,
        OnTimerContext c,
        @StateId(EntityStore.ENTRIES) MapState<String, EntityStore.Entry<EntityHistory>> entries,
        @StateId(EntityStore.SLICES) MapState<String, List<KV<Long, String>>> slices,
        @StateId(EntityStore.GC_HEADS) MapState<Long, KV<Long, Long>> gcHeads,
        @StateId(EntityStore.GC_CHUNKS) MapState<String, List<String>> gcChunks,
        @StateId(EntityStore.LIVE) ValueState<Long> live,
        @TimerFamily(EntityStore.GC) TimerMap gc) {
      store.onGc(
          new EntityStore.Bucket<>(entries, slices, gcHeads, gcChunks, live, gc, EntityStore.floor(c)),
          timerId,
          c.fireTimestamp().getMillis());
    }
  }
}
