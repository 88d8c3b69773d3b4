package io.ctrbeam.features;

import io.ctrbeam.common.DueIndex;
import io.ctrbeam.schema.FeatureSnapshot;
import java.util.List;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * Unbounded: per bucket, the history of each key in an {@link EntityStore} (events in time slices,
 * folded once older than the window before the last tick, removed when idle past window + period),
 * and the keys to snapshot filed by tick in a {@link DueIndex}, with one timer per tick that has
 * keys: a tick's firing reads only its own keys, never the bucket's. Metric: {@code
 * dirty_keys_per_tick}.
 */
final class TickSnapshotsFn extends DoFn<KV<Integer, AsOfElement<String>>, FeatureSnapshot> {
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
  private final StateSpec<MapState<String, EntityEntry<EntityHistory>>> entriesSpec;

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

  TickSnapshotsFn(FeatureParams params, long periodMillis) {
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
      @StateId(EntityStore.ENTRIES) MapState<String, EntityEntry<EntityHistory>> entries,
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
        i.entity,
        i.time,
        i.event,
        foldTo);
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
      @StateId(EntityStore.ENTRIES) MapState<String, EntityEntry<EntityHistory>> entries,
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
        new EntityStore.Bucket<>(
            entries, slices, gcHeads, gcChunks, live, gc, EntityStore.floor(c));
    for (String entity : due) {
      dirtyMarks.remove(mark(tick, entity));
      EntityHistory h = store.read(b, entity);
      if (h != null) {
        out.outputWithTimestamp(
            FeatureSnapshots.snapshot(entity, tick, h.valuesAt(tick, true, params)),
            new Instant(tick));
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
      @StateId(EntityStore.ENTRIES) MapState<String, EntityEntry<EntityHistory>> entries,
      @StateId(EntityStore.SLICES) MapState<String, List<KV<Long, String>>> slices,
      @StateId(EntityStore.GC_HEADS) MapState<Long, KV<Long, Long>> gcHeads,
      @StateId(EntityStore.GC_CHUNKS) MapState<String, List<String>> gcChunks,
      @StateId(EntityStore.LIVE) ValueState<Long> live,
      @TimerFamily(EntityStore.GC) TimerMap gc) {
    store.onGc(
        new EntityStore.Bucket<>(
            entries, slices, gcHeads, gcChunks, live, gc, EntityStore.floor(c)),
        timerId,
        c.fireTimestamp().getMillis());
  }
}
