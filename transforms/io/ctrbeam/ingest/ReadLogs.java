package io.ctrbeam.ingest;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.schema.UserProfile;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Files of one record type to unique, valid records and dead letters: {@code Read<Type>} ({@link
 * ReadRawRecords}), then {@code Parse<Type>} and {@code Dedup<Type>} ({@link IngestRecords}), e.g.
 * {@code ReadImpressions}, {@code ParseImpressions}, {@code DedupImpressions}. The Avro writer
 * schemas of the matched files are read from their headers at construction and given to the parser.
 *
 * <pre>{@code
 * IngestResult<Impression> imps =
 *     p.apply(ReadLogs.impressions("gs://bucket/logs/impressions/*.jsonl"));
 * imps.records();      // PCollection<Impression>, timestamped by event_time
 * imps.deadLetters();  // PCollection<DeadLetter>
 * }</pre>
 */
public final class ReadLogs<T extends SpecificRecord> extends PTransform<PBegin, IngestResult<T>> {
  private final RecordKind<T> kind;
  private final @Nullable ReadRawRecords read; // null: an optional input that is absent
  private final IngestRecords<T> ingest;

  private ReadLogs(RecordKind<T> kind, @Nullable ReadRawRecords read, IngestRecords<T> ingest) {
    this.kind = kind;
    this.read = read;
    this.ingest = ingest;
  }

  public static <T extends SpecificRecord> ReadLogs<T> of(RecordKind<T> kind, String filePattern) {
    checkArgument(kind != null, "kind must not be null, got %s", kind);
    return new ReadLogs<>(kind, ReadRawRecords.from(filePattern), IngestRecords.of(kind));
  }

  /**
   * As {@link #of}, but an empty pattern is an input the job does not have: it reads nothing and
   * yields {@link IngestResult#empty}.
   */
  public static <T extends SpecificRecord> ReadLogs<T> optional(
      RecordKind<T> kind, String filePattern) {
    checkArgument(filePattern != null, "filePattern must not be null, got %s", filePattern);
    return filePattern.isEmpty()
        ? new ReadLogs<>(kind, null, IngestRecords.of(kind))
        : of(kind, filePattern);
  }

  public static ReadLogs<Impression> impressions(String filePattern) {
    return of(RecordKind.IMPRESSION, filePattern);
  }

  public static ReadLogs<Click> clicks(String filePattern) {
    return of(RecordKind.CLICK, filePattern);
  }

  public static ReadLogs<Conversion> conversions(String filePattern) {
    return of(RecordKind.CONVERSION, filePattern);
  }

  public static ReadLogs<UserProfile> userProfiles(String filePattern) {
    return of(RecordKind.USER_PROFILE, filePattern);
  }

  public static ReadLogs<AdMetadata> adMetadata(String filePattern) {
    return of(RecordKind.AD_METADATA, filePattern);
  }

  /** The file format (default {@link Format#AUTO}, by extension). */
  public ReadLogs<T> withFormat(Format format) {
    return new ReadLogs<>(kind, read == null ? null : read.withFormat(format), ingest);
  }

  /** See {@link ParseRecords#withClock}. */
  public ReadLogs<T> withClock(Instant clock) {
    return new ReadLogs<>(kind, read, ingest.withClock(clock));
  }

  /** See {@link DeduplicateIds#withBuckets}. */
  public ReadLogs<T> withDedupBuckets(int buckets) {
    return new ReadLogs<>(kind, read, ingest.withDedupBuckets(buckets));
  }

  /** See {@link DeduplicateIds#withHorizon}. */
  public ReadLogs<T> withDedupHorizon(Duration horizon) {
    return new ReadLogs<>(kind, read, ingest.withDedupHorizon(horizon));
  }

  /** See {@link IngestRecords#withoutDedup}. */
  public ReadLogs<T> withoutDedup() {
    return new ReadLogs<>(kind, read, ingest.withoutDedup());
  }

  @Override
  public IngestResult<T> expand(PBegin input) {
    if (read == null) {
      return IngestResult.empty(input, kind);
    }
    String type = kind.stepSuffix();
    PCollection<RawRecord> raw = input.apply("Read" + type, read);
    return raw.apply(
        "Ingest" + type,
        ingest.withWriterSchemas(read.writerSchemas(input.getPipeline().getOptions())));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    if (read != null) {
      builder.include("read", read);
    }
    builder.include("ingest", ingest);
  }
}
