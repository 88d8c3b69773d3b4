package io.ctrbeam.features;

import io.ctrbeam.common.BatchGrouping;
import io.ctrbeam.common.DueIndex;
import io.ctrbeam.common.GroupByBucket;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
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
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * Answers queries (row ids with a time) from per-entity state kept inside hash buckets, as of each
 * query's time, as {@code KV(rowId, answer)}; {@link AttachAnswers} writes them onto the rows.
 * Bounded input: one GroupByKey by bucket and an in-memory time-ordered sweep per entity, no
 * timers. Unbounded input: a stateful DoFn per bucket with per-entity {@link MapState} and one
 * event-time timer per second that holds pending queries; state older than {@code retention} before
 * the latest firing is compacted.
 */
final class BucketedAsOf<E, S, V>
    extends PTransform<PCollection<KV<Integer, AsOfElement<E>>>, PCollection<KV<String, V>>> {
  private final AsOfLookup<E, S, V> lookup;
  private final long retentionMillis;

  BucketedAsOf(AsOfLookup<E, S, V> lookup, long retentionMillis) {
    this.lookup = lookup;
    this.retentionMillis = retentionMillis;
  }

  @Override
  public PCollection<KV<String, V>> expand(PCollection<KV<Integer, AsOfElement<E>>> items) {
    PCollection<KV<String, V>> out;
    if (items.isBounded() == PCollection.IsBounded.BOUNDED) {
      out =
          BatchGrouping.globalWindow("GlobalWindow", items)
              .apply("GroupByBucket", GroupByBucket.create())
              .apply("SweepBucket", ParDo.of(new SweepFn<>(lookup)));
    } else {
      out =
          globalEarliest("GlobalEarliest", items)
              .apply("StatefulBucket", ParDo.of(new StreamFn<>(lookup, retentionMillis)));
    }
    return out.setCoder(KvCoder.of(StringUtf8Coder.of(), lookup.answerCoder()));
  }

  /**
   * The global window with the earliest timestamp per group, so that a bucket's outputs can keep
   * their own timestamps; a no-op when the input already has it.
   */
  static <T> PCollection<T> globalEarliest(String name, PCollection<T> in) {
    return BatchGrouping.globalWindow(name, in, TimestampCombiner.EARLIEST);
  }

  /**
   * The global window for the as-of steps' inputs: {@link #globalEarliest} for unbounded input; for
   * bounded input already in the global window, the input itself, since its groupings go through
   * {@link BatchGrouping} (a re-windowing is one more step that copies every row to each consumer
   * on Flink).
   */
  static <T> PCollection<T> asOfInput(String name, PCollection<T> in) {
    if (in.isBounded() == PCollection.IsBounded.BOUNDED
        && in.getWindowingStrategy().getWindowFn() instanceof GlobalWindows) {
      return in;
    }
    return globalEarliest(name, in);
  }

  /**
   * Sorts one entity's items by time; at equal times events come first only for inclusive lookup.
   */
  static <E> Comparator<AsOfElement<E>> order(boolean inclusive) {
    Comparator<AsOfElement<E>> byTime = Comparator.comparingLong(i -> i.time);
    return byTime.thenComparingInt(i -> i.isQuery() == inclusive ? 1 : 0);
  }

  /**
   * Groups items by entity, keeping first-seen order; a {@link AsOfElement#queryAndImpression} adds
   * its impression event too.
   */
  static <E> Map<String, List<AsOfElement<E>>> byEntity(Iterable<AsOfElement<E>> items) {
    Map<String, List<AsOfElement<E>>> m = new LinkedHashMap<>();
    for (AsOfElement<E> i : items) {
      List<AsOfElement<E>> entity = m.computeIfAbsent(i.entity, k -> new ArrayList<>());
      entity.add(i);
      if (i.alsoEvent) {
        entity.add(i.impressionEvent());
      }
    }
    return m;
  }

  /** Bounded: a time-ordered sweep per entity of one bucket. */
  static final class SweepFn<E, S, V>
      extends BatchGrouping.RestampingFn<KV<Integer, Iterable<AsOfElement<E>>>, KV<String, V>> {
    private final AsOfLookup<E, S, V> lookup;

    SweepFn(AsOfLookup<E, S, V> lookup) {
      this.lookup = lookup;
    }

    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<AsOfElement<E>>> bucket, OutputReceiver<KV<String, V>> out) {
      for (Map.Entry<String, List<AsOfElement<E>>> e : byEntity(bucket.getValue()).entrySet()) {
        List<AsOfElement<E>> items = e.getValue();
        if (e.getKey() == null) {
          for (AsOfElement<E> q : items) {
            emit(q.queryId, lookup.answer(null, q.time), q.outTime, out);
          }
          continue;
        }
        items.sort(order(lookup.inclusive()));
        S state = lookup.newState();
        for (AsOfElement<E> i : items) {
          if (i.isQuery()) {
            state = lookup.compact(state, lookup.horizonFor(i.time));
            emit(i.queryId, lookup.answer(state, i.time), i.outTime, out);
          } else {
            state = lookup.add(state, i.time, i.event);
          }
        }
      }
    }
  }

  static <V> void emit(
      String rowId, V answer, long outTime, DoFn.OutputReceiver<KV<String, V>> out) {
    out.outputWithTimestamp(KV.of(rowId, answer), new Instant(outTime));
  }

  /**
   * Unbounded: per-bucket state. Entities live in an {@link EntityStore}: events in time slices,
   * folded once older than {@code retention} before the latest firing, and removed when idle past
   * the lookup's expiry. Queries wait in a {@link DueIndex} by the second they may be answered at
   * (their output time), with one timer per second that holds queries: a firing reads only its
   * second's queries, never the bucket's. A query is answered at the end of its second and output
   * at its own output time. Metric: {@code due_queries_per_firing}.
   */
  static final class StreamFn<E, S, V> extends DoFn<KV<Integer, AsOfElement<E>>, KV<String, V>> {
    static final String QUERY_HEADS = "queryHeads";
    static final String QUERY_CHUNKS = "queryChunks";
    private static final String LAST_FIRED = "lastFired";
    static final String DUE = "due";
    static final long QUERY_SLICE_MS = 1000;
    private static final Distribution QUERIES_PER_FIRING =
        Metrics.distribution(EntityStore.NAMESPACE, "due_queries_per_firing");

    private final AsOfLookup<E, S, V> lookup;
    private final long retentionMillis;
    private final DueIndex<AsOfElement<E>> queries;
    private final EntityStore<E, S> store;

    @StateId(EntityStore.ENTRIES)
    private final StateSpec<MapState<String, EntityEntry<S>>> entriesSpec;

    @StateId(EntityStore.SLICES)
    private final StateSpec<MapState<String, List<KV<Long, E>>>> slicesSpec;

    @StateId(EntityStore.GC_HEADS)
    private final StateSpec<MapState<Long, KV<Long, Long>>> gcHeadsSpec;

    @StateId(EntityStore.GC_CHUNKS)
    private final StateSpec<MapState<String, List<String>>> gcChunksSpec;

    @StateId(EntityStore.LIVE)
    private final StateSpec<ValueState<Long>> liveSpec = EntityStore.longSpec();

    /** One event-time timer per GC grid step that holds entities. */
    @TimerFamily(EntityStore.GC)
    private final TimerSpec gcSpec = DueIndex.timerSpec();

    @StateId(QUERY_HEADS)
    private final StateSpec<MapState<Long, KV<Long, Long>>> queryHeadsSpec;

    @StateId(QUERY_CHUNKS)
    private final StateSpec<MapState<String, List<AsOfElement<E>>>> queryChunksSpec;

    @StateId(LAST_FIRED)
    private final StateSpec<ValueState<Long>> lastFiredSpec = StateSpecs.value(VarLongCoder.of());

    @TimerFamily(DUE)
    private final TimerSpec dueSpec = DueIndex.timerSpec();

    StreamFn(AsOfLookup<E, S, V> lookup, long retentionMillis) {
      this.lookup = lookup;
      this.store =
          new EntityStore<>(lookup, lookup.sliceMillis(), lookup.idleExpiryMillis(retentionMillis));
      this.entriesSpec = store.entriesSpec();
      this.slicesSpec = store.slicesSpec();
      this.gcHeadsSpec = store.gcHeadsSpec();
      this.gcChunksSpec = store.gcChunksSpec();
      this.retentionMillis = retentionMillis;
      this.queries =
          DueIndex.of(
                  new AsOfElement.ItemCoder<>(lookup.eventCoder()),
                  QUERY_SLICE_MS,
                  QUERIES_PER_FIRING)
              .holdingAtEarliest();
      this.queryHeadsSpec = queries.headsSpec();
      this.queryChunksSpec = queries.chunksSpec();
    }

    @ProcessElement
    public void process(
        @Element KV<Integer, AsOfElement<E>> element,
        @Timestamp Instant ts,
        @StateId(EntityStore.ENTRIES) MapState<String, EntityEntry<S>> entries,
        @StateId(EntityStore.SLICES) MapState<String, List<KV<Long, E>>> slices,
        @StateId(EntityStore.GC_HEADS) MapState<Long, KV<Long, Long>> gcHeads,
        @StateId(EntityStore.GC_CHUNKS) MapState<String, List<String>> gcChunks,
        @StateId(EntityStore.LIVE) ValueState<Long> live,
        @TimerFamily(EntityStore.GC) TimerMap gc,
        @StateId(QUERY_HEADS) MapState<Long, KV<Long, Long>> queryHeads,
        @StateId(QUERY_CHUNKS) MapState<String, List<AsOfElement<E>>> queryChunks,
        @StateId(LAST_FIRED) ValueState<Long> lastFired,
        @TimerFamily(DUE) TimerMap due,
        OutputReceiver<KV<String, V>> out) {
      AsOfElement<E> item = element.getValue();
      if (!item.isQuery()) {
        Long fired = lastFired.read();
        long foldTo = fired == null ? Long.MIN_VALUE : lookup.horizonFor(fired - retentionMillis);
        store.add(
            new EntityStore.Bucket<>(entries, slices, gcHeads, gcChunks, live, gc, ts.getMillis()),
            item.entity,
            item.time,
            item.event,
            foldTo);
      } else if (item.entity == null) {
        emit(item.queryId, lookup.answer(null, item.time), item.outTime, out);
      } else {
        queries.add(
            new DueIndex.Cells<>(queryHeads, queryChunks, due),
            Math.max(item.outTime, ts.getMillis()),
            item);
      }
    }

    @OnTimerFamily(DUE)
    public void onDue(
        @TimerId String timerId,
        OnTimerContext c,
        @StateId(EntityStore.ENTRIES) MapState<String, EntityEntry<S>> entries,
        @StateId(EntityStore.SLICES) MapState<String, List<KV<Long, E>>> slices,
        @StateId(EntityStore.GC_HEADS) MapState<Long, KV<Long, Long>> gcHeads,
        @StateId(EntityStore.GC_CHUNKS) MapState<String, List<String>> gcChunks,
        @StateId(EntityStore.LIVE) ValueState<Long> live,
        @TimerFamily(EntityStore.GC) TimerMap gc,
        @StateId(QUERY_HEADS) MapState<Long, KV<Long, Long>> queryHeads,
        @StateId(QUERY_CHUNKS) MapState<String, List<AsOfElement<E>>> queryChunks,
        @StateId(LAST_FIRED) ValueState<Long> lastFired,
        @TimerFamily(DUE) TimerMap due,
        OutputReceiver<KV<String, V>> out) {
      long f = c.fireTimestamp().getMillis();
      long hold = c.timestamp().getMillis();
      Map<String, List<AsOfElement<E>>> ready = new LinkedHashMap<>();
      for (AsOfElement<E> q :
          queries.take(new DueIndex.Cells<>(queryHeads, queryChunks, due), timerId)) {
        ready.computeIfAbsent(q.entity, k -> new ArrayList<>()).add(q);
      }
      Long seen = lastFired.read();
      long fired = seen == null ? f : Math.max(seen, f);
      EntityStore.Bucket<E, S> b =
          new EntityStore.Bucket<>(
              entries, slices, gcHeads, gcChunks, live, gc, EntityStore.floor(c));
      long horizon = lookup.horizonFor(fired - retentionMillis);
      for (Map.Entry<String, List<AsOfElement<E>>> e : ready.entrySet()) {
        S state = store.read(b, e.getKey());
        for (AsOfElement<E> q : e.getValue()) {
          V answer = lookup.answer(state == null ? lookup.newState() : state, q.time);
          emit(q.queryId, answer, Math.max(q.outTime, hold), out);
        }
        store.fold(b, e.getKey(), horizon);
      }
      lastFired.write(fired);
    }

    @OnTimerFamily(EntityStore.GC)
    public void onGc(
        @TimerId String timerId,
        OnTimerContext c,
        @StateId(EntityStore.ENTRIES) MapState<String, EntityEntry<S>> entries,
        @StateId(EntityStore.SLICES) MapState<String, List<KV<Long, E>>> slices,
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

  static <E> KvCoder<Integer, AsOfElement<E>> itemCoder(AsOfLookup<E, ?, ?> lookup) {
    return KvCoder.of(VarIntCoder.of(), new AsOfElement.ItemCoder<>(lookup.eventCoder()));
  }
}
