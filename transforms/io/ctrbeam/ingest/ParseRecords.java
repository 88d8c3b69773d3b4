package io.ctrbeam.ingest;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.BundleCounter;
import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.Provenance;
import io.ctrbeam.common.Reason;
import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.schema.UserProfile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;

/**
 * Parses and validates {@link RawRecord}s (JSON text or Avro bytes, from files or Kafka) into one
 * contract §1 record type, with the contract §6 rules: PARSE_ERROR, MISSING_FIELD, BAD_TIMESTAMP,
 * BAD_POSITION, BAD_COUNTRY. Each good record is output with its event time (event_time, or
 * updated_at for profiles and ad metadata) as element timestamp; the rest go to {@link
 * DeadLetters#TAG} with their raw input, counted per reason.
 *
 * <p>Timestamps: the DoFn allows unlimited timestamp skew, so a record whose input timestamp is
 * later than its event time (a Kafka record stamped with its append time) moves back to its event
 * time instead of failing the bundle. In streaming such a record may then be behind the watermark,
 * i.e. late data, which is what it is; downstream lateness rules (e.g. LATE_CLICK) handle it.
 * Keeping the input timestamp instead would put records in the wrong event-time windows.
 *
 * <p>Avro payloads are read in their writer schema (see {@link #withWriterSchemas}), so a file
 * written with a looser schema than contract §1 is still checked field by field.
 *
 * <p>Metrics (namespace {@link IngestMetrics#NAMESPACE}): {@code <type>_in} per raw record, {@code
 * <type>_valid} per good record; dead letters by {@link DeadLetters#counter}.
 */
