package io.ctrbeam.label;

import io.ctrbeam.label.LabelState.Due;
import io.ctrbeam.label.LabelState.DueKind;
import io.ctrbeam.label.LabelState.PendingPrimary;
import io.ctrbeam.label.LabelState.Slice;
import io.ctrbeam.label.LabelState.Tombstone;
import io.ctrbeam.schema.TrainingExample;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * The streaming outcome join, one key per hash bucket. A bucket keeps, per id, the primaries still
 * waiting ({@code pending}), the outcomes that came before their primary ({@code early}) and what
 * is left of decided primaries ({@code tombstones}). Every entry is also filed in a time index by
 * the second it is next due, and each second that holds entries has its own event-time timer (a
 * {@link TimerMap}): a firing reads only the entries of its second, so it costs O(entries due),
 * never a scan of the bucket. (Flink's {@code OrderedListState} rebuilds a sorted map of the whole
 * list on every read, so it is not used.)
 *
 * <p>Metrics: {@code state_entries} (live entries, and per kind {@code state_pending}, {@code
 * state_tombstones}, {@code state_early}) and the distribution {@code due_entries_per_firing}.
 */
final class StatefulLabelFn extends DoFn<KV<Integer, LabelEvent>, TrainingExample> {
  static final String PENDING = "pending";
  static final String EARLY = "early";
  static final String TOMBS = "tombstones";
  static final String INDEX = "dueIndex";
  static final String WATERMARK_SEEN = "watermarkSeen";
  static final String DUE = "due";
  /** The width of one slice of the time index, and so the finest timer granularity. */
  static final long SLICE_MS = 1000;

  private static final Counter STATE_ENTRIES = Metrics.counter(LabelRules.NAMESPACE, "state_entries");
  private static final Counter STATE_PENDING = Metrics.counter(LabelRules.NAMESPACE, "state_pending");
  private static final Counter STATE_TOMBS = Metrics.counter(LabelRules.NAMESPACE, "state_tombstones");
  private static final Counter STATE_EARLY = Metrics.counter(LabelRules.NAMESPACE, "state_early");
  private static final Distribution DUE_PER_FIRING =
      Metrics.distribution(LabelRules.NAMESPACE, "due_entries_per_firing");
  private static final Comparator<Outcome> BY_TIME =
      Comparator.comparingLong(Outcome::timeMs).thenComparing(Outcome::outcomeId);

  private final LabelRules rules;
  private final JoinOutputs tags;

  /** Primaries waiting for an outcome, by id, until their release time. */
  @StateId(PENDING)
  private final StateSpec<MapState<String, PendingPrimary>> pendingSpec =
      StateSpecs.map(StringUtf8Coder.of(), new LabelState.PendingPrimaryCoder());

  /** Outcomes processed before their primary, by primary id, until their orphan deadline. */
  @StateId(EARLY)
  private final StateSpec<MapState<String, List<Outcome>>> earlySpec =
      StateSpecs.map(StringUtf8Coder.of(), ListCoder.of(Outcome.OutcomeCoder.of()));

  /** Decided primaries, by id, until {@link LabelRules#tombstoneUntil}. */
  @StateId(TOMBS)
  private final StateSpec<MapState<String, Tombstone>> tombSpec =
      StateSpecs.map(StringUtf8Coder.of(), new LabelState.TombstoneCoder());

  /** The time index: slice start -> the entries due in that slice. */
  @StateId(INDEX)
  private final StateSpec<MapState<Long, Slice>> indexSpec =
      StateSpecs.map(VarLongCoder.of(), new LabelState.SliceCoder());

  /** The highest timer time fired: a lower bound of the watermark, for droppably late outcomes. */
  @StateId(WATERMARK_SEEN)
  private final StateSpec<ValueState<Long>> wmSpec = StateSpecs.value(VarLongCoder.of());

  /** One timer per slice of the index that holds entries, at its earliest due time. */
  @TimerFamily(DUE)
  private final TimerSpec dueSpec = TimerSpecs.timerMap(TimeDomain.EVENT_TIME);

