package io.ctrbeam.features;

import io.ctrbeam.common.DueIndex;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;

/**
 * The streaming state of the entities of one hash bucket, bounded by what is in flight.
 *
 * <ul>
 *   <li>Per entity, one small {@link EntityEntry}: the events at or before its horizon folded into
 *       the lookup's state (for features: decayed base sums, no events), and the range of its
 *       slices.
 *   <li>The events after the horizon, in time slices ({@code sliceMillis} wide) of one MapState
 *       entry each: an event rewrites its slice and the entry, never the whole history.
 *   <li>Whole slices at or before a fold time are folded into the entry and removed.
 *   <li>An entity with no event for {@code idleExpiryMillis} of event time (rounded up to the GC
 *       grid, {@value #GC_SLICES} slices) loses its window state (slices, kept events); what the
 *       lookup says outlives it (for features: the decayed sums, a fixed few dozen bytes) stays as
 *       a residue until {@link AsOfLookup#residueExpiry}, then goes too. A {@link DueIndex} files
 *       each entity under its GC grid step, with one timer per step: a firing reads only the
 *       entities of its step.
 * </ul>
 *
 * Metrics (namespace {@value #NAMESPACE}): counters {@code state_entities} (entities with window
 * state), {@code state_residues} and {@code state_slices} (live entries: + on create, − on removal)
 * and the distributions {@code bucket_state_entities} (a bucket's entities with window state after
 * each change) and {@code gc_entries_per_firing} (the entities a GC firing read).
 */
final class EntityStore<E, S> implements Serializable {
  static final String NAMESPACE = "features";
  static final String ENTRIES = "storeEntries";
  static final String SLICES = "storeSlices";
  static final String GC_HEADS = "storeGcHeads";
  static final String GC_CHUNKS = "storeGcChunks";
  static final String LIVE = "storeLive";
  static final String GC = "storeGc";
  static final int GC_SLICES = 8;

  /** No idle expiry: entities stay (their state is still bounded by folding). */
  static final long NEVER = Long.MAX_VALUE;

  private static final Counter ENTITIES = Metrics.counter(NAMESPACE, "state_entities");
  private static final Counter SLICE_COUNT = Metrics.counter(NAMESPACE, "state_slices");
  private static final Counter RESIDUES = Metrics.counter(NAMESPACE, "state_residues");
  private static final Distribution BUCKET_ENTITIES =
      Metrics.distribution(NAMESPACE, "bucket_state_entities");
  private static final Distribution GC_PER_FIRING =
      Metrics.distribution(NAMESPACE, "gc_entries_per_firing");

  private final AsOfLookup<E, S, ?> lookup;
  private final long sliceMillis;
  private final long idleExpiryMillis;
  private final DueIndex<String> gcIndex;

  EntityStore(AsOfLookup<E, S, ?> lookup, long sliceMillis, long idleExpiryMillis) {
    this.lookup = lookup;
    this.sliceMillis = sliceMillis;
    this.idleExpiryMillis = idleExpiryMillis;
    this.gcIndex = DueIndex.of(StringUtf8Coder.of(), GC_SLICES * sliceMillis, GC_PER_FIRING);
  }

  /** Slices of 1/48 of the window (30 min for 24 h), at least 1 s. */
  static long sliceFor(long windowMillis) {
    return Math.max(1000, windowMillis / 48);
  }

  StateSpec<MapState<String, EntityEntry<S>>> entriesSpec() {
    return StateSpecs.map(StringUtf8Coder.of(), new EntityEntry.EntryCoder<>(lookup.stateCoder()));
  }

  StateSpec<MapState<String, List<KV<Long, E>>>> slicesSpec() {
    return StateSpecs.map(StringUtf8Coder.of(), sliceCoder());
  }

  StateSpec<MapState<Long, KV<Long, Long>>> gcHeadsSpec() {
    return gcIndex.headsSpec();
  }

  StateSpec<MapState<String, List<String>>> gcChunksSpec() {
    return gcIndex.chunksSpec();
  }

  static StateSpec<ValueState<Long>> longSpec() {
    return StateSpecs.value(VarLongCoder.of());
  }

  Coder<List<KV<Long, E>>> sliceCoder() {
    return ListCoder.of(KvCoder.of(VarLongCoder.of(), NullableCoder.of(lookup.eventCoder())));
  }

