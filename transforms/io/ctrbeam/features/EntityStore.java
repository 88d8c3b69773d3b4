package io.ctrbeam.features;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;

/**
 * The streaming state of the entities of one hash bucket, bounded by what is in flight.
 *
 * <ul>
 *   <li>Per entity, one small {@link Entry}: the events at or before its horizon folded into the
 *       logic's state (for features: decayed base sums, no events), and the range of its slices.
 *   <li>The events after the horizon, in time slices ({@code sliceMillis} wide) of one MapState
 *       entry each: an event rewrites its slice and the entry, never the whole history.
 *   <li>Whole slices at or before a fold time are folded into the entry and removed.
 *   <li>An entity with no event for {@code idleExpiryMillis} of event time (rounded up to the GC
 *       grid, {@value #GC_SLICES} slices) loses its window
 *       state (slices, kept events); what the logic says outlives it (for features: the decayed
 *       sums, a fixed few dozen bytes) stays as a residue until {@link
 *       EntityLogic#residueExpiry}, then goes too. One GC timer per bucket over an
 *       event-time-ordered index does this, touching only the entities due.
 * </ul>
 *
 * Metrics (namespace {@value #NAMESPACE}): counters {@code state_entities} (entities with window
 * state), {@code state_residues} and {@code state_slices} (live entries: + on create, − on
 * removal) and the distribution {@code bucket_state_entities} (a bucket's entities with window
 * state after each change).
 */
final class EntityStore<E, S> implements Serializable {
  static final String NAMESPACE = "features";
  static final String ENTRIES = "storeEntries";
  static final String SLICES = "storeSlices";
  static final String GC_INDEX = "storeGcIndex";
  static final String GC_AT = "storeGcAt";
  static final String LIVE = "storeLive";
  static final String SEQ = "storeSeq";
  static final String GC = "storeGc";
  static final int GC_SLICES = 8;
  /** No idle expiry: entities stay (their state is still bounded by folding). */
  static final long NEVER = Long.MAX_VALUE;

  private static final Counter ENTITIES = Metrics.counter(NAMESPACE, "state_entities");
  private static final Counter SLICE_COUNT = Metrics.counter(NAMESPACE, "state_slices");
  private static final Counter RESIDUES = Metrics.counter(NAMESPACE, "state_residues");
  private static final Distribution BUCKET_ENTITIES =
      Metrics.distribution(NAMESPACE, "bucket_state_entities");

  private final EntityLogic<E, S, ?> logic;
  private final long sliceMillis;
  private final long idleExpiryMillis;

  EntityStore(EntityLogic<E, S, ?> logic, long sliceMillis, long idleExpiryMillis) {
    this.logic = logic;
    this.sliceMillis = sliceMillis;
    this.idleExpiryMillis = idleExpiryMillis;
  }

  /** Slices of 1/48 of the window (30 min for 24 h), at least 1 s. */
  static long sliceFor(long windowMillis) {
    return Math.max(1000, windowMillis / 48);
  }

  StateSpec<MapState<String, Entry<S>>> entriesSpec() {
    return StateSpecs.map(StringUtf8Coder.of(), new EntryCoder<>(logic.stateCoder()));
  }

  StateSpec<MapState<String, List<KV<Long, E>>>> slicesSpec() {
    return StateSpecs.map(StringUtf8Coder.of(), sliceCoder());
  }

  static StateSpec<OrderedListState<String>> gcIndexSpec() {
    return StateSpecs.orderedList(StringUtf8Coder.of());
  }

  static StateSpec<ValueState<Long>> longSpec() {
    return StateSpecs.value(VarLongCoder.of());
  }

  Coder<List<KV<Long, E>>> sliceCoder() {
    return ListCoder.of(KvCoder.of(VarLongCoder.of(), NullableCoder.of(logic.eventCoder())));
  }

  /** The state handles of one bucket for one call. */
  static final class Bucket<E, S> {
    final MapState<String, Entry<S>> entries;
    final MapState<String, List<KV<Long, E>>> slices;
    final OrderedListState<String> gcIndex;
    final ValueState<Long> gcAt;
    final ValueState<Long> live;
    final ValueState<Long> seq;
    final Timer gcTimer;

