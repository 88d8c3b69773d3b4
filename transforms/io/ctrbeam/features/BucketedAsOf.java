package io.ctrbeam.features;

import io.ctrbeam.common.BatchGrouping;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * Answers queries (row ids with a time) from per-entity state kept inside hash buckets, as of each
 * query's time, as {@code KV(rowId, answer)}; {@link AttachAnswers} writes them onto the rows. Bounded input: one GroupByKey by bucket and an in-memory time-ordered sweep per
 * entity, no timers. Unbounded input: a stateful DoFn per bucket with per-entity {@link MapState}
 * and one event-time timer per bucket, set to the earliest pending query; state older than
 * {@code retention} before the latest firing is compacted.
 */
final class BucketedAsOf<E, S, V>
    extends PTransform<PCollection<KV<Integer, BucketItem<E>>>, PCollection<KV<String, V>>> {
  private final EntityLogic<E, S, V> logic;
  private final long retentionMillis;

  BucketedAsOf(EntityLogic<E, S, V> logic, long retentionMillis) {
    this.logic = logic;
    this.retentionMillis = retentionMillis;
  }

  @Override
  public PCollection<KV<String, V>> expand(PCollection<KV<Integer, BucketItem<E>>> items) {
    PCollection<KV<String, V>> out;
    if (items.isBounded() == PCollection.IsBounded.BOUNDED) {
      out =
          BatchGrouping.globalWindow("GlobalWindow", items)
              .apply("GroupByBucket", GroupByKey.create())
              .apply("SweepBucket", ParDo.of(new SweepFn<>(logic)));
    } else {
      out =
          globalEarliest("GlobalEarliest", items)
              .apply("StatefulBucket", ParDo.of(new StreamFn<>(logic, retentionMillis)));
    }
    return out.setCoder(KvCoder.of(StringUtf8Coder.of(), logic.answerCoder()));
  }

  /**
   * The global window with the earliest timestamp per group, so that a bucket's outputs can keep
   * their own timestamps; a no-op when the input already has it.
   */
  static <T> PCollection<T> globalEarliest(String name, PCollection<T> in) {
    if (in.getWindowingStrategy().getWindowFn() instanceof GlobalWindows
        && in.getWindowingStrategy().getTimestampCombiner() == TimestampCombiner.EARLIEST) {
      return in;
    }
    return in.apply(
        name,
        Window.<T>into(new GlobalWindows()).withTimestampCombiner(TimestampCombiner.EARLIEST));
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

  /** Sorts one entity's items by time; at equal times events come first only for inclusive logic. */
  static <E> Comparator<BucketItem<E>> order(boolean inclusive) {
    Comparator<BucketItem<E>> byTime = Comparator.comparingLong(i -> i.time);
    return byTime.thenComparingInt(i -> i.isQuery() == inclusive ? 1 : 0);
  }

  /** Groups items by entity, keeping first-seen order. */
  static <E> Map<String, List<BucketItem<E>>> byEntity(Iterable<BucketItem<E>> items) {
    Map<String, List<BucketItem<E>>> m = new LinkedHashMap<>();
    for (BucketItem<E> i : items) {
      m.computeIfAbsent(i.entity, k -> new ArrayList<>()).add(i);
    }
    return m;
  }

  /** Bounded: a time-ordered sweep per entity of one bucket. */
  static final class SweepFn<E, S, V>
      extends BatchGrouping.RestampingFn<KV<Integer, Iterable<BucketItem<E>>>, KV<String, V>> {
    private final EntityLogic<E, S, V> logic;

    SweepFn(EntityLogic<E, S, V> logic) {
      this.logic = logic;
    }

    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<BucketItem<E>>> bucket, OutputReceiver<KV<String, V>> out) {
      for (Map.Entry<String, List<BucketItem<E>>> e : byEntity(bucket.getValue()).entrySet()) {
        List<BucketItem<E>> items = e.getValue();
        if (e.getKey() == null) {
          for (BucketItem<E> q : items) {
            emit(q.queryId, logic.answer(null, q.time), q.outTime, out);
          }
          continue;
        }
        items.sort(order(logic.inclusive()));
        S state = logic.newState();
        for (BucketItem<E> i : items) {
          if (i.isQuery()) {
            state = logic.compact(state, logic.horizonFor(i.time));
            emit(i.queryId, logic.answer(state, i.time), i.outTime, out);
          } else {
            state = logic.add(state, i.time, i.event);
          }
        }
      }
    }
  }

  static <V> void emit(String rowId, V answer, long outTime, DoFn.OutputReceiver<KV<String, V>> out) {
    out.outputWithTimestamp(KV.of(rowId, answer), new Instant(outTime));
  }

  /**
   * Unbounded: per-bucket state, one timer per bucket at the earliest pending query. Entities live
   * in an {@link EntityStore}: events in time slices, folded once older than {@code retention}
   * before the latest firing, and removed when idle past the logic's expiry.
   */
  static final class StreamFn<E, S, V> extends DoFn<KV<Integer, BucketItem<E>>, KV<String, V>> {
    private static final String PENDING = "pending";
    private static final String TIMER_AT = "timerAt";
    private static final String LAST_FIRED = "lastFired";
    private static final String DUE = "due";

    private final EntityLogic<E, S, V> logic;
    private final long retentionMillis;
    private final EntityStore<E, S> store;

    @StateId(EntityStore.ENTRIES)
    private final StateSpec<MapState<String, EntityStore.Entry<S>>> entriesSpec;

    @StateId(EntityStore.SLICES)
    private final StateSpec<MapState<String, List<KV<Long, E>>>> slicesSpec;

    @StateId(EntityStore.GC_INDEX)
    private final StateSpec<OrderedListState<String>> gcIndexSpec = EntityStore.gcIndexSpec();

    @StateId(EntityStore.GC_AT)
    private final StateSpec<ValueState<Long>> gcAtSpec = EntityStore.longSpec();

    @StateId(EntityStore.LIVE)
    private final StateSpec<ValueState<Long>> liveSpec = EntityStore.longSpec();

    @StateId(EntityStore.SEQ)
    private final StateSpec<ValueState<Long>> seqSpec = EntityStore.longSpec();

    @TimerId(EntityStore.GC)
    private final TimerSpec gcSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @StateId(PENDING)
    private final StateSpec<BagState<BucketItem<E>>> pendingSpec;

    @StateId(TIMER_AT)
    private final StateSpec<ValueState<Long>> timerAtSpec = StateSpecs.value(VarLongCoder.of());

    @StateId(LAST_FIRED)
    private final StateSpec<ValueState<Long>> lastFiredSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId(DUE)
    private final TimerSpec dueSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    StreamFn(EntityLogic<E, S, V> logic, long retentionMillis) {
      this.logic = logic;
      this.retentionMillis = retentionMillis;
      this.store =
          new EntityStore<>(logic, logic.sliceMillis(), logic.idleExpiryMillis(retentionMillis));
      this.entriesSpec = store.entriesSpec();
      this.slicesSpec = store.slicesSpec();
      this.pendingSpec = StateSpecs.bag(new BucketItem.ItemCoder<>(logic.eventCoder()));
    }

    @ProcessElement
    public void process(
        @Element KV<Integer, BucketItem<E>> element,
        @StateId(EntityStore.ENTRIES) MapState<String, EntityStore.Entry<S>> entries,
        @StateId(EntityStore.SLICES) MapState<String, List<KV<Long, E>>> slices,
        @StateId(EntityStore.GC_INDEX) OrderedListState<String> gcIndex,
        @StateId(EntityStore.GC_AT) ValueState<Long> gcAt,
        @StateId(EntityStore.LIVE) ValueState<Long> live,
        @StateId(EntityStore.SEQ) ValueState<Long> seq,
        @TimerId(EntityStore.GC) Timer gc,
        @StateId(PENDING) BagState<BucketItem<E>> pending,
        @StateId(TIMER_AT) ValueState<Long> timerAt,
        @StateId(LAST_FIRED) ValueState<Long> lastFired,
        @TimerId(DUE) Timer due,
        OutputReceiver<KV<String, V>> out) {
      BucketItem<E> item = element.getValue();
      if (!item.isQuery()) {
        Long fired = lastFired.read();
        long foldTo = fired == null ? Long.MIN_VALUE : logic.horizonFor(fired - retentionMillis);
        store.add(
            new EntityStore.Bucket<>(entries, slices, gcIndex, gcAt, live, seq, gc),
            item.entity, item.time, item.event, foldTo);
      } else if (item.entity == null) {
        emit(item.queryId, logic.answer(null, item.time), item.outTime, out);
      } else {
        pending.add(item);
        Long at = timerAt.read();
        if (at == null || item.outTime < at) {
          setTimer(due, timerAt, item.outTime);
        }
      }
    }

    @OnTimer(DUE)
    public void onDue(
        @StateId(EntityStore.ENTRIES) MapState<String, EntityStore.Entry<S>> entries,
        @StateId(EntityStore.SLICES) MapState<String, List<KV<Long, E>>> slices,
        @StateId(EntityStore.GC_INDEX) OrderedListState<String> gcIndex,
        @StateId(EntityStore.GC_AT) ValueState<Long> gcAt,
        @StateId(EntityStore.LIVE) ValueState<Long> live,
        @StateId(EntityStore.SEQ) ValueState<Long> seq,
        @TimerId(EntityStore.GC) Timer gc,
        @StateId(PENDING) BagState<BucketItem<E>> pending,
        @StateId(TIMER_AT) ValueState<Long> timerAt,
        @StateId(LAST_FIRED) ValueState<Long> lastFired,
        @TimerId(DUE) Timer due,
        OutputReceiver<KV<String, V>> out) {
      Long firedAt = timerAt.read();
      if (firedAt == null) {
        return;
      }
      long f = firedAt;
      Map<String, List<BucketItem<E>>> ready = new HashMap<>();
      List<BucketItem<E>> rest = new ArrayList<>();
      long next = Long.MAX_VALUE;
      for (BucketItem<E> i : pending.read()) {
        if (i.outTime <= f) {
          ready.computeIfAbsent(i.entity, k -> new ArrayList<>()).add(i);
        } else {
          rest.add(i);
          next = Math.min(next, i.outTime);
        }
      }
      EntityStore.Bucket<E, S> b = new EntityStore.Bucket<>(entries, slices, gcIndex, gcAt, live, seq, gc);
      long horizon = logic.horizonFor(f - retentionMillis);
      for (Map.Entry<String, List<BucketItem<E>>> e : ready.entrySet()) {
        S state = store.read(b, e.getKey());
        for (BucketItem<E> q : e.getValue()) {
          V answer = logic.answer(state == null ? logic.newState() : state, q.time);
          emit(q.queryId, answer, Math.max(q.outTime, f), out);
        }
        store.fold(b, e.getKey(), horizon);
      }
      pending.clear();
      for (BucketItem<E> i : rest) {
        pending.add(i);
      }
      lastFired.write(f);
      if (rest.isEmpty()) {
        timerAt.clear();
      } else {
        setTimer(due, timerAt, next);
      }
    }

    @OnTimer(EntityStore.GC)
    public void onGc(
        OnTimerContext c,
        @StateId(EntityStore.ENTRIES) MapState<String, EntityStore.Entry<S>> entries,
        @StateId(EntityStore.SLICES) MapState<String, List<KV<Long, E>>> slices,
        @StateId(EntityStore.GC_INDEX) OrderedListState<String> gcIndex,
        @StateId(EntityStore.GC_AT) ValueState<Long> gcAt,
        @StateId(EntityStore.LIVE) ValueState<Long> live,
        @StateId(EntityStore.SEQ) ValueState<Long> seq,
        @TimerId(EntityStore.GC) Timer gc) {
      store.onGc(
          new EntityStore.Bucket<>(entries, slices, gcIndex, gcAt, live, seq, gc),
          c.fireTimestamp().getMillis(),
          c.timestamp().getMillis());
    }
  }

  /** Sets the bucket's one timer to t, holding the output watermark at t, and remembers t. */
  static void setTimer(Timer timer, ValueState<Long> timerAt, long t) {
    Instant at = new Instant(t);
    timer.withOutputTimestamp(at).set(at);
    timerAt.write(t);
  }

  static <E> KvCoder<Integer, BucketItem<E>> itemCoder(EntityLogic<E, ?, ?> logic) {
    return KvCoder.of(VarIntCoder.of(), new BucketItem.ItemCoder<>(logic.eventCoder()));
  }
}
