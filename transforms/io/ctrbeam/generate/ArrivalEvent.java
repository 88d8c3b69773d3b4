package io.ctrbeam.generate;

import io.ctrbeam.common.Reason;
import org.apache.avro.specific.SpecificRecord;

/**
 * One record as it lands: its arrival time, type, raw JSON line and, when Avro can carry it, the
 * record. {@link #injected()} names the defect for injected records (null for clean ones).
 */
public final class ArrivalEvent {
  private final long arrivalTime;
  private final long eventTime;
  private final long seq;
  private final RecordType type;
  private final SpecificRecord record;
  private final String rawLine;
  private final Reason injected;
  private final boolean late;

  ArrivalEvent(
      long arrivalTime,
      long eventTime,
      long seq,
      RecordType type,
      SpecificRecord record,
      String rawLine,
      Reason injected,
      boolean late) {
    this.arrivalTime = arrivalTime;
    this.eventTime = eventTime;
    this.seq = seq;
    this.type = type;
    this.record = record;
    this.rawLine = rawLine;
    this.injected = injected;
    this.late = late;
  }

  /** Epoch millis at which the record reaches the logs. */
  public long arrivalTime() {
    return arrivalTime;
  }

  /**
   * The event time the arrival delay was drawn from (the true one, even when the record's is
   * broken).
   */
  public long eventTime() {
    return eventTime;
  }

  /** A unique, deterministic tie-breaker of records with the same arrival time. */
  public long seq() {
    return seq;
  }

  public RecordType type() {
    return type;
  }

  /** The record, or null when Avro cannot carry it (broken JSON, missing or non-numeric fields). */
  public SpecificRecord record() {
    return record;
  }

  /** The JSON line exactly as written. */
  public String rawLine() {
    return rawLine;
  }

  /** The injected defect, or null for a clean record. */
  public Reason injected() {
    return injected;
  }

  /**
   * Whether the record passes ingest validation (contract §6 ingest reasons); labeling defects
   * pass.
   */
  public boolean passesIngest() {
    return injected == null
        || injected == Reason.ORPHAN_CLICK
        || injected == Reason.CLICK_BEFORE_IMPRESSION;
  }

  /** Whether the record arrives late (beyond the disorder bound). */
  public boolean late() {
    return late;
  }

  @Override
  public String toString() {
    return type.typeName()
        + "@"
        + arrivalTime
        + (injected == null ? "" : "[" + injected + "]")
        + " "
        + rawLine;
  }
}
