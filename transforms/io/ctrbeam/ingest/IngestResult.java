package io.ctrbeam.ingest;

import io.ctrbeam.common.DeadLetterSink;
import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.TaggedOutputs;
import io.ctrbeam.schema.DeadLetter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;

/** The good records of an ingest step and its dead letters ({@link DeadLetters#TAG}). */
public final class IngestResult<T> extends TaggedOutputs implements DeadLetterSink.HasDeadLetters {
  private final TupleTag<T> recordsTag;

  private IngestResult(PCollectionTuple outputs, TupleTag<T> recordsTag) {
    super(outputs);
    this.recordsTag = recordsTag;
  }

  /** Wraps the two outputs of a multi-output ParDo. */
  static <T> IngestResult<T> of(PCollectionTuple tuple, TupleTag<T> recordsTag) {
    return of(recordsTag, tuple.get(recordsTag), tuple.get(DeadLetters.TAG));
  }

  /** Combines records with dead letters that were produced separately. */
  static <T> IngestResult<T> of(
      TupleTag<T> recordsTag, PCollection<T> records, PCollection<DeadLetter> deadLetters) {
    return new IngestResult<>(
        PCollectionTuple.of(recordsTag, records).and(DeadLetters.TAG, deadLetters), recordsTag);
  }

  /**
   * The result of an input the job does not have: no records ({@code No<Type>}) and no dead letters
   * ({@code No<Type>DeadLetters}): an optional input takes the same path as the others.
   */
  public static <T extends SpecificRecord> IngestResult<T> empty(PBegin in, RecordKind<T> kind) {
    String type = kind.stepSuffix();
    return of(
        new TupleTag<>(kind.name() + "Records"),
        in.apply("No" + type, Create.empty(kind.coder())),
        in.apply("No" + type + "DeadLetters", Create.empty(AvroCoder.specific(DeadLetter.class))));
  }

  /** The valid (and, after dedup, unique) records, timestamped with their event time. */
  public PCollection<T> records() {
    return get(recordsTag);
  }

  /** The refused records with their reason codes. */
  @Override
  public PCollection<DeadLetter> deadLetters() {
    return get(DeadLetters.TAG);
  }
}
