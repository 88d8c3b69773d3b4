package io.ctrbeam.label;

import io.ctrbeam.label.LabelState.Held;
import io.ctrbeam.label.LabelState.Tomb;
import io.ctrbeam.schema.TrainingExample;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * The streaming outcome join, one key per hash bucket. Each bucket holds in {@code MapState} the
 * primaries still waiting (pending), the outcomes that came before their primary (early) and the
 * tombstones of released primaries, and has ONE event-time timer set to its earliest deadline, with
 * that deadline as output timestamp. State is bounded by what is in flight within T (+ tombstones
 * within W + T + lateness); the live entry count is the Metrics counter {@code state_entries} and
 * each bucket's size the distribution {@code bucket_state_entries}.
 */
final class StatefulLabelFn extends DoFn<KV<Integer, LabelEvent>, TrainingExample> {
  static final String PENDING = "pending";
  static final String EARLY = "early";
  static final String TOMBS = "tombstones";
  static final String TIMER_AT = "timerAt";
  static final String WATERMARK_SEEN = "watermarkSeen";
  static final String SIZE = "size";
  static final String NEXT_PENDING = "nextPending";
  static final String NEXT_TOMB = "nextTombstoneExpiry";
  static final String NEXT_ORPHAN = "nextOrphan";
  static final String DUE = "due";

  private static final Counter STATE_ENTRIES = Metrics.counter(LabelRules.NAMESPACE, "state_entries");
  private static final Distribution BUCKET_SIZE =
      Metrics.distribution(LabelRules.NAMESPACE, "bucket_state_entries");
  private static final Comparator<Outcome> BY_TIME =
      Comparator.comparingLong(Outcome::timeMs).thenComparing(Outcome::outcomeId);

  private final LabelRules rules;
  private final JoinTags tags;

  @StateId(PENDING)
  private final StateSpec<MapState<String, Held>> pendingSpec =
      StateSpecs.map(StringUtf8Coder.of(), new LabelState.HeldCoder());

  @StateId(EARLY)
  private final StateSpec<MapState<String, List<Outcome>>> earlySpec =
      StateSpecs.map(StringUtf8Coder.of(), ListCoder.of(Outcome.OutcomeCoder.of()));

  @StateId(TOMBS)
  private final StateSpec<MapState<String, Tomb>> tombSpec =
      StateSpecs.map(StringUtf8Coder.of(), new LabelState.TombCoder());

  @StateId(TIMER_AT)
  private final StateSpec<ValueState<Long>> timerAtSpec = StateSpecs.value(VarLongCoder.of());

  @StateId(WATERMARK_SEEN)
  private final StateSpec<ValueState<Long>> wmSpec = StateSpecs.value(VarLongCoder.of());

  @StateId(SIZE)
  private final StateSpec<ValueState<Long>> sizeSpec = StateSpecs.value(VarLongCoder.of());

  /** The earliest due time of the pending primaries: they are scanned only on fires that reach it. */
  @StateId(NEXT_PENDING)
  private final StateSpec<ValueState<Long>> nextPendingSpec = StateSpecs.value(VarLongCoder.of());

  /** The earliest tombstone expiry: tombstones are scanned only on fires that reach it. */
  @StateId(NEXT_TOMB)
  private final StateSpec<ValueState<Long>> nextTombSpec = StateSpecs.value(VarLongCoder.of());

  /** The earliest orphan deadline of the buffered outcomes, likewise. */
  @StateId(NEXT_ORPHAN)
  private final StateSpec<ValueState<Long>> nextOrphanSpec = StateSpecs.value(VarLongCoder.of());

  @TimerId(DUE)
  private final TimerSpec dueSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  StatefulLabelFn(LabelRules rules, JoinTags tags) {
    this.rules = rules;
    this.tags = tags;
  }

