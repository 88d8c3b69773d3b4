package io.ctrbeam.ingest;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.BundleCounter;
import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.schema.UserProfile;
import java.time.Instant;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Duration;

/**
 * Raw records of one type to unique, valid records: {@code Parse<Type>} ({@link ParseRecords}),
 * then for impressions, clicks and conversions {@code Dedup<Type>} ({@link DeduplicateIds}), then
 * counts {@code <type>_out}. The dead letters of both steps come out flattened. Serves files
 * ({@link ReadLogs}) and Kafka alike.
 */
public final class IngestRecords<T extends SpecificRecord>
    extends PTransform<PCollection<RawRecord>, IngestResult<T>> {
  private final ParseRecords<T> parse;
  private final DeduplicateIds<T> dedup;

  private IngestRecords(ParseRecords<T> parse, DeduplicateIds<T> dedup) {
    this.parse = parse;
    this.dedup = dedup;
  }

  public static <T extends SpecificRecord> IngestRecords<T> of(RecordKind<T> kind) {
    return new IngestRecords<>(
        ParseRecords.of(kind), kind.idField() == null ? null : DeduplicateIds.of(kind));
  }

  public static IngestRecords<Impression> impressions() {
    return of(RecordKind.IMPRESSION);
  }

  public static IngestRecords<Click> clicks() {
    return of(RecordKind.CLICK);
  }

  public static IngestRecords<Conversion> conversions() {
    return of(RecordKind.CONVERSION);
  }

  public static IngestRecords<UserProfile> userProfiles() {
    return of(RecordKind.USER_PROFILE);
  }

  public static IngestRecords<AdMetadata> adMetadata() {
    return of(RecordKind.AD_METADATA);
  }

  /** See {@link ParseRecords#withClock}. */
  public IngestRecords<T> withClock(Instant clock) {
    return new IngestRecords<>(parse.withClock(clock), dedup);
  }

  /** See {@link ParseRecords#withWriterSchemas}. */
  public IngestRecords<T> withWriterSchemas(Iterable<Schema> schemas) {
    return new IngestRecords<>(parse.withWriterSchemas(schemas), dedup);
  }

  /** See {@link DeduplicateIds#withBuckets}; only for kinds with an id. */
  public IngestRecords<T> withDedupBuckets(int buckets) {
    return new IngestRecords<>(parse, requireDedup().withBuckets(buckets));
  }

  /** See {@link DeduplicateIds#withHorizon}; only for kinds with an id. */
  public IngestRecords<T> withDedupHorizon(Duration horizon) {
    return new IngestRecords<>(parse, requireDedup().withHorizon(horizon));
  }

  /** Parsing and validation only, for logs already unique by id upstream. */
  public IngestRecords<T> withoutDedup() {
    return new IngestRecords<>(parse, null);
  }

  private DeduplicateIds<T> requireDedup() {
    checkArgument(dedup != null, "%s records are not deduplicated, got %s", parse.kind(), dedup);
    return dedup;
  }

  @Override
  public IngestResult<T> expand(PCollection<RawRecord> input) {
    RecordKind<T> kind = parse.kind();
    String type = kind.stepSuffix();
    IngestResult<T> parsed = input.apply("Parse" + type, parse);
    PCollection<DeadLetter> deadLetters = parsed.deadLetters();
    PCollection<T> records = parsed.records();
    if (dedup != null) {
      IngestResult<T> unique = records.apply("Dedup" + type, dedup);
      records = unique.records();
      deadLetters =
          PCollectionList.of(deadLetters)
              .and(unique.deadLetters())
              .apply("Flatten" + type + "DeadLetters", Flatten.pCollections());
    }
    PCollection<T> out =
        records
            .apply("Count" + type + "Out", ParDo.of(new CountFn<T>(kind.name() + "_out")))
            .setCoder(records.getCoder());
    return IngestResult.of(new TupleTag<>(kind.name() + "Records"), out, deadLetters);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.include("parse", parse);
    if (dedup != null) {
      builder.include("dedup", dedup);
    }
  }

  /** Passes records through, counting them. */
  static final class CountFn<T> extends DoFn<T, T> {
    private final BundleCounter counter;

    CountFn(String name) {
      this.counter = BundleCounter.of(IngestMetrics.NAMESPACE, name);
    }

    @ProcessElement
    public void process(@Element T record, OutputReceiver<T> out) {
      counter.inc();
      out.output(record);
    }

    @FinishBundle
    public void finishBundle() {
      counter.flush();
    }
  }
}