  /**
   * The state handles of one bucket for one call, and the earliest time a GC timer set in it may
   * hold the watermark at (the element's timestamp, or the firing timer's output timestamp).
   */
  static final class Bucket<E, S> {
    final MapState<String, EntityEntry<S>> entries;
    final MapState<String, List<KV<Long, E>>> slices;
    final DueIndex.Cells<String> gc;
    final ValueState<Long> live;
    final long floor;

    Bucket(
        MapState<String, EntityEntry<S>> entries,
        MapState<String, List<KV<Long, E>>> slices,
        MapState<Long, KV<Long, Long>> gcHeads,
        MapState<String, List<String>> gcChunks,
        ValueState<Long> live,
        TimerMap gcTimers,
        long floor) {
      this.entries = entries;
      this.slices = slices;
      this.gc = new DueIndex.Cells<>(gcHeads, gcChunks, gcTimers);
      this.live = live;
      this.floor = floor;
    }
  }

  /**
   * The floor of a bucket in a timer firing: a timer set there may hold the watermark neither
   * before the firing's time nor before its own hold.
   */
  static long floor(DoFn<?, ?>.OnTimerContext c) {
    return Math.max(c.fireTimestamp().getMillis(), c.timestamp().getMillis());
  }

  /**
   * Adds an event of an entity, then folds the entity's whole slices at or before {@code foldTo}
   * (Long.MIN_VALUE: none). An event at or before the entity's horizon goes into the folded state.
   */
  void add(Bucket<E, S> b, String entity, long time, E event, long foldTo) {
    EntityEntry<S> e = b.entries.get(entity).read();
    if (e == null || e.residue) {
      if (e == null) {
        e = new EntityEntry<>(lookup.newState());
      } else {
        e.residue = false;
        e.gcAt = Long.MIN_VALUE;
        RESIDUES.dec();
      }
      ENTITIES.inc();
      updateLive(b, 1);
    }
    if (time <= e.horizon) {
      e.folded = lookup.add(e.folded, time, event);
    } else {
      long s = Math.floorDiv(time, sliceMillis);
      String key = sliceKey(entity, s);
      List<KV<Long, E>> old = b.slices.get(key).read();
      List<KV<Long, E>> events = old == null ? new ArrayList<>() : new ArrayList<>(old);
      if (old == null) {
        SLICE_COUNT.inc();
      }
      events.add(KV.of(time, event));
      b.slices.put(key, events);
      if (e.hasSlices()) {
        e.firstSlice = Math.min(e.firstSlice, s);
        e.lastSlice = Math.max(e.lastSlice, s);
      } else {
        e.firstSlice = s;
        e.lastSlice = s;
      }
    }
    e.lastEvent = Math.max(e.lastEvent, time);
    fold(b, entity, e, foldTo);
    scheduleGc(b, entity, e);
    b.entries.put(entity, e);
  }

  /** The entity's full state (folded plus every kept event), or null when it has none. */
  S read(Bucket<E, S> b, String entity) {
    EntityEntry<S> e = b.entries.get(entity).read();
    if (e == null) {
      return null;
    }
    S s = copy(e.folded);
    for (KV<Long, E> ev : events(b, entity, e, e.lastSlice, false)) {
      s = lookup.add(s, ev.getKey(), ev.getValue());
    }
    return s;
  }

  /** Folds the entity's whole slices at or before {@code foldTo} into its entry and writes it. */
  void fold(Bucket<E, S> b, String entity, long foldTo) {
    EntityEntry<S> e = b.entries.get(entity).read();
    if (e != null && fold(b, entity, e, foldTo)) {
      b.entries.put(entity, e);
    }
  }

  private boolean fold(Bucket<E, S> b, String entity, EntityEntry<S> e, long foldTo) {
    if (foldTo == Long.MIN_VALUE || !e.hasSlices()) {
      return false;
    }
    long last = Math.floorDiv(foldTo + 1, sliceMillis) - 1;
    if (e.firstSlice > last) {
      return false;
    }
    S s = e.folded;
    for (KV<Long, E> ev : events(b, entity, e, Math.min(last, e.lastSlice), true)) {
      s = lookup.add(s, ev.getKey(), ev.getValue());
    }
    long horizon = (last + 1) * sliceMillis - 1;
    e.folded = lookup.compact(s, horizon);
    e.horizon = horizon;
    e.firstSlice = last + 1;
    return true;
  }