  @ProcessElement
  public void process(
      @Element KV<Integer, LabelEvent> element,
      @Timestamp Instant ts,
      @StateId(PENDING) MapState<String, Held> pending,
      @StateId(EARLY) MapState<String, List<Outcome>> early,
      @StateId(TOMBS) MapState<String, Tomb> tombs,
      @StateId(TIMER_AT) ValueState<Long> timerAt,
      @StateId(WATERMARK_SEEN) ValueState<Long> wmSeen,
      @StateId(SIZE) ValueState<Long> size,
      @StateId(NEXT_PENDING) ValueState<Long> nextPending,
      @StateId(NEXT_TOMB) ValueState<Long> nextTomb,
      @StateId(NEXT_ORPHAN) ValueState<Long> nextOrphan,
      @TimerId(DUE) Timer due,
      MultiOutputReceiver receiver) {
    JoinTags.Out out = tags.sink(receiver, ts);
    LabelEvent e = element.getValue();
    long delta = 0;
    long nextDue = Long.MAX_VALUE;
    if (e.primary() != null) {
      TrainingExample row = e.primary();
      String id = row.getImpressionId();
      if (pending.get(id).read() != null || tombs.get(id).read() != null) {
        rules.duplicatePrimary(row, out, ts.getMillis());
        return;
      }
      long t = rules.primaryTime(row);
      Held held = new Held(row, rules.mode() == LabelMode.FAKE_NEGATIVE);
      if (held.negEmitted) {
        rules.emitNegative(row, out);
      }
      List<Outcome> buffered = early.get(id).read();
      boolean positive = false;
      if (buffered != null) {
        early.remove(id);
        delta -= buffered.size();
        List<Outcome> sorted = new ArrayList<>(buffered);
        sorted.sort(BY_TIME);
        for (Outcome o : sorted) {
          if (positive) {
            rules.judge(t, o, true, out, o.timeMs());
          } else if (rules.judge(t, o, false, out, o.timeMs()) == LabelRules.Verdict.VALID) {
            rules.emitPositive(row, o, out);
            positive = true;
          }
        }
      }
      if (positive) {
        tombs.put(id, new Tomb(t, row.getEventTime().toEpochMilli(), 1));
        nextDue = lower(nextTomb, rules.tombstoneUntil(t));
      } else {
        pending.put(id, held);
        nextDue = lower(nextPending, dueOf(held, t));
      }
      delta += 1;
    } else {
      Outcome o = e.outcome();
      String id = o.primaryId();
      Held held = pending.get(id).read();
      Tomb tomb = held == null ? tombs.get(id).read() : null;
      if (held != null) {
        long t = rules.primaryTime(held.row);
        if (rules.judge(t, o, false, out, o.timeMs()) == LabelRules.Verdict.VALID) {
          rules.emitPositive(held.row, o, out);
          pending.remove(id);
          tombs.put(id, new Tomb(t, held.row.getEventTime().toEpochMilli(), 1));
          nextDue = lower(nextTomb, rules.tombstoneUntil(t));
        }
      } else if (tomb != null) {
        boolean wasPositive = tomb.label == 1;
        if (rules.judge(tomb.primaryTime, o, wasPositive, out, o.timeMs())
                == LabelRules.Verdict.VALID
            && !wasPositive) {
          out.correction(rules.correction(id, tomb.impressionTime, o), o.timeMs());
          tombs.put(id, new Tomb(tomb.primaryTime, tomb.impressionTime, 1));
        }
      } else {
        Long wm = wmSeen.read();
        if (wm != null && rules.droppablyLate(o.timeMs(), wm)) {
          rules.droppablyLate(o, out, o.timeMs());
        } else {
          List<Outcome> buffered = early.get(id).read();
          List<Outcome> next = buffered == null ? new ArrayList<>(1) : new ArrayList<>(buffered);
          next.add(o);
          early.put(id, next);
          delta += 1;
          nextDue = lower(nextOrphan, rules.orphanAt(o.timeMs()));
        }
      }
    }
    if (nextDue != Long.MAX_VALUE) {
      Long current = timerAt.read();
      if (current == null || nextDue < current) {
        Instant at = new Instant(nextDue);
        due.withOutputTimestamp(at).set(at);
        timerAt.write(nextDue);
      }
    }
    track(size, delta);
  }