    Bucket(
        MapState<String, Entry<S>> entries,
        MapState<String, List<KV<Long, E>>> slices,
        OrderedListState<String> gcIndex,
        ValueState<Long> gcAt,
        ValueState<Long> live,
        ValueState<Long> seq,
        Timer gcTimer) {
      this.entries = entries;
      this.slices = slices;
      this.gcIndex = gcIndex;
      this.gcAt = gcAt;
      this.live = live;
      this.seq = seq;
      this.gcTimer = gcTimer;
    }
  }

  /**
   * Adds an event of an entity, then folds the entity's whole slices at or before {@code foldTo}
   * (Long.MIN_VALUE: none). An event at or before the entity's horizon goes into the folded state.
   */
  void add(Bucket<E, S> b, String entity, long time, E event, long foldTo) {
    Entry<S> e = b.entries.get(entity).read();
    if (e == null || e.residue) {
      if (e == null) {
        e = new Entry<>(logic.newState());
      } else {
        e.residue = false;
        e.gcAt = Long.MIN_VALUE;
        RESIDUES.dec();
      }
      ENTITIES.inc();
      updateLive(b, 1);
    }
    if (time <= e.horizon) {
      e.folded = logic.add(e.folded, time, event);
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
    Entry<S> e = b.entries.get(entity).read();
    if (e == null) {
      return null;
    }
    S s = copy(e.folded);
    for (KV<Long, E> ev : events(b, entity, e, e.lastSlice, false)) {
      s = logic.add(s, ev.getKey(), ev.getValue());
    }
    return s;
  }

  /** Folds the entity's whole slices at or before {@code foldTo} into its entry and writes it. */
  void fold(Bucket<E, S> b, String entity, long foldTo) {
    Entry<S> e = b.entries.get(entity).read();
    if (e != null && fold(b, entity, e, foldTo)) {
      b.entries.put(entity, e);
    }
  }

  private boolean fold(Bucket<E, S> b, String entity, Entry<S> e, long foldTo) {
    if (foldTo == Long.MIN_VALUE || !e.hasSlices()) {
      return false;
    }
    long last = Math.floorDiv(foldTo + 1, sliceMillis) - 1;
    if (e.firstSlice > last) {
      return false;
    }
    S s = e.folded;
    for (KV<Long, E> ev : events(b, entity, e, Math.min(last, e.lastSlice), true)) {
      s = logic.add(s, ev.getKey(), ev.getValue());
    }
    long horizon = (last + 1) * sliceMillis - 1;
    e.folded = logic.compact(s, horizon);
    e.horizon = horizon;
    e.firstSlice = last + 1;
    return true;
  }

  /** The events of slices firstSlice..upTo in time order; {@code remove} drops those slices. */
  private List<KV<Long, E>> events(Bucket<E, S> b, String entity, Entry<S> e, long upTo, boolean remove) {
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
  private void scheduleGc(Bucket<E, S> b, String entity, Entry<S> e) {
    if (idleExpiryMillis == NEVER) {
      return;
    }
    long due = gcTime(e.lastEvent + idleExpiryMillis);
    if (due <= e.gcAt) {
      return;
    }
    e.gcAt = due;
    register(b, entity, due, Long.MIN_VALUE);
  }

  /**
   * Adds the entity to the GC index within its grid step, at a time of its own: Flink's
   * OrderedListState keeps one value per timestamp (it reads the list into a map by time), so
   * each registration of a bucket gets the next of the step's milliseconds. The bucket's timer
   * fires at the step's last millisecond, and not before {@code notBefore}.
   */
  private void register(Bucket<E, S> b, String entity, long due, long notBefore) {
    long grain = GC_SLICES * sliceMillis;
    Long n = b.seq.read();
    long k = n == null ? 0 : n;
    b.seq.write(k + 1);
    b.gcIndex.add(TimestampedValue.of(entity, new Instant(due + Math.floorMod(k, grain))));
    long fire = Math.max(notBefore, due + grain - 1);
    Long at = b.gcAt.read();
    if (at == null || fire < at) {
      b.gcTimer.set(new Instant(fire));
      b.gcAt.write(fire);
    }
  }

  /**
   * GC timer: every entity due at or before {@code now} and still idle loses its window state
   * (keeping the logic's residue, if any, until it expires), and every residue due goes.
   */
  void onGc(Bucket<E, S> b, long now, long timerTimestamp) {
    // On Flink a firing's output timestamp was seen past its fire time; a timer set here must
    // not be before either.
    long notBefore = Math.max(now, timerTimestamp) + GC_SLICES * sliceMillis;
    Instant limit = new Instant(now + 1);
    List<String> due = new ArrayList<>();
    for (TimestampedValue<String> d : b.gcIndex.readRange(BoundedWindow.TIMESTAMP_MIN_VALUE, limit)) {
      due.add(d.getValue());
    }
    b.gcIndex.clearRange(BoundedWindow.TIMESTAMP_MIN_VALUE, limit);
    b.gcAt.clear();
    List<KV<String, Long>> residues = new ArrayList<>();
    for (String entity : due) {
      Entry<S> e = b.entries.get(entity).read();
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
      S rest = logic.residue(logic.compact(full, e.lastEvent));
      if (rest == null) {
        b.entries.remove(entity);
        continue;
      }
      e.folded = rest;
      e.horizon = Math.max(e.horizon, e.lastEvent);
      e.residue = true;
      RESIDUES.inc();
      long expiry = logic.residueExpiry(rest);
      // On the grid, and after now.
      e.gcAt = Math.max(now + 1, gcTime(expiry));
      b.entries.put(entity, e);
      residues.add(KV.of(entity, e.gcAt));
    }
    for (KV<String, Long> r : residues) {
      register(b, r.getKey(), r.getValue(), notBefore);
    }
    // The earliest pending registration (they come sorted by time) sets the next firing.
    for (TimestampedValue<String> later : b.gcIndex.readRange(limit, BoundedWindow.TIMESTAMP_MAX_VALUE)) {
      long grain = GC_SLICES * sliceMillis;
      long fire =
          Math.max(notBefore, (Math.floorDiv(later.getTimestamp().getMillis(), grain) + 1) * grain - 1);
      Long at = b.gcAt.read();
      if (at == null || fire < at) {
        b.gcTimer.set(new Instant(fire));
        b.gcAt.write(fire);
      }
      break;
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

  private void removeSlices(Bucket<E, S> b, String entity, Entry<S> e) {
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
      return CoderUtils.clone(logic.stateCoder(), s);
    } catch (IOException ex) {
      throw new IllegalStateException(ex);
    }
  }

  static String sliceKey(String entity, long slice) {
    return entity + '\u0000' + slice;
  }

  /** What is kept per entity besides its slices. */
  static final class Entry<S> {
    S folded;
    /** Events at or before this time are in {@link #folded}. */
    long horizon = Long.MIN_VALUE;
    long lastEvent = Long.MIN_VALUE;
    /** Slices firstSlice..lastSlice may hold events; none when first > last. */
    long firstSlice = 1;
    long lastSlice = 0;
    /** The expiry registered in the GC index (Long.MIN_VALUE: none). */
    long gcAt = Long.MIN_VALUE;
    /** Only a residue is left (no window state). */
    boolean residue;

    Entry(S folded) {
      this.folded = folded;
    }

    boolean hasSlices() {
      return firstSlice <= lastSlice;
    }
  }

  static final class EntryCoder<S> extends CustomCoder<Entry<S>> {
    private static final Coder<Long> LONG = VarLongCoder.of();
    private final Coder<S> stateCoder;

    EntryCoder(Coder<S> stateCoder) {
      this.stateCoder = stateCoder;
    }

    @Override
    public void encode(Entry<S> e, OutputStream os) throws IOException {
      stateCoder.encode(e.folded, os);
      LONG.encode(e.horizon, os);
      LONG.encode(e.lastEvent, os);
      LONG.encode(e.firstSlice, os);
      LONG.encode(e.lastSlice, os);
      LONG.encode(e.gcAt, os);
      os.write(e.residue ? 1 : 0);
    }

    @Override
    public Entry<S> decode(InputStream is) throws IOException {
      Entry<S> e = new Entry<>(stateCoder.decode(is));
      e.horizon = LONG.decode(is);
      e.lastEvent = LONG.decode(is);
      e.firstSlice = LONG.decode(is);
      e.lastSlice = LONG.decode(is);
      e.gcAt = LONG.decode(is);
      e.residue = is.read() == 1;
      return e;
    }
  }
}
