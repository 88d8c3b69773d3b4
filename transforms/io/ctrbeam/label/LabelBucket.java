package io.ctrbeam.label;

import io.ctrbeam.label.LabelState.Due;
import io.ctrbeam.label.LabelState.DueKind;
import io.ctrbeam.label.LabelState.PendingPrimary;
import io.ctrbeam.label.LabelState.Slice;
import io.ctrbeam.label.LabelState.Tombstone;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.TimerMap;
import org.joda.time.Instant;

/**
 * The state cells of one bucket of {@link StatefulLabelFn} during one call (an element or a timer
 * firing), the time index over them, and the changes of entry counts the call makes.
 */
final class LabelBucket {
  /** The width of one slice of the time index, and so the finest timer granularity. */
  static final long SLICE_MS = 1000;

  private static final Counter STATE_ENTRIES = counter("state_entries");
  private static final Counter STATE_PENDING = counter("state_pending");
  private static final Counter STATE_TOMBSTONES = counter("state_tombstones");
  private static final Counter STATE_EARLY = counter("state_early");

  private final LabelRules rules;
  final MapState<String, PendingPrimary> pending;
  final MapState<String, List<Outcome>> early;
  final MapState<String, Tombstone> tombstones;
  private final MapState<Long, Slice> index;
  private final TimerMap timers;
  final JoinOutputs.Out out;

  /** The element's or timer's time: nothing is filed earlier. */
  private final long floor;

  long dPending;
  long dTombstones;
  long dEarly;

  LabelBucket(
      LabelRules rules,
      MapState<String, PendingPrimary> pending,
      MapState<String, List<Outcome>> early,
      MapState<String, Tombstone> tombstones,
      MapState<Long, Slice> index,
      TimerMap timers,
      JoinOutputs.Out out,
      Instant floor) {
    this.rules = rules;
    this.pending = pending;
    this.early = early;
    this.tombstones = tombstones;
    this.index = index;
    this.timers = timers;
    this.out = out;
    this.floor = floor.getMillis();
  }

  private static Counter counter(String name) {
    return Metrics.counter(LabelRules.NAMESPACE, name);
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

  /**
   * Removes the entries due by {@code f} from the slice of timer {@code timerId} and returns them;
   * the rest stay, with the timer reset to the earliest of them.
   */
  List<Due> takeDue(String timerId, long f) {
    long slice = Long.parseLong(timerId);
    Slice s = index.get(slice).read();
    if (s == null) {
      return List.of();
    }
    List<Due> now = new ArrayList<>();
    List<Due> later = new ArrayList<>();
    for (Due d : s.entries) {
      (d.at <= f ? now : later).add(d);
    }
    if (later.isEmpty()) {
      index.remove(slice);
    } else {
      Slice rest = new Slice(later);
      index.put(slice, rest);
      Instant at = new Instant(rest.earliest());
      timers.get(timerId).withOutputTimestamp(at).set(at);
    }
    return now;
  }

  /** Keeps a decided primary's tombstone and files its expiry. */
  void putTombstone(String id, Tombstone t) {
    tombstones.put(id, t);
    file(DueKind.TOMBSTONE, id, rules.tombstoneUntil(t.primaryTime));
  }

  /** Keeps a pending primary and files its next due time: its negative, else its release. */
  void putPending(String id, PendingPrimary p, long primaryTime) {
    pending.put(id, p);
    long due =
        p.negEmitted
            ? rules.releaseAt(primaryTime)
            : Math.min(rules.negativeAt(primaryTime), rules.releaseAt(primaryTime));
    file(DueKind.PENDING, id, due);
  }

  /** Reports this call's changes of the entry counts to the state metrics. */
  void track() {
    long d = dPending + dTombstones + dEarly;
    if (d != 0) {
      STATE_ENTRIES.inc(d);
    }
    if (dPending != 0) {
      STATE_PENDING.inc(dPending);
    }
    if (dTombstones != 0) {
      STATE_TOMBSTONES.inc(dTombstones);
    }
    if (dEarly != 0) {
      STATE_EARLY.inc(dEarly);
    }
  }
}