  StatefulLabelFn(LabelRules rules, JoinOutputs tags) {
    this.rules = rules;
    this.tags = tags;
  }

  /** The state cells of one bucket, and the changes of one call to them. */
  private final class Bucket {
    final MapState<String, PendingPrimary> pending;
    final MapState<String, List<Outcome>> early;
    final MapState<String, Tombstone> tombs;
    final MapState<Long, Slice> index;
    final TimerMap timers;
    final JoinOutputs.Out out;
    final long floor;
    long dPending;
    long dTombs;
    long dEarly;

    Bucket(
        MapState<String, PendingPrimary> pending,
        MapState<String, List<Outcome>> early,
        MapState<String, Tombstone> tombs,
        MapState<Long, Slice> index,
        TimerMap timers,
        JoinOutputs.Out out,
        long floor) {
      this.pending = pending;
      this.early = early;
      this.tombs = tombs;
      this.index = index;
      this.timers = timers;
      this.out = out;
      this.floor = floor;
    }

    /** Files an entry under its slice; moves the slice's timer earlier when it must. */
    void file(DueKind kind, String id, long at) {
      long when = Math.max(at, floor);
      long slice = Math.floorDiv(when, SLICE_MS) * SLICE_MS;
      Slice s = index.get(slice).read();
      List<Due> entries = s == null ? new ArrayList<>(1) : new ArrayList<>(s.entries);
      long before = s == null ? Long.MAX_VALUE : s.earliest();
      entries.add(new Due(kind, id, when));
      index.put(slice, new Slice(entries));
      if (when < before) {
        Instant i = new Instant(when);
        timers.get(Long.toString(slice)).withOutputTimestamp(i).set(i);
      }
    }

    void tomb(String id, Tombstone t) {
      tombs.put(id, t);
      file(DueKind.TOMBSTONE, id, rules.tombstoneUntil(t.primaryTime));
    }

    void hold(String id, PendingPrimary h, long t) {
      pending.put(id, h);
      file(DueKind.PENDING, id, dueOf(h, t));
    }

    void track() {
      long d = dPending + dTombs + dEarly;
      if (d != 0) {
        STATE_ENTRIES.inc(d);
      }
      if (dPending != 0) {
        STATE_PENDING.inc(dPending);
      }
      if (dTombs != 0) {
        STATE_TOMBS.inc(dTombs);
      }
      if (dEarly != 0) {
        STATE_EARLY.inc(dEarly);
      }
    }
  }

  @ProcessElement
  public void process(
      @Element KV<Integer, LabelEvent> element,
      @Timestamp Instant ts,
      @StateId(PENDING) MapState<String, PendingPrimary> pending,
      @StateId(EARLY) MapState<String, List<Outcome>> early,
      @StateId(TOMBS) MapState<String, Tombstone> tombs,
      @StateId(INDEX) MapState<Long, Slice> index,
      @StateId(WATERMARK_SEEN) ValueState<Long> wmSeen,
      @TimerFamily(DUE) TimerMap timers,
      MultiOutputReceiver receiver) {
    Bucket b =
        new Bucket(pending, early, tombs, index, timers, tags.sink(receiver, ts), ts.getMillis());
    LabelEvent e = element.getValue();
    if (e.primary() != null) {
      onPrimary(b, e.primary(), ts.getMillis());
    } else {
      onOutcome(b, e.outcome(), wmSeen.read());
    }
    b.track();
  }