public final class ParseRecords<T extends SpecificRecord>
    extends PTransform<PCollection<RawRecord>, IngestResult<T>> {
  /** 2000-01-01T00:00:00Z, the earliest valid timestamp (contract §6). */
  public static final Instant EARLIEST_TIME =
      ZonedDateTime.of(2000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC).toInstant();

  /** How far after the run's clock a timestamp may be (contract §6). */
  public static final java.time.Duration MAX_FUTURE = java.time.Duration.ofHours(1);

  private final RecordKind<T> kind;
  private final Instant clock;
  private final boolean clockGiven;
  private final ProcessingClock liveClock;
  private final List<String> writerSchemas;

  private ParseRecords(
      RecordKind<T> kind,
      Instant clock,
      boolean clockGiven,
      ProcessingClock liveClock,
      List<String> writerSchemas) {
    this.kind = kind;
    this.clock = clock;
    this.clockGiven = clockGiven;
    this.liveClock = liveClock;
    this.writerSchemas = writerSchemas;
  }

  /** Parses any record kind, with the clock at now. */
  public static <T extends SpecificRecord> ParseRecords<T> of(RecordKind<T> kind) {
    checkArgument(kind != null, "kind must be set, got %s", kind);
    return new ParseRecords<>(
        kind, Instant.now(), false, ProcessingClock.system(), Collections.emptyList());
  }

  public static ParseRecords<Impression> impressions() {
    return of(RecordKind.IMPRESSION);
  }

  public static ParseRecords<Click> clicks() {
    return of(RecordKind.CLICK);
  }

  public static ParseRecords<Conversion> conversions() {
    return of(RecordKind.CONVERSION);
  }

  public static ParseRecords<UserProfile> userProfiles() {
    return of(RecordKind.USER_PROFILE);
  }

  public static ParseRecords<AdMetadata> adMetadata() {
    return of(RecordKind.AD_METADATA);
  }

  /**
   * The run's clock: timestamps more than 1 h after it are BAD_TIMESTAMP. Default: on bounded input
   * the time this transform was constructed (the run's start); on unbounded input the processing
   * time at which each record is parsed ({@link #withLiveClock}). Given here, it holds for both.
   */
  public ParseRecords<T> withClock(Instant clock) {
    checkArgument(clock != null, "clock must be set, got %s", clock);
    return new ParseRecords<>(kind, clock, true, liveClock, writerSchemas);
  }

  /** The processing-time clock of unbounded input (default: the system clock), read per record. */
  public ParseRecords<T> withLiveClock(ProcessingClock clock) {
    checkArgument(clock != null, "clock must be set, got %s", clock);
    return new ParseRecords<>(kind, this.clock, clockGiven, clock, writerSchemas);
  }

  /**
   * Further Avro writer schemas that payloads may be single-object encoded with (the record type's
   * own §1 schema is always known). {@link ReadLogs} registers the schemas of the files it reads.
   */
  public ParseRecords<T> withWriterSchemas(Iterable<Schema> schemas) {
    checkArgument(schemas != null, "schemas must be set, got %s", schemas);
    List<String> all = new ArrayList<>(writerSchemas);
    for (Schema s : schemas) {
      checkArgument(s != null, "a schema must be set, got %s", s);
      all.add(s.toString());
    }
    return new ParseRecords<>(
        kind, clock, clockGiven, liveClock, Collections.unmodifiableList(all));
  }

  public RecordKind<T> kind() {
    return kind;
  }

  public Instant clock() {
    return clock;
  }

  @Override
  public IngestResult<T> expand(PCollection<RawRecord> input) {
    TupleTag<T> recordsTag = new TupleTag<>(kind.name() + "s");
    PCollectionTuple out =
        input.apply(
            "ParseAndValidate",
            ParDo.of(
                    new ParseFn<>(
                        kind, clock, live(input) ? liveClock : null, writerSchemas, recordsTag))
                .withOutputTags(recordsTag, TupleTagList.of(DeadLetters.TAG)));
    out.get(recordsTag).setCoder(kind.coder());
    out.get(DeadLetters.TAG).setCoder(AvroCoder.specific(DeadLetter.class));
    return IngestResult.of(out, recordsTag);
  }

  /** Unbounded input without a given clock is judged against processing time, record by record. */
  private boolean live(PCollection<RawRecord> input) {
    return !clockGiven && input.isBounded() == PCollection.IsBounded.UNBOUNDED;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("recordType", kind.name()).withLabel("Record type"))
        .add(
            DisplayData.item(
                    "clock",
                    clockGiven
                        ? clock.toString()
                        : "run start (bounded) or processing time (unbounded)")
                .withLabel("Run clock"))
        .add(
            DisplayData.item("writerSchemas", writerSchemas.size())
                .withLabel("Extra Avro writer schemas"));
  }

  /** Parses one raw record into a typed record or a dead letter. */
  static final class ParseFn<T extends SpecificRecord> extends DoFn<RawRecord, T> {
    private final RecordKind<T> kind;
    private final long earliestMillis;
    private final long latestMillis;

    /** Non-null on unbounded input: BAD_TIMESTAMP is judged against it, per record. */
    private final ProcessingClock liveClock;

    private final List<String> writerSchemas;
    private final TupleTag<T> recordsTag;
    private final BundleCounter in;
    private final BundleCounter valid;
    private transient JsonRecordParser<T> json;
    private transient AvroPayloads avro;
    private transient Map<Reason, BundleCounter> deadLetterCounters;
    private transient Provenance.Slots slots;

    ParseFn(
        RecordKind<T> kind,
        Instant clock,
        ProcessingClock liveClock,
        List<String> writerSchemas,
        TupleTag<T> recordsTag) {
      this.kind = kind;
      this.earliestMillis = EARLIEST_TIME.toEpochMilli();
      this.latestMillis = clock.plus(MAX_FUTURE).toEpochMilli();
      this.liveClock = liveClock;
      this.writerSchemas = writerSchemas;
      this.recordsTag = recordsTag;
      this.in = BundleCounter.of(IngestMetrics.NAMESPACE, kind.name() + "_in");
      this.valid = BundleCounter.of(IngestMetrics.NAMESPACE, kind.name() + "_valid");
    }

    @Setup
    public void setup() {
      json = new JsonRecordParser<>(kind, earliestMillis, latestMillis);
      List<Schema> schemas = new ArrayList<>();
      for (String s : writerSchemas) {
        schemas.add(new Schema.Parser().parse(s));
      }
      avro = new AvroPayloads(kind.schema(), schemas);
      slots = Provenance.Slots.of(kind.fullSchema());
      deadLetterCounters = new EnumMap<>(Reason.class);
      for (Reason r : Reason.values()) {
        deadLetterCounters.put(r, DeadLetters.bundleCounter(kind.name(), r));
      }
    }

    /** Unlimited, so records can move back to their event time; see the class comment. */
    @Override
    @SuppressWarnings("deprecation")
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }

    @ProcessElement
    public void process(@Element RawRecord raw, MultiOutputReceiver out) {
      in.inc();
      Fields fields = null;
      try {
        fields = read(raw);
        T record = kind.build(fields);
        slots.stamp(
            (IndexedRecord) record,
            raw.getSource(),
            raw.getSourceOffset(),
            raw.getText(),
            raw.getText() == null && raw.getBytes() != null
                ? ByteBuffer.wrap(Provenance.bytes(raw.getBytes()))
                : null);
        out.get(recordsTag)
            .outputWithTimestamp(
                record, new org.joda.time.Instant(kind.eventTime(record).toEpochMilli()));
        valid.inc();
      } catch (InvalidRecordException e) {
        Long eventTime = fields == null ? null : fields.readableTime(kind.timeField());
        out.get(DeadLetters.TAG).output(deadLetter(raw, e.reason(), e.getMessage(), eventTime));
        deadLetterCounters.get(e.reason()).inc();
      }
    }

    @FinishBundle
    public void finishBundle() {
      BundleCounter.flushAll(in, valid);
      deadLetterCounters.values().forEach(BundleCounter::flush);
    }

    private Fields read(RawRecord raw) throws InvalidRecordException {
      if (raw.getText() != null) {
        return json.fields(raw.getText(), latest());
      }
      if (raw.getBytes() != null) {
        try {
          return Fields.ofAvro(
              avro.decode(Provenance.bytes(raw.getBytes())), earliestMillis, latest());
        } catch (IOException e) {
          throw new InvalidRecordException(Reason.PARSE_ERROR, "invalid Avro: " + e.getMessage());
        }
      }
      throw new InvalidRecordException(Reason.PARSE_ERROR, "neither text nor bytes");
    }

    private long latest() {
      return liveClock == null ? latestMillis : liveClock.nowMillis() + MAX_FUTURE.toMillis();
    }

    private DeadLetter deadLetter(RawRecord raw, Reason reason, String message, Long eventTime) {
      return DeadLetters.ofInput(
          kind.name(),
          reason,
          message,
          raw.getSource(),
          raw.getSourceOffset(),
          raw.getText(),
          raw.getText() == null ? Provenance.bytes(raw.getBytes()) : null,
          eventTime);
    }
  }
}
