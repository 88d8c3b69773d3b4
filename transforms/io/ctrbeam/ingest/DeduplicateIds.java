package io.ctrbeam.ingest;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.BatchGrouping;
import io.ctrbeam.common.Buckets;
import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.GroupByBucket;
import io.ctrbeam.common.Provenance;
import io.ctrbeam.common.Reason;
import io.ctrbeam.common.RecordJson;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.Impression;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Refuses records whose id (impression_id, click_id, conversion_id) was seen before, as
 * DUPLICATE_ID dead letters. An id is remembered for a horizon of event time (default 24 h) after
 * the event time of the record that was kept: a record with the same id and an event time before
 * that expiry is a duplicate, a later one starts a new horizon.
 *
 * <p>Records are keyed by {@link io.ctrbeam.common.Buckets#of} of their id (default 64 buckets),
 * never by id, so the runner handles at most {@code buckets} keys.
 *
 * <ul>
 *   <li><b>Bounded input</b>: a GroupByKey by bucket, then per id the records in event-time order
 *       (ties broken by their Avro encoding): the earliest is kept. No timers.
 *   <li><b>Unbounded input</b>: a stateful DoFn per bucket holds {@code MapState<id, expiry>} and
 *       files each id by its expiry in a time index with one event-time GC timer per slice of
 *       1/1440 of the horizon (1 min at 24 h); a firing removes the ids of its slice whose expiry
 *       the watermark has passed, reading no other. The first ARRIVAL wins: a duplicate that
 *       arrives first with a later event time is kept and the earlier one refused. A duplicate that
 *       arrives after its id was collected (later than the watermark passing the expiry) is not
 *       recognised.
 * </ul>
 *
 * Both agree when records arrive in event-time order and within the horizon of the watermark. Dedup
 * is per window; apply it in the global window (as {@link IngestRecords} does).
 *
 * <p>A DUPLICATE_ID dead letter carries the refused record's own source and offset (file and line,
 * or topic-partition and offset, from its {@link Provenance} fields) and its raw input: the JSON
 * line or Avro payload as read for clicks and conversions, the record re-rendered as a §1 JSON line
 * for impressions (they carry no raw text). Kept impressions leave without provenance.
 */