  @OnTimer(DUE)
  public void onDue(
      OnTimerContext ctx,
      @StateId(PENDING) MapState<String, Held> pending,
      @StateId(EARLY) MapState<String, List<Outcome>> early,
      @StateId(TOMBS) MapState<String, Tomb> tombs,
      @StateId(TIMER_AT) ValueState<Long> timerAt,
      @StateId(WATERMARK_SEEN) ValueState<Long> wmSeen,
      @StateId(SIZE) ValueState<Long> size,
      @StateId(NEXT_PENDING) ValueState<Long> nextPending,
      @StateId(NEXT_TOMB) ValueState<Long> nextTomb,
      @StateId(NEXT_ORPHAN) ValueState<Long> nextOrphan,
      @TimerId(DUE) Timer due,
      MultiOutputReceiver receiver) {
    long f = ctx.fireTimestamp().getMillis();
    Long seen = wmSeen.read();
    wmSeen.write(seen == null ? f : Math.max(seen, f));
    JoinTags.Out out = tags.sink(receiver, ctx.timestamp());
    long delta = 0;
    Long pendingAt = nextPending.read();
    if (pendingAt != null && pendingAt <= f) {
      long nextP = Long.MAX_VALUE;
      List<Map.Entry<String, Held>> pendingNow = new ArrayList<>();
      pending.entries().read().forEach(pendingNow::add);
      for (Map.Entry<String, Held> en : pendingNow) {
        Held held = en.getValue();
        long t = rules.primaryTime(held.row);
        boolean neg = held.negEmitted;
        if (!neg && rules.negativeAt(t) <= f) {
          rules.emitNegative(held.row, out);
          neg = true;
        }
        if (rules.releaseAt(t) <= f) {
          pending.remove(en.getKey());
          tombs.put(en.getKey(), new Tomb(t, held.row.getEventTime().toEpochMilli(), 0));
          lower(nextTomb, rules.tombstoneUntil(t));
        } else {
          if (neg != held.negEmitted) {
            held = new Held(held.row, true);
            pending.put(en.getKey(), held);
          }
          nextP = Math.min(nextP, dueOf(held, t));
        }
      }
      write(nextPending, nextP);
    }

    Long tombAt = nextTomb.read();
    if (tombAt != null && tombAt <= f) {
      long nextT = Long.MAX_VALUE;
      List<Map.Entry<String, Tomb>> tombsNow = new ArrayList<>();
      tombs.entries().read().forEach(tombsNow::add);
      for (Map.Entry<String, Tomb> en : tombsNow) {
        long until = rules.tombstoneUntil(en.getValue().primaryTime);
        if (until <= f) {
          tombs.remove(en.getKey());
          delta -= 1;
        } else {
          nextT = Math.min(nextT, until);
        }
      }
      write(nextTomb, nextT);
    }

    Long orphanAt0 = nextOrphan.read();
    if (orphanAt0 != null && orphanAt0 <= f) {
      long nextO = Long.MAX_VALUE;
      List<Map.Entry<String, List<Outcome>>> earlyNow = new ArrayList<>();
      early.entries().read().forEach(earlyNow::add);
      for (Map.Entry<String, List<Outcome>> en : earlyNow) {
        List<Outcome> keep = new ArrayList<>();
        for (Outcome o : en.getValue()) {
          long orphanAt = rules.orphanAt(o.timeMs());
          if (orphanAt <= f) {
            rules.orphan(o, out, orphanAt);
            delta -= 1;
          } else {
            keep.add(o);
            nextO = Math.min(nextO, orphanAt);
          }
        }
        if (keep.isEmpty()) {
          early.remove(en.getKey());
        } else if (keep.size() != en.getValue().size()) {
          early.put(en.getKey(), keep);
        }
      }
      write(nextOrphan, nextO);
    }
    long next =
        Math.min(orDefault(nextPending), Math.min(orDefault(nextTomb), orDefault(nextOrphan)));

    if (next == Long.MAX_VALUE) {
      timerAt.clear();
    } else {
      Instant at = new Instant(next);
      due.withOutputTimestamp(at).set(at);
      timerAt.write(next);
    }
    track(size, delta);
  }

  /** The next time a held primary needs the timer: its negative, else its release. */
  private long dueOf(Held held, long t) {
    return held.negEmitted ? rules.releaseAt(t) : Math.min(rules.negativeAt(t), rules.releaseAt(t));
  }

  /** Lowers a stored minimum to {@code t}; returns t. */
  private static long lower(ValueState<Long> min, long t) {
    Long m = min.read();
    if (m == null || t < m) {
      min.write(t);
    }
    return t;
  }

  private static long orDefault(ValueState<Long> min) {
    Long m = min.read();
    return m == null ? Long.MAX_VALUE : m;
  }

  private static void write(ValueState<Long> min, long t) {
    if (t == Long.MAX_VALUE) {
      min.clear();
    } else {
      min.write(t);
    }
  }

  private static void track(ValueState<Long> size, long delta) {
    Long s = size.read();
    long now = (s == null ? 0 : s) + delta;
    if (delta != 0) {
      STATE_ENTRIES.inc(delta);
      if (now == 0) {
        size.clear();
      } else {
        size.write(now);
      }
    }
    BUCKET_SIZE.update(now);
  }
}
