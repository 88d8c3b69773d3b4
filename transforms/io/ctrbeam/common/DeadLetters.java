package io.ctrbeam.common;

import io.ctrbeam.schema.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.values.TupleTag;

/** Builds dead letters and counts them per record type and reason in Beam Metrics. */
public final class DeadLetters {
  /** The namespace of every dead-letter counter: {@code <recordType>_<REASON>}. */
  public static final String NAMESPACE = "ctrbeam.deadletters";

  /** The tag of the dead-letter output of every multi-output transform. */
  public static final TupleTag<DeadLetter> TAG = new TupleTag<DeadLetter>("deadLetters") {};

  private DeadLetters() {}

  /** The counter for one record type and reason. */
  public static Counter counter(String recordType, Reason reason) {
    return Metrics.counter(NAMESPACE, counterName(recordType, reason));
  }

  /** The same counter, reported once per bundle (see {@link BundleCounter}). */
  public static BundleCounter bundleCounter(String recordType, Reason reason) {
    return BundleCounter.of(NAMESPACE, counterName(recordType, reason));
  }

  public static String counterName(String recordType, Reason reason) {
    return recordType + "_" + reason.name();
  }

  /** A dead letter for text input. It is counted by the caller's {@link #counter}. */
  public static DeadLetter of(
      String recordType,
      Reason reason,
      String message,
      String source,
      Long offset,
      String raw,
      Long eventTimeMillis) {
    return DeadLetter.newBuilder()
        .setRecordType(recordType)
        .setReason(reason.name())
        .setMessage(message)
        .setSource(source)
        .setSourceOffset(offset)
        .setRaw(raw)
        .setRawBytes(null)
        .setEventTime(eventTimeMillis == null ? null : Instant.ofEpochMilli(eventTimeMillis))
        .setRejectedAt(Instant.now())
        .build();
  }

  /**
   * A dead letter for either kind of input: the text when there is any (or no bytes either), else
   * the bytes. The event time is kept in both cases, when known.
   */
  public static DeadLetter ofInput(
      String recordType,
      Reason reason,
      String message,
      String source,
      Long offset,
      String raw,
      byte[] rawBytes,
      Long eventTimeMillis) {
    if (raw != null || rawBytes == null) {
      return of(recordType, reason, message, source, offset, raw, eventTimeMillis);
    }
    DeadLetter dl = ofBytes(recordType, reason, message, source, offset, rawBytes);
    dl.setEventTime(eventTimeMillis == null ? null : Instant.ofEpochMilli(eventTimeMillis));
    return dl;
  }

  /** A dead letter for binary input (Avro files, Kafka values). */
  public static DeadLetter ofBytes(
      String recordType, Reason reason, String message, String source, Long offset, byte[] raw) {
    return DeadLetter.newBuilder()
        .setRecordType(recordType)
        .setReason(reason.name())
        .setMessage(message)
        .setSource(source)
        .setSourceOffset(offset)
        .setRaw(null)
        .setRawBytes(raw == null ? null : ByteBuffer.wrap(raw))
        .setEventTime(null)
        .setRejectedAt(Instant.now())
        .build();
  }
}