public final class DeduplicateIds<T extends SpecificRecord>
    extends PTransform<PCollection<T>, IngestResult<T>> {
  /** The source of DUPLICATE_ID dead letters. */
  public static final String DEAD_LETTER_SOURCE = "DeduplicateIds";

  private final RecordKind<T> kind;
  private final int buckets;
  private final Duration horizon;

  private DeduplicateIds(RecordKind<T> kind, int buckets, Duration horizon) {
    this.kind = kind;
    this.buckets = buckets;
    this.horizon = horizon;
  }

  /** Dedups a kind that has an id field. */
  public static <T extends SpecificRecord> DeduplicateIds<T> of(RecordKind<T> kind) {
    checkArgument(
        kind != null && kind.idField() != null,
        "only records with an id can be deduplicated, got %s",
        kind);
    return new DeduplicateIds<>(kind, 64, Duration.standardHours(24));
  }

  public static DeduplicateIds<Impression> impressions() {
    return of(RecordKind.IMPRESSION);
  }

  public static DeduplicateIds<Click> clicks() {
    return of(RecordKind.CLICK);
  }

  public static DeduplicateIds<Conversion> conversions() {
    return of(RecordKind.CONVERSION);
  }

  /** The number of hash buckets, i.e. keys (default 64, at least 1). */
  public DeduplicateIds<T> withBuckets(int buckets) {
    checkArgument(buckets >= 1, "buckets must be at least 1, got %s", buckets);
    return new DeduplicateIds<>(kind, buckets, horizon);
  }

  /** How long after a kept record's event time its id is remembered (default 24 h, positive). */
  public DeduplicateIds<T> withHorizon(Duration horizon) {
    checkArgument(
        horizon != null && horizon.isLongerThan(Duration.ZERO),
        "horizon must be positive, got %s",
        horizon);
    return new DeduplicateIds<>(kind, buckets, horizon);
  }

  @Override
  public IngestResult<T> expand(PCollection<T> input) {
    TupleTag<T> recordsTag = new TupleTag<>("unique" + kind.stepSuffix());
    int b = buckets;
    RecordKind<T> k = kind;
    PCollection<KV<Integer, T>> keyed =
        input
            .apply(
                "BucketById",
                WithKeys.of((SerializableFunction<T, Integer>) r -> Buckets.of(k.id(r), b))
                    .withKeyType(TypeDescriptors.integers()))
            .setCoder(KvCoder.of(VarIntCoder.of(), kind.coder()));
    PCollectionTuple out;
    if (input.isBounded() == PCollection.IsBounded.BOUNDED) {
      out =
          keyed
              .apply("EncodeRecords", ParDo.of(new EncodeFn<>(kind)))
              .setCoder(KvCoder.of(VarIntCoder.of(), ByteArrayCoder.of()))
              // End-of-window group timestamps (one sort on Flink, BatchGrouping); KeepEarliestFn
              // restamps each record with its event time, and no later grouping dates its output
              // by its inputs' timestamps.
              .apply("GroupByBucket", GroupByBucket.create())
              .apply(
                  "KeepEarliest",
                  ParDo.of(new KeepEarliestFn<>(kind, horizon.getMillis(), recordsTag))
                      .withOutputTags(recordsTag, TupleTagList.of(DeadLetters.TAG)));
    } else {
      out =
          keyed.apply(
              "KeepFirstArrival",
              ParDo.of(new KeepFirstArrivalFn<>(kind, horizon.getMillis(), recordsTag))
                  .withOutputTags(recordsTag, TupleTagList.of(DeadLetters.TAG)));
    }
    out.get(recordsTag).setCoder(kind.coder());
    out.get(DeadLetters.TAG).setCoder(AvroCoder.specific(DeadLetter.class));
    return IngestResult.of(out, recordsTag);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("recordType", kind.name()).withLabel("Record type"))
        .add(DisplayData.item("idField", kind.idField()).withLabel("Id field"))
        .add(DisplayData.item("buckets", buckets).withLabel("Hash buckets (keys)"))
        .add(DisplayData.item("horizon", horizon).withLabel("Dedup horizon (event time)"));
  }

  /**
   * The DUPLICATE_ID dead letter of a refused record: its own source and offset, and its raw input
   * (the line or payload as read for clicks and conversions; impressions carry no raw text, so
   * theirs is the record re-rendered as a §1 JSON line). Records that did not come through
   * ParseRecords get source {@value #DEAD_LETTER_SOURCE}.
   */
  static <T extends SpecificRecord> DeadLetter duplicate(
      RecordKind<T> kind, Provenance.Slots slots, T record, long keptEventTime) {
    IndexedRecord r = (IndexedRecord) record;
    String source = slots.source(r);
    String raw = slots.raw(r);
    byte[] rawBytes = slots.rawBytes(r);
    return DeadLetters.ofInput(
        kind.name(),
        Reason.DUPLICATE_ID,
        kind.idField()
            + " "
            + kind.id(record)
            + " already seen: kept the record at event time "
            + java.time.Instant.ofEpochMilli(keptEventTime),
        source == null ? DEAD_LETTER_SOURCE : source,
        slots.offset(r),
        raw == null && rawBytes == null ? RecordJson.toJson(record) : raw,
        rawBytes,
        kind.eventTime(record).toEpochMilli());
  }

  /**
   * What a kept record carries on: impressions (no raw field) leave without provenance, so that the
   * bulk of the rows carries no source path through the label and feature shuffles; clicks and
   * conversions keep theirs for the labeler's dead letters.
   */
  static boolean dropsProvenance(Provenance.Slots slots, Schema schema) {
    return slots.any() && schema.getField(Provenance.RAW) == null;
  }

  /**
   * Bounded: each record as its bytes ({@link RecordKind#coder}), so that the grouping copies bytes
   * rather than re-coding records (DirectRunner clones a bucket's whole bag once per upstream
   * bundle).
   */
  static final class EncodeFn<T extends SpecificRecord>
      extends DoFn<KV<Integer, T>, KV<Integer, byte[]>> {
    private final RecordKind<T> kind;
    private transient Coder<T> coder;

    EncodeFn(RecordKind<T> kind) {
      this.kind = kind;
    }

    @Setup
    public void setup() {
      coder = kind.coder();
    }

    @ProcessElement
    public void process(@Element KV<Integer, T> r, OutputReceiver<KV<Integer, byte[]>> out)
        throws CoderException {
      out.output(KV.of(r.getKey(), CoderUtils.encodeToByteArray(coder, r.getValue())));
    }
  }

  /** Bounded: per bucket, per id, keeps the earliest record of each horizon. */
  static final class KeepEarliestFn<T extends SpecificRecord>
      extends BatchGrouping.RestampingFn<KV<Integer, Iterable<byte[]>>, T> {
    private final RecordKind<T> kind;
    private final long horizonMillis;
    private final TupleTag<T> recordsTag;
    private final Counter duplicates;
    private transient Coder<T> coder;
    private transient AvroCoder<T> avro;
    private transient Provenance.Slots slots;
    private transient boolean dropProvenance;

    KeepEarliestFn(RecordKind<T> kind, long horizonMillis, TupleTag<T> recordsTag) {
      this.kind = kind;
      this.horizonMillis = horizonMillis;
      this.recordsTag = recordsTag;
      this.duplicates = DeadLetters.counter(kind.name(), Reason.DUPLICATE_ID);
    }

    @Setup
    public void setup() {
      coder = kind.coder();
      avro = AvroCoder.specific(kind.recordClass());
      slots = Provenance.Slots.of(kind.fullSchema());
      dropProvenance = dropsProvenance(slots, kind.fullSchema());
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<byte[]>> bucket, MultiOutputReceiver out)
        throws CoderException {
      Map<String, List<T>> byId = new HashMap<>();
      for (byte[] bytes : bucket.getValue()) {
        T r = CoderUtils.decodeFromByteArray(coder, bytes);
        byId.computeIfAbsent(kind.id(r), id -> new ArrayList<>(1)).add(r);
      }
      for (List<T> same : byId.values()) {
        if (same.size() > 1) {
          same.sort(this::compare);
        }
        long keptAt = Long.MIN_VALUE;
        for (T r : same) {
          long t = kind.eventTime(r).toEpochMilli();
          if (keptAt != Long.MIN_VALUE && t < keptAt + horizonMillis) {
            out.get(DeadLetters.TAG).output(duplicate(kind, slots, r, keptAt));
            duplicates.inc();
          } else {
            keptAt = t;
            if (dropProvenance) {
              slots.clear((IndexedRecord) r); // decoded here: ours to change
            }
            out.get(recordsTag).outputWithTimestamp(r, new Instant(t));
          }
        }
      }
    }

    /** By event time, then (rare: only duplicates at the same time) by their Avro encoding. */
    private int compare(T a, T b) {
      int byTime = kind.eventTime(a).compareTo(kind.eventTime(b));
      if (byTime != 0) {
        return byTime;
      }
      try {
        return Arrays.compareUnsigned(
            CoderUtils.encodeToByteArray(avro, a), CoderUtils.encodeToByteArray(avro, b));
      } catch (CoderException e) {
        throw new IllegalStateException("cannot encode a " + kind.name() + " to break a tie", e);
      }
    }
  }
}