  /** The events of slices firstSlice..upTo in time order; {@code remove} drops those slices. */
  private List<KV<Long, E>> events(
      Bucket<E, S> b, String entity, EntityEntry<S> e, long upTo, boolean remove) {
    List<KV<Long, E>> out = new ArrayList<>();
    if (!e.hasSlices()) {
      return out;
    }
    List<ReadableState<List<KV<Long, E>>>> reads = new ArrayList<>();
    for (long s = e.firstSlice; s <= upTo; s++) {
      reads.add(b.slices.get(sliceKey(entity, s)).readLater());
    }
    for (int i = 0; i < reads.size(); i++) {
      List<KV<Long, E>> events = reads.get(i).read();
      if (events != null) {
        out.addAll(events);
        if (remove) {
          b.slices.remove(sliceKey(entity, e.firstSlice + i));
          SLICE_COUNT.dec();
        }
      }
    }
    out.sort(Comparator.comparingLong(KV::getKey));
    return out;
  }

  /** Registers the entity's expiry (on the GC grid) once per grid step it moves. */
  private void scheduleGc(Bucket<E, S> b, String entity, EntityEntry<S> e) {
    if (idleExpiryMillis == NEVER) {
      return;
    }
    long due = gcTime(e.lastEvent + idleExpiryMillis);
    if (due <= e.gcAt) {
      return;
    }
    e.gcAt = due;
    register(b, entity, due);
  }

  /**
   * Files the entity in the GC index under its grid step (due is on the grid), whose timer fires at
   * the step's time, and not before the bucket's floor.
   */
  private void register(Bucket<E, S> b, String entity, long due) {
    gcIndex.add(b.gc, Math.max(due, b.floor), entity);
  }

  /**
   * GC timer of one grid step: every entity filed there and still idle at {@code now} loses its
   * window state (keeping the lookup's residue, if any, until it expires), and every residue due
   * goes. Only the entities filed under this step are read.
   */
  void onGc(Bucket<E, S> b, String timerId, long now) {
    for (String entity : gcIndex.take(b.gc, timerId)) {
      EntityEntry<S> e = b.entries.get(entity).read();
      if (e == null || e.gcAt > now) {
        continue;
      }
      if (e.residue) {
        b.entries.remove(entity);
        RESIDUES.dec();
        continue;
      }
      S full = read(b, entity);
      removeSlices(b, entity, e);
      ENTITIES.dec();
      updateLive(b, -1);
      S rest = lookup.residue(lookup.compact(full, e.lastEvent));
      if (rest == null) {
        b.entries.remove(entity);
        continue;
      }
      e.folded = rest;
      e.horizon = Math.max(e.horizon, e.lastEvent);
      e.residue = true;
      RESIDUES.inc();
      // On the grid, and after now.
      e.gcAt = Math.max(now + 1, gcTime(lookup.residueExpiry(rest)));
      b.entries.put(entity, e);
      register(b, entity, e.gcAt);
    }
  }

  /**
   * The GC grid time after t: GC runs every {@value #GC_SLICES} slices (4 h for a 24 h window), so
   * a bucket's GC timer fires a few times per window, and an idle key lingers at most that long.
   */
  private long gcTime(long t) {
    long grain = GC_SLICES * sliceMillis;
    return (Math.floorDiv(t, grain) + 1) * grain;
  }

  private void removeSlices(Bucket<E, S> b, String entity, EntityEntry<S> e) {
    if (e.hasSlices()) {
      for (long s = e.firstSlice; s <= e.lastSlice; s++) {
        String key = sliceKey(entity, s);
        if (b.slices.get(key).read() != null) {
          b.slices.remove(key);
          SLICE_COUNT.dec();
        }
      }
    }
    e.firstSlice = 1;
    e.lastSlice = 0;
  }

  private static void updateLive(Bucket<?, ?> b, long delta) {
    Long live = b.live.read();
    long n = (live == null ? 0 : live) + delta;
    b.live.write(n);
    BUCKET_ENTITIES.update(n);
  }

  private S copy(S s) {
    try {
      return CoderUtils.clone(lookup.stateCoder(), s);
    } catch (IOException ex) {
      throw new IllegalStateException(ex);
    }
  }

  static String sliceKey(String entity, long slice) {
    return entity + '\u0000' + slice;
  }
}
