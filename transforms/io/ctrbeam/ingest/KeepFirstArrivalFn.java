package io.ctrbeam.ingest;

import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.DueIndex;
import io.ctrbeam.common.Provenance;
import io.ctrbeam.common.Reason;
import java.util.List;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Unbounded: per bucket, remembers ids until the watermark passes their expiry. Each id is also
 * filed in a {@link DueIndex} by its expiry, in slices of {@link #gcSliceMillis} with one GC timer
 * per slice that holds ids: a GC firing reads only the ids of its slice, never the bucket. Metric:
 * {@code dedup_gc_ids_per_firing} (namespace {@value IngestMetrics#NAMESPACE}).
 */
final class KeepFirstArrivalFn<T extends SpecificRecord> extends DoFn<KV<Integer, T>, T> {
  static final String SEEN = "seen";
  static final String GC_HEADS = "gcHeads";
  static final String GC_CHUNKS = "gcChunks";
  static final String GC = "gc";
  private static final Distribution GC_PER_FIRING =
      Metrics.distribution(IngestMetrics.NAMESPACE, "dedup_gc_ids_per_firing");

  @StateId(SEEN)
  private final StateSpec<MapState<String, Long>> seenSpec =
      StateSpecs.map(StringUtf8Coder.of(), VarLongCoder.of());

  @StateId(GC_HEADS)
  private final StateSpec<MapState<Long, KV<Long, Long>>> gcHeadsSpec;

  @StateId(GC_CHUNKS)
  private final StateSpec<MapState<String, List<String>>> gcChunksSpec;

  /** One event-time timer per slice of the GC index that holds ids. */
  @TimerFamily(GC)
  private final TimerSpec gcSpec = DueIndex.timerSpec();

  private final DueIndex<String> gcIndex;
  private final RecordKind<T> kind;
  private final long horizonMillis;
  private final TupleTag<T> recordsTag;
  private final Counter duplicates;
  private transient Provenance.Slots slots;
  private transient boolean dropProvenance;

  KeepFirstArrivalFn(RecordKind<T> kind, long horizonMillis, TupleTag<T> recordsTag) {
    this.kind = kind;
    this.horizonMillis = horizonMillis;
    this.recordsTag = recordsTag;
    this.duplicates = DeadLetters.counter(kind.name(), Reason.DUPLICATE_ID);
    this.gcIndex = DueIndex.of(StringUtf8Coder.of(), gcSliceMillis(horizonMillis), GC_PER_FIRING);
    this.gcHeadsSpec = gcIndex.headsSpec();
    this.gcChunksSpec = gcIndex.chunksSpec();
  }

  /**
   * The GC slice: 1/1440 of the horizon (1 min at 24 h), at least 1 s. An id is collected at most
   * one slice after its expiry; until then it is still recognised.
   */
  static long gcSliceMillis(long horizonMillis) {
    return Math.max(1000, horizonMillis / 1440);
  }

  @Setup
  public void setup() {
    slots = Provenance.Slots.of(kind.fullSchema());
    dropProvenance = DeduplicateIds.dropsProvenance(slots, kind.fullSchema());
  }

  @ProcessElement
  public void process(
      @Element KV<Integer, T> element,
      @Timestamp Instant timestamp,
      @StateId(SEEN) MapState<String, Long> seen,
      @StateId(GC_HEADS) MapState<Long, KV<Long, Long>> gcHeads,
      @StateId(GC_CHUNKS) MapState<String, List<String>> gcChunks,
      @TimerFamily(GC) TimerMap gc,
      MultiOutputReceiver out) {
    T r = element.getValue();
    String id = kind.id(r);
    long t = kind.eventTime(r).toEpochMilli();
    Long expiry = seen.get(id).read();
    if (expiry != null && t < expiry) {
      out.get(DeadLetters.TAG)
          .output(DeduplicateIds.duplicate(kind, slots, r, expiry - horizonMillis));
      duplicates.inc();
      return;
    }
    long newExpiry = t + horizonMillis;
    seen.put(id, newExpiry);
    out.get(recordsTag).output(dropProvenance ? withoutProvenance(r) : r);
    // The hold sits at the slice end: the watermark may advance up to it in any case.
    gcIndex.add(
        new DueIndex.Cells<>(gcHeads, gcChunks, gc),
        Math.max(newExpiry, timestamp.getMillis()),
        id);
  }

  /**
   * A shallow copy without provenance: the input element is not ours to change, and its field
   * values (strings, boxed numbers, instants) are immutable, so they are shared, not copied.
   */
  @SuppressWarnings("unchecked")
  private T withoutProvenance(T r) {
    IndexedRecord in = (IndexedRecord) r;
    if (slots.source(in) == null && slots.offset(in) == null) {
      return r;
    }
    IndexedRecord copy = (IndexedRecord) SpecificData.get().newRecord(null, kind.fullSchema());
    for (int i = 0; i < kind.fullSchema().getFields().size(); i++) {
      copy.put(i, in.get(i));
    }
    slots.clear(copy);
    return (T) copy;
  }

  /** Removes the ids of the fired slice whose expiry has passed (not those kept again since). */
  @OnTimerFamily(GC)
  public void collect(
      @TimerId String timerId,
      OnTimerContext c,
      @StateId(SEEN) MapState<String, Long> seen,
      @StateId(GC_HEADS) MapState<Long, KV<Long, Long>> gcHeads,
      @StateId(GC_CHUNKS) MapState<String, List<String>> gcChunks,
      @TimerFamily(GC) TimerMap gc) {
    long now = c.fireTimestamp().getMillis();
    for (String id : gcIndex.take(new DueIndex.Cells<>(gcHeads, gcChunks, gc), timerId)) {
      Long expiry = seen.get(id).read();
      if (expiry != null && expiry <= now) {
        seen.remove(id);
      }
    }
  }
}