  /** A primary: refused if seen, else matched with the outcomes that came before it, or held. */
  private void onPrimary(Bucket b, TrainingExample row, long ts) {
    String id = row.getImpressionId();
    if (b.pending.get(id).read() != null || b.tombs.get(id).read() != null) {
      rules.duplicatePrimary(row, b.out, ts);
      return;
    }
    long t = rules.primaryTime(row);
    PendingPrimary held = new PendingPrimary(row, rules.mode() == LabelMode.FAKE_NEGATIVE);
    if (held.negEmitted) {
      rules.emitNegative(row, b.out);
    }
    Outcome first = null;
    List<Outcome> buffered = b.early.get(id).read();
    if (buffered != null) {
      b.early.remove(id);
      b.dEarly -= buffered.size();
      List<Outcome> sorted = new ArrayList<>(buffered);
      sorted.sort(BY_TIME);
      for (Outcome o : sorted) {
        if (rules.judge(t, o, first != null, b.out, o.timeMs()) == LabelRules.Verdict.VALID
            && first == null) {
          rules.emitPositive(row, o, b.out);
          first = o;
        }
      }
    }
    if (first != null) {
      b.tomb(id, new Tombstone(t, row.getEventTime().toEpochMilli(), 1, first));
      b.dTombs++;
    } else {
      b.hold(id, held, t);
      b.dPending++;
    }
  }

  /** An outcome: matched with its held primary, checked against its tombstone, or buffered. */
  private void onOutcome(Bucket b, Outcome o, Long wm) {
    String id = o.primaryId();
    PendingPrimary held = b.pending.get(id).read();
    if (held != null) {
      long t = rules.primaryTime(held.row);
      if (rules.judge(t, o, false, b.out, o.timeMs()) == LabelRules.Verdict.VALID) {
        rules.emitPositive(held.row, o, b.out);
        b.pending.remove(id);
        b.dPending--;
        b.tomb(id, new Tombstone(t, held.row.getEventTime().toEpochMilli(), 1, o));
        b.dTombs++;
      }
      return;
    }
    Tombstone tomb = b.tombs.get(id).read();
    if (tomb != null) {
      onDecided(b, id, tomb, o);
    } else if (wm != null
        && (rules.droppablyLate(o.timeMs(), wm) || rules.pastRelease(o.timeMs(), wm))) {
      rules.droppablyLate(o, b.out, o.timeMs());
    } else {
      List<Outcome> buffered = b.early.get(id).read();
      List<Outcome> next = buffered == null ? new ArrayList<>(1) : new ArrayList<>(buffered);
      next.add(o);
      b.early.put(id, next);
      b.dEarly++;
      b.file(DueKind.EARLY, id, rules.orphanAt(o.timeMs()));
    }
  }

  /**
   * An outcome on a decided primary. After a negative, a valid one is a late outcome: a
   * correction 0 -> 1. After a positive, a valid one earlier than the outcome that dated it
   * corrects the time (1 -> 1) and makes that outcome the duplicate, as in batch; others are
   * duplicates or out of the window.
   */
  private void onDecided(Bucket b, String id, Tombstone tomb, Outcome o) {
    if (tomb.label == 0) {
      if (rules.judge(tomb.primaryTime, o, false, b.out, o.timeMs()) == LabelRules.Verdict.VALID) {
        LabelRules.CorrectionKind kind = rules.updates() ? LabelRules.CorrectionKind.UPDATE : LabelRules.CorrectionKind.LATE_OUTCOME;
        b.out.correction(
            rules.correction(id, tomb.impressionTime, tomb.primaryTime, o, 0, kind), o.timeMs());
        b.tombs.put(id, tomb.positive(o));
      }
      return;
    }
    Outcome dated = tomb.positive;
    boolean earlier =
        dated != null
            && rules.classify(tomb.primaryTime, o.timeMs()) == LabelRules.Verdict.VALID
            && BY_TIME.compare(o, dated) < 0;
    if (earlier) {
      b.out.correction(
          rules.correction(
              id, tomb.impressionTime, tomb.primaryTime, o, 1, LabelRules.CorrectionKind.EARLIER_OUTCOME),
          o.timeMs());
      rules.duplicateOutcome(dated, b.out, dated.timeMs());
      b.tombs.put(id, tomb.positive(o));
    } else {
      rules.judge(tomb.primaryTime, o, true, b.out, o.timeMs());
    }
  }

