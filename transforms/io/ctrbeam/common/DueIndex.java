package io.ctrbeam.common;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * A time index for a stateful DoFn, so that a timer firing costs O(entries due), never a scan of
 * the key's state. Entries are filed by the time they are due into slices of {@code sliceMillis}; a
 * slice is named by its end, and each slice that holds entries has one event-time timer of its own
 * (a {@link TimerMap}) at that end. A firing takes the entries of its slice and nothing else. A
 * slice's entries are kept in chunks of at most {@value #CHUNK}, so that filing an entry rewrites
 * one small chunk and a head (count, hold), not the slice.
 *
 * <p>The timer's output timestamp (its watermark hold) is the slice end, or, with {@link
 * #holdingAtEarliest()}, the earliest due time filed in the slice, so that a firing may output at
 * each entry's own due time. (Flink's {@code OrderedListState} rebuilds a sorted map of the whole
 * list on each read and keeps one value per timestamp, so it is not used.)
 *
 * <p>Each firing reports the number of entries it took to the given distribution.
 */
public final class DueIndex<V> implements Serializable {
  /** The most entries per stored chunk of a slice. */
  public static final int CHUNK = 64;

  private final Coder<V> coder;
  private final long sliceMillis;
  private final boolean holdAtEarliest;
  private final Distribution perFiring;

  private DueIndex(
      Coder<V> coder, long sliceMillis, boolean holdAtEarliest, Distribution perFiring) {
    checkArgument(sliceMillis >= 1, "sliceMillis must be positive, got %s", sliceMillis);
    this.coder = coder;
    this.sliceMillis = sliceMillis;
    this.holdAtEarliest = holdAtEarliest;
    this.perFiring = perFiring;
  }

  /** An index of slices {@code sliceMillis} wide; each firing's entries go to {@code perFiring}. */
  public static <V> DueIndex<V> of(Coder<V> coder, long sliceMillis, Distribution perFiring) {
    return new DueIndex<>(coder, sliceMillis, false, perFiring);
  }

  /** Holds the watermark at the earliest due time of a slice rather than at its end. */
  public DueIndex<V> holdingAtEarliest() {
    return new DueIndex<>(coder, sliceMillis, true, perFiring);
  }

  public long sliceMillis() {
    return sliceMillis;
  }

  /** Slice end -> (entries filed, hold). */
  public StateSpec<MapState<Long, KV<Long, Long>>> headsSpec() {
    return StateSpecs.map(VarLongCoder.of(), KvCoder.of(VarLongCoder.of(), VarLongCoder.of()));
  }

  /** {@link #chunkKey} -> up to {@value #CHUNK} entries. */
  public StateSpec<MapState<String, List<V>>> chunksSpec() {
    return StateSpecs.map(StringUtf8Coder.of(), ListCoder.of(coder));
  }

  /** The timer family: one event-time timer per slice, named by the slice end. */
  public static TimerSpec timerSpec() {
    return TimerSpecs.timerMap(TimeDomain.EVENT_TIME);
  }

  /** The state cells and timers of one key for one call. */
  public static final class Cells<V> {
    final MapState<Long, KV<Long, Long>> heads;
    final MapState<String, List<V>> chunks;
    final TimerMap timers;

    public Cells(
        MapState<Long, KV<Long, Long>> heads, MapState<String, List<V>> chunks, TimerMap timers) {
      this.heads = heads;
      this.chunks = chunks;
      this.timers = timers;
    }
  }

  /** The end of the slice that holds time t: its timer fires there, at or after t. */
  public long sliceEnd(long t) {
    return Math.floorDiv(t + sliceMillis - 1, sliceMillis) * sliceMillis;
  }

  /**
   * Files an entry due at {@code at}. The caller keeps {@code at} at or after the element's
   * timestamp (or the firing timer's output timestamp), as Beam requires of a timer's hold.
   */
  public void add(Cells<V> c, long at, V value) {
    long slice = sliceEnd(at);
    KV<Long, Long> head = c.heads.get(slice).read();
    long n = head == null ? 0 : head.getKey();
    long hold = !holdAtEarliest ? slice : head == null ? at : Math.min(head.getValue(), at);
    String key = chunkKey(slice, n / CHUNK);
    List<V> chunk = new ArrayList<>(1);
    if (n % CHUNK != 0) {
      List<V> old = c.chunks.get(key).read();
      if (old != null) {
        chunk = new ArrayList<>(old);
      }
    }
    chunk.add(value);
    c.chunks.put(key, chunk);
    c.heads.put(slice, KV.of(n + 1, hold));
    if (head == null || hold < head.getValue()) {
      c.timers
          .get(Long.toString(slice))
          .withOutputTimestamp(new Instant(hold))
          .set(new Instant(slice));
    }
  }

  /** Takes (reads and removes) every entry of the slice whose timer fired, in filing order. */
  public List<V> take(Cells<V> c, String timerId) {
    long slice = Long.parseLong(timerId);
    KV<Long, Long> head = c.heads.get(slice).read();
    List<V> out = new ArrayList<>();
    if (head != null) {
      long chunks = (head.getKey() + CHUNK - 1) / CHUNK;
      List<ReadableState<List<V>>> reads = new ArrayList<>();
      for (long i = 0; i < chunks; i++) {
        reads.add(c.chunks.get(chunkKey(slice, i)).readLater());
      }
      for (int i = 0; i < reads.size(); i++) {
        List<V> part = reads.get(i).read();
        if (part != null) {
          out.addAll(part);
        }
        c.chunks.remove(chunkKey(slice, i));
      }
      c.heads.remove(slice);
    }
    perFiring.update(out.size());
    return out;
  }

  static String chunkKey(long slice, long chunk) {
    return slice + "/" + chunk;
  }
}
