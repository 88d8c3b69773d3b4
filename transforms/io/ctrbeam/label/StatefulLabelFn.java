package io.ctrbeam.label;

import io.ctrbeam.label.LabelState.Due;
import io.ctrbeam.label.LabelState.DueKind;
import io.ctrbeam.label.LabelState.EntityKeys;
import io.ctrbeam.label.LabelState.PendingPrimary;
import io.ctrbeam.label.LabelState.Slice;
import io.ctrbeam.label.LabelState.Tombstone;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
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
  static final String TOMBSTONES = "tombstones";
  static final String INDEX = "dueIndex";
  static final String WATERMARK_SEEN = "watermarkSeen";
  static final String DUE = "due";

  private static final Distribution DUE_PER_FIRING =
      Metrics.distribution(LabelRules.NAMESPACE, "due_entries_per_firing");
  private static final Comparator<Outcome> BY_TIME =
      Comparator.comparingLong(Outcome::timeMs).thenComparing(Outcome::outcomeId);

  private final LabelRules rules;
  private final JoinOutputs outputs;

  /** Primaries waiting for an outcome, by id, until their release time. */
  @StateId(PENDING)
  private final StateSpec<MapState<String, PendingPrimary>> pendingSpec =
      StateSpecs.map(StringUtf8Coder.of(), new LabelState.PendingPrimaryCoder());

  /** Outcomes processed before their primary, by primary id, until their orphan deadline. */
  @StateId(EARLY)
  private final StateSpec<MapState<String, List<Outcome>>> earlySpec =
      StateSpecs.map(StringUtf8Coder.of(), ListCoder.of(Outcome.OutcomeCoder.of()));

  /** Decided primaries, by id, until {@link LabelRules#tombstoneUntil}. */
  @StateId(TOMBSTONES)
  private final StateSpec<MapState<String, Tombstone>> tombstonesSpec =
      StateSpecs.map(StringUtf8Coder.of(), new LabelState.TombstoneCoder());

  /** The time index: slice start -> the entries (pending, tombstone, early) due in that slice. */
  @StateId(INDEX)
  private final StateSpec<MapState<Long, Slice>> indexSpec =
      StateSpecs.map(VarLongCoder.of(), new LabelState.SliceCoder());

  /** The highest timer time fired: a lower bound of the watermark, for droppably late outcomes. */
  @StateId(WATERMARK_SEEN)
  private final StateSpec<ValueState<Long>> watermarkSeenSpec = StateSpecs.value(VarLongCoder.of());

  /** One timer per slice of the index that holds entries, at its earliest due time. */
  @TimerFamily(DUE)
  private final TimerSpec dueSpec = TimerSpecs.timerMap(TimeDomain.EVENT_TIME);

  StatefulLabelFn(LabelRules rules, JoinOutputs outputs) {
    this.rules = rules;
    this.outputs = outputs;
  }

  @ProcessElement
  public void process(
      @Element KV<Integer, LabelEvent> element,
      @Timestamp Instant ts,
      @StateId(PENDING) MapState<String, PendingPrimary> pending,
      @StateId(EARLY) MapState<String, List<Outcome>> early,
      @StateId(TOMBSTONES) MapState<String, Tombstone> tombstones,
      @StateId(INDEX) MapState<Long, Slice> index,
      @StateId(WATERMARK_SEEN) ValueState<Long> watermarkSeen,
      @TimerFamily(DUE) TimerMap timers,
      MultiOutputReceiver receiver) {
    LabelBucket b =
        new LabelBucket(
            rules, pending, early, tombstones, index, timers, outputs.sink(receiver, ts), ts);
    LabelEvent e = element.getValue();
    if (e.primary() != null) {
      onPrimary(b, e.primary(), ts.getMillis());
    } else {
      onOutcome(b, e.outcome(), watermarkSeen.read());
    }
    b.track();
  }

  /** A primary: refused if seen, else matched with the outcomes buffered for it, or kept. */
  private void onPrimary(LabelBucket b, TrainingExample row, long ts) {
    String id = row.getImpressionId();
    if (b.pending.get(id).read() != null || b.tombstones.get(id).read() != null) {
      rules.duplicatePrimary(row, b.out, ts);
      return;
    }
    long t = rules.primaryTime(row);
    PendingPrimary pending = new PendingPrimary(row, rules.mode() == LabelMode.FAKE_NEGATIVE);
    if (pending.negEmitted) {
      rules.emitNegative(row, b.out);
    }
    Outcome first = matchEarlyOutcomes(b, row, t);
    if (first != null) {
      b.putTombstone(id, decided(t, row, 1, first));
      b.dTombstones++;
    } else {
      b.putPending(id, pending, t);
      b.dPending++;
    }
  }

  /**
   * Judges the outcomes buffered for a new primary in time order and emits the positive of the
   * first valid one, which it returns (null if none); the buffer is dropped.
   */
  private Outcome matchEarlyOutcomes(LabelBucket b, TrainingExample row, long t) {
    String id = row.getImpressionId();
    List<Outcome> buffered = b.early.get(id).read();
    if (buffered == null) {
      return null;
    }
    b.early.remove(id);
    b.dEarly -= buffered.size();
    List<Outcome> sorted = new ArrayList<>(buffered);
    sorted.sort(BY_TIME);
    Outcome first = null;
    for (Outcome o : sorted) {
      if (rules.judge(t, o, first != null, b.out, o.timeMs()) == LabelRules.Verdict.VALID
          && first == null) {
        rules.emitPositive(row, o, b.out);
        first = o;
      }
    }
    return first;
  }

  /** An outcome: matched with its pending primary, checked against its tombstone, or buffered. */
  private void onOutcome(LabelBucket b, Outcome o, Long watermarkSeen) {
    String id = o.primaryId();
    PendingPrimary pending = b.pending.get(id).read();
    if (pending != null) {
      onPending(b, id, pending, o);
      return;
    }
    Tombstone tombstone = b.tombstones.get(id).read();
    if (tombstone != null) {
      onDecided(b, id, tombstone, o);
    } else if (watermarkSeen != null
        && (rules.droppablyLate(o.timeMs(), watermarkSeen)
            || rules.pastRelease(o.timeMs(), watermarkSeen))) {
      rules.droppablyLate(o, b.out, o.timeMs());
    } else {
      bufferEarly(b, id, o);
    }
  }

  /** An outcome on a pending primary: a valid one makes the positive and decides the primary. */
  private void onPending(LabelBucket b, String id, PendingPrimary pending, Outcome o) {
    long t = rules.primaryTime(pending.row);
    if (rules.judge(t, o, false, b.out, o.timeMs()) == LabelRules.Verdict.VALID) {
      rules.emitPositive(pending.row, o, b.out);
      b.pending.remove(id);
      b.dPending--;
      b.putTombstone(id, decided(t, pending.row, 1, o));
      b.dTombstones++;
    }
  }

  /** An outcome whose primary is not here (yet): kept until its orphan deadline. */
  private void bufferEarly(LabelBucket b, String id, Outcome o) {
    List<Outcome> buffered = b.early.get(id).read();
    List<Outcome> next = buffered == null ? new ArrayList<>(1) : new ArrayList<>(buffered);
    next.add(o);
    b.early.put(id, next);
    b.dEarly++;
    b.file(DueKind.EARLY, id, rules.orphanAt(o.timeMs()));
  }

  /**
   * An outcome on a decided primary. After a negative, a valid one is a late outcome: a correction
   * 0 -> 1. After a positive, a valid one earlier than the outcome that dated it corrects the time
   * (1 -> 1) and makes that outcome the duplicate, as in batch; others are duplicates or out of the
   * window.
   */
  private void onDecided(LabelBucket b, String id, Tombstone tombstone, Outcome o) {
    long t = tombstone.primaryTime;
    if (tombstone.label == 0) {
      if (rules.judge(t, o, false, b.out, o.timeMs()) == LabelRules.Verdict.VALID) {
        LabelRules.CorrectionKind kind =
            rules.updates()
                ? LabelRules.CorrectionKind.UPDATE
                : LabelRules.CorrectionKind.LATE_OUTCOME;
        b.out.correction(
            touching(rules.correction(id, tombstone.impressionTime, t, o, 0, kind), tombstone),
            o.timeMs());
        b.tombstones.put(id, tombstone.positive(o));
      }
      return;
    }
    Outcome dated = tombstone.positive;
    boolean earlier =
        dated != null
            && rules.classify(t, o.timeMs()) == LabelRules.Verdict.VALID
            && BY_TIME.compare(o, dated) < 0;
    if (earlier) {
      LabelRules.CorrectionKind kind = LabelRules.CorrectionKind.EARLIER_OUTCOME;
      b.out.correction(
          touching(rules.correction(id, tombstone.impressionTime, t, o, 1, kind), tombstone),
          o.timeMs());
      rules.duplicateOutcome(dated, b.out, dated.timeMs());
      b.tombstones.put(id, tombstone.positive(o));
    } else {
      rules.judge(t, o, true, b.out, o.timeMs());
    }
  }

  /** The correction with the keys it touches and, after a positive, the time it replaces. */
  private static LabelCorrection touching(LabelCorrection c, Tombstone tombstone) {
    Outcome dated = tombstone.positive;
    return LabelCorrection.newBuilder(c)
        .setPreviousOutcomeTime(
            dated == null ? null : java.time.Instant.ofEpochMilli(dated.timeMs()))
        .setUserId(tombstone.keys.user())
        .setAdId(tombstone.keys.ad())
        .setAdvertiserId(tombstone.keys.advertiser())
        .setAdCategory(tombstone.keys.category())
        .build();
  }

  /** The tombstone of a primary decided with {@code label} (dated by {@code o} when 1). */
  private static Tombstone decided(long t, TrainingExample row, int label, Outcome o) {
    return new Tombstone(t, row.getEventTime().toEpochMilli(), label, o, EntityKeys.of(row));
  }

  @OnTimerFamily(DUE)
  public void onDue(
      @TimerId String timerId,
      OnTimerContext ctx,
      @StateId(PENDING) MapState<String, PendingPrimary> pending,
      @StateId(EARLY) MapState<String, List<Outcome>> early,
      @StateId(TOMBSTONES) MapState<String, Tombstone> tombstones,
      @StateId(INDEX) MapState<Long, Slice> index,
      @StateId(WATERMARK_SEEN) ValueState<Long> watermarkSeen,
      @TimerFamily(DUE) TimerMap timers,
      MultiOutputReceiver receiver) {
    long f = ctx.fireTimestamp().getMillis();
    Long seen = watermarkSeen.read();
    watermarkSeen.write(seen == null ? f : Math.max(seen, f));
    LabelBucket b =
        new LabelBucket(
            rules,
            pending,
            early,
            tombstones,
            index,
            timers,
            outputs.sink(receiver, ctx.timestamp()),
            ctx.fireTimestamp());
    List<Due> now = b.takeDue(timerId, f);
    DUE_PER_FIRING.update(now.size());
    for (Due d : now) {
      switch (d.kind) {
        case PENDING:
          duePending(b, d.id, f);
          break;
        case TOMBSTONE:
          dueTombstone(b, d.id, f);
          break;
        default:
          dueEarly(b, d.id, f);
      }
    }
    b.track();
  }

  /** A pending primary whose negative or release is due. */
  private void duePending(LabelBucket b, String id, long f) {
    PendingPrimary pending = b.pending.get(id).read();
    if (pending == null) {
      return;
    }
    long t = rules.primaryTime(pending.row);
    boolean neg = pending.negEmitted;
    if (!neg && rules.negativeAt(t) <= f) {
      rules.emitNegative(pending.row, b.out);
      neg = true;
    }
    if (rules.releaseAt(t) <= f) {
      b.pending.remove(id);
      b.dPending--;
      if (rules.mode() != LabelMode.FAKE_NEGATIVE) {
        b.putTombstone(id, decided(t, pending.row, 0, null));
        b.dTombstones++;
      }
    } else {
      PendingPrimary next =
          neg == pending.negEmitted ? pending : new PendingPrimary(pending.row, true);
      b.putPending(id, next, t);
    }
  }

  /** A tombstone whose expiry is due. */
  private void dueTombstone(LabelBucket b, String id, long f) {
    Tombstone tombstone = b.tombstones.get(id).read();
    if (tombstone != null && rules.tombstoneUntil(tombstone.primaryTime) <= f) {
      b.tombstones.remove(id);
      b.dTombstones--;
    }
  }

  /** Buffered outcomes whose primary never came by their orphan deadline. */
  private void dueEarly(LabelBucket b, String id, long f) {
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
}
