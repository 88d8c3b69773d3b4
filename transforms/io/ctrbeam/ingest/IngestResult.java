package io.ctrbeam.ingest;

import io.ctrbeam.common.DeadLetterSink;
import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.schema.DeadLetter;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;

/** The good records of an ingest step and its dead letters ({@link DeadLetters#TAG}). */
public final class IngestResult<T> implements POutput, DeadLetterSink.HasDeadLetters {
  private final Pipeline pipeline;
  private final TupleTag<T> recordsTag;
  private final PCollection<T> records;
  private final PCollection<DeadLetter> deadLetters;

  private IngestResult(
      Pipeline pipeline,
      TupleTag<T> recordsTag,
      PCollection<T> records,
      PCollection<DeadLetter> deadLetters) {
    this.pipeline = pipeline;
    this.recordsTag = recordsTag;
    this.records = records;
    this.deadLetters = deadLetters;
  }

  /** Wraps the two outputs of a multi-output ParDo. */
  static <T> IngestResult<T> of(PCollectionTuple tuple, TupleTag<T> recordsTag) {
    return new IngestResult<>(
        tuple.getPipeline(), recordsTag, tuple.get(recordsTag), tuple.get(DeadLetters.TAG));
  }

  /** Combines records with dead letters that were produced separately. */
  static <T> IngestResult<T> of(
      TupleTag<T> recordsTag, PCollection<T> records, PCollection<DeadLetter> deadLetters) {
    return new IngestResult<>(records.getPipeline(), recordsTag, records, deadLetters);
  }

  /**
   * The result of an input the job does not have: no records ({@code No<Type>}) and no dead letters
   * ({@code No<Type>DeadLetters}): an optional input takes the same path as the others.
   */
  public static <T extends SpecificRecord> IngestResult<T> empty(PBegin in, RecordKind<T> kind) {
    String type = kind.stepSuffix();
    return of(
        new TupleTag<>(kind.name() + "Records"),
        in.apply("No" + type, Create.empty(AvroCoder.specific(kind.recordClass()))),
        in.apply("No" + type + "DeadLetters", Create.empty(AvroCoder.specific(DeadLetter.class))));
  }

  /** The valid (and, after dedup, unique) records, timestamped with their event time. */
  public PCollection<T> records() {
    return records;
  }

  /** The refused records with their reason codes. */
  @Override
  public PCollection<DeadLetter> deadLetters() {
    return deadLetters;
  }

  @Override
  public Pipeline getPipeline() {
    return pipeline;
  }

  @Override
  public Map<TupleTag<?>, PValue> expand() {
    return Map.of(recordsTag, records, DeadLetters.TAG, deadLetters);
  }

  @Override
  public void finishSpecifyingOutput(
      String transformName, org.apache.beam.sdk.values.PInput input, PTransform<?, ?> transform) {}
}