  @OnTimerFamily(DUE)
  public void onDue(
      @TimerId String timerId,
      OnTimerContext ctx,
      @StateId(PENDING) MapState<String, PendingPrimary> pending,
      @StateId(EARLY) MapState<String, List<Outcome>> early,
      @StateId(TOMBS) MapState<String, Tombstone> tombs,
      @StateId(INDEX) MapState<Long, Slice> index,
      @StateId(WATERMARK_SEEN) ValueState<Long> wmSeen,
      @TimerFamily(DUE) TimerMap timers,
      MultiOutputReceiver receiver) {
    long f = ctx.fireTimestamp().getMillis();
    Long seen = wmSeen.read();
    wmSeen.write(seen == null ? f : Math.max(seen, f));
    Bucket b =
        new Bucket(pending, early, tombs, index, timers, tags.sink(receiver, ctx.timestamp()), f);
    long slice = Long.parseLong(timerId);
    Slice s = index.get(slice).read();
    if (s == null) {
      return;
    }
    List<Due> now = new ArrayList<>();
    List<Due> later = new ArrayList<>();
    for (Due d : s.entries) {
      (d.at <= f ? now : later).add(d);
    }
    DUE_PER_FIRING.update(now.size());
    if (later.isEmpty()) {
      index.remove(slice);
    } else {
      Slice rest = new Slice(later);
      index.put(slice, rest);
      Instant at = new Instant(rest.earliest());
      timers.get(timerId).withOutputTimestamp(at).set(at);
    }
    for (Due d : now) {
      switch (d.kind) {
        case PENDING:
          duePending(b, d.id, f);
          break;
        case TOMBSTONE:
          dueTomb(b, d.id, f);
          break;
        default:
          dueEarly(b, d.id, f);
      }
    }
    b.track();
  }

  /** A held primary whose negative or release is due. */
  private void duePending(Bucket b, String id, long f) {
    PendingPrimary held = b.pending.get(id).read();
    if (held == null) {
      return;
    }
    long t = rules.primaryTime(held.row);
    boolean neg = held.negEmitted;
    if (!neg && rules.negativeAt(t) <= f) {
      rules.emitNegative(held.row, b.out);
      neg = true;
    }
    if (rules.releaseAt(t) <= f) {
      b.pending.remove(id);
      b.dPending--;
      if (rules.mode() != LabelMode.FAKE_NEGATIVE) {
        b.tomb(id, new Tombstone(t, held.row.getEventTime().toEpochMilli(), 0, null));
        b.dTombs++;
      }
    } else {
      PendingPrimary next = neg == held.negEmitted ? held : new PendingPrimary(held.row, true);
      b.hold(id, next, t);
    }
  }

  private void dueTomb(Bucket b, String id, long f) {
    Tombstone tomb = b.tombs.get(id).read();
    if (tomb != null && rules.tombstoneUntil(tomb.primaryTime) <= f) {
      b.tombs.remove(id);
      b.dTombs--;
    }
  }

  /** Buffered outcomes whose primary never came by their orphan deadline. */
  private void dueEarly(Bucket b, String id, long f) {
    List<Outcome> buffered = b.early.get(id).read();
    if (buffered == null) {
      return;
    }
    List<Outcome> keep = new ArrayList<>();
    for (Outcome o : buffered) {
      long orphanAt = rules.orphanAt(o.timeMs());
      if (orphanAt <= f) {
        rules.orphan(o, b.out, orphanAt);
        b.dEarly--;
      } else {
        keep.add(o);
      }
    }
    if (keep.isEmpty()) {
      b.early.remove(id);
    } else if (keep.size() != buffered.size()) {
      b.early.put(id, keep);
    }
  }

  /** The next time a held primary needs the timer: its negative, else its release. */
  private long dueOf(PendingPrimary held, long t) {
    return held.negEmitted ? rules.releaseAt(t) : Math.min(rules.negativeAt(t), rules.releaseAt(t));
  }
}
