package io.ctrbeam.label;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.Reason;
import io.ctrbeam.common.RecordJson;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.io.Serializable;
import java.time.Instant;
import org.apache.beam.sdk.metrics.Metrics;

/**
 * The rules of one outcome join (contract §2.1, §2.2): how an outcome is judged against its
 * primary, when a primary is due, and how each output row is built. Shared by the bounded in-memory
 * pass and the stateful streaming path. No Beam state: the caller keeps it. Not pure either: what
 * it decides goes to the caller's {@link Sink}, and it increments the labeler's Beam Metrics
 * counters (and the dead-letter counters) as it decides.
 */
public final class LabelRules implements Serializable {
  /** The source of dead letters whose record's own source is unknown (not read from input). */
  public static final String LABEL_SOURCE = "label";

  /** Metrics namespace of the labeling counters. */
  public static final String NAMESPACE = "ctrbeam.label";

  /** How one outcome relates to its primary. */
  public enum Verdict {
    /** 0 < delay <= window. */
    VALID,
    /** delay <= 0. */
    BEFORE,
    /** delay > window. */
    OUTSIDE
  }

  /** Where the rules send what they decide; the timestamp is the output's event time. */
  public interface Sink {
    void example(TrainingExample row, long timestampMs);

    void deadLetter(DeadLetter dl, long timestampMs);

    void correction(LabelCorrection c, long timestampMs);

    /** The delay of an outcome matched to its primary, reported for lambda and stats. */
    void delay(long delayMs, long timestampMs);
  }

  /** A sink that keeps only the rows (in-memory baselines and benchmarks). */
  public abstract static class RowsOnlySink implements Sink {
    @Override
    public final void deadLetter(DeadLetter dl, long timestampMs) {}

    @Override
    public final void correction(LabelCorrection c, long timestampMs) {}

    @Override
    public final void delay(long delayMs, long timestampMs) {}
  }

  private final OutcomeKind outcomeKind;
  private final LabelMode mode;
  private final long windowMs;
  private final long waitMs;
  private final long tauMs;
  private final long latenessMs;
  private final boolean updates;

  public LabelRules(
      OutcomeKind outcomeKind,
      LabelMode mode,
      long windowMs,
      long waitMs,
      long tauMs,
      long latenessMs) {
    this(outcomeKind, mode, windowMs, waitMs, tauMs, latenessMs, false);
  }

  private LabelRules(
      OutcomeKind outcomeKind,
      LabelMode mode,
      long windowMs,
      long waitMs,
      long tauMs,
      long latenessMs,
      boolean updates) {
    checkArgument(windowMs > 0, "window W must be positive, got %s ms", windowMs);
    checkArgument(
        waitMs >= windowMs, "wait T must be >= window W (%s ms), got %s ms", windowMs, waitMs);
    checkArgument(
        mode != LabelMode.ELAPSED || (tauMs > 0 && tauMs < waitMs),
        "ELAPSED needs 0 < tau < T (%s ms), got tau = %s ms",
        waitMs,
        tauMs);
    checkArgument(latenessMs >= 0, "allowed lateness must be >= 0, got %s ms", latenessMs);
    this.outcomeKind = outcomeKind;
    this.mode = mode;
    this.windowMs = windowMs;
    this.waitMs = waitMs;
    this.tauMs = tauMs;
    this.latenessMs = latenessMs;
    this.updates = updates;
  }

  /**
   * The same rules, but a decided label goes out as an update on the corrections output instead of
   * a row: the conversion join of the speed layer, whose rows went out with their click label.
   */
  public LabelRules asUpdates() {
    return new LabelRules(outcomeKind, mode, windowMs, waitMs, tauMs, latenessMs, true);
  }

  /** Whether decided labels are updates (corrections) rather than rows. */
  public boolean updates() {
    return updates;
  }

  public OutcomeKind outcomeKind() {
    return outcomeKind;
  }

  public LabelMode mode() {
    return mode;
  }

  public long windowMs() {
    return windowMs;
  }

  public long waitMs() {
    return waitMs;
  }

  public Verdict classify(long primaryTime, long outcomeTime) {
    long delay = outcomeTime - primaryTime;
    if (delay <= 0) {
      return Verdict.BEFORE;
    }
    return delay <= windowMs ? Verdict.VALID : Verdict.OUTSIDE;
  }

  /** When a primary with no valid outcome yet gets its negative row (FAKE_NEGATIVE: at once). */
  public long negativeAt(long primaryTime) {
    switch (mode) {
      case FAKE_NEGATIVE:
        return primaryTime;
      case ELAPSED:
        return primaryTime + tauMs;
      default:
        return primaryTime + waitMs;
    }
  }

  /**
   * Until when the primary row itself is kept to build a positive: T in WAIT, max(tau, W) in
   * ELAPSED, W in FAKE_NEGATIVE (no valid outcome can come later in event time).
   */
  public long releaseAt(long primaryTime) {
    switch (mode) {
      case FAKE_NEGATIVE:
        return primaryTime + windowMs;
      case ELAPSED:
        return primaryTime + Math.max(tauMs, windowMs);
      default:
        return primaryTime + waitMs;
    }
  }

  /**
   * Until when a decided primary leaves a tombstone: W + T + lateness after it, so that a valid
   * outcome processed while the watermark is at most its own time + T + lateness is recognised.
   * FAKE_NEGATIVE keeps nothing past t + W: a click processed later is LATE_CLICK.
   */
  public long tombstoneUntil(long primaryTime) {
    return mode == LabelMode.FAKE_NEGATIVE
        ? primaryTime + windowMs
        : primaryTime + windowMs + waitMs + latenessMs;
  }

  /**
   * FAKE_NEGATIVE: an unmatched outcome processed once the watermark is past its time + W can only
   * belong to a primary already released, so it is late, not early.
   */
  public boolean pastRelease(long outcomeTime, long watermarkLowerBound) {
    return mode == LabelMode.FAKE_NEGATIVE && watermarkLowerBound >= outcomeTime + windowMs;
  }

  /** When a buffered outcome whose primary never came becomes an orphan. */
  public long orphanAt(long outcomeTime) {
    return outcomeTime + waitMs;
  }

  /** An unmatched outcome is droppably late once the watermark is past its time + T + lateness. */
  public boolean droppablyLate(long outcomeTime, long watermarkLowerBound) {
    return watermarkLowerBound >= outcomeTime + waitMs + latenessMs;
  }

  /** Emits the positive row a valid outcome makes (or its update), dated by the outcome. */
  public void emitPositive(TrainingExample row, Outcome o, Sink sink) {
    LabelCounters.attributed(outcomeKind).inc();
    LabelCounters.rows(outcomeKind, true).inc();
    if (updates) {
      sink.correction(
          correction(
              row.getImpressionId(),
              row.getEventTime().toEpochMilli(),
              primaryTime(row),
              o,
              0,
              CorrectionKind.UPDATE),
          o.timeMs());
    } else {
      sink.example(outcomeKind.positive(row, o.timeMs()), o.timeMs());
    }
  }

  /** Emits the negative row, dated by {@link #negativeAt}; an update join emits nothing. */
  public void emitNegative(TrainingExample row, Sink sink) {
    long at = negativeAt(outcomeKind.primaryTime(row));
    LabelCounters.rows(outcomeKind, false).inc();
    if (!updates) {
      sink.example(outcomeKind.negative(row, at), at);
    }
  }

  public long primaryTime(TrainingExample row) {
    return outcomeKind.primaryTime(row);
  }

  /** Judges an outcome that has a primary; reports VALID ones to the caller. */
  public Verdict judge(long primaryTime, Outcome o, boolean alreadyPositive, Sink sink, long ts) {
    Verdict v = classify(primaryTime, o.timeMs());
    long delay = o.timeMs() - primaryTime;
    if (v == Verdict.OUTSIDE || (v == Verdict.VALID && !alreadyPositive)) {
      if (outcomeKind == OutcomeKind.CLICK) {
        sink.delay(delay, ts);
      }
    }
    if (v != Verdict.VALID) {
      String msg =
          String.format(
              "%s %s on impression %s: delay %d ms not in (0, %d]",
              outcomeKind.recordType(), o.outcomeId(), o.primaryId(), delay, windowMs);
      sink.deadLetter(deadLetter(o, outcomeKind.reason(v), msg), ts);
    } else if (alreadyPositive) {
      duplicateOutcome(o, sink, ts);
    }
    return v;
  }

  public void orphan(Outcome o, Sink sink, long ts) {
    String msg =
        String.format(
            "%s %s: impression %s %s",
            outcomeKind.recordType(),
            o.outcomeId(),
            o.primaryId(),
            outcomeKind != OutcomeKind.CLICK
                ? "has no click"
                : mode == LabelMode.FAKE_NEGATIVE
                    ? "never arrived, or was released at t + W before this click was processed"
                        + " (FAKE_NEGATIVE keeps nothing past t + W)"
                    : "never arrived");
    sink.deadLetter(deadLetter(o, Reason.ORPHAN_CLICK, msg), ts);
  }

  public void droppablyLate(Outcome o, Sink sink, long ts) {
    String msg =
        mode == LabelMode.FAKE_NEGATIVE
            ? String.format(
                "%s %s on impression %s processed after its impression's window W closed"
                    + " (FAKE_NEGATIVE keeps nothing past t + W)",
                outcomeKind.recordType(), o.outcomeId(), o.primaryId())
            : String.format(
                "%s %s on impression %s processed after the lateness horizon (%d ms)",
                outcomeKind.recordType(), o.outcomeId(), o.primaryId(), latenessMs);
    sink.deadLetter(deadLetter(o, Reason.LATE_CLICK, msg), ts);
  }

  /**
   * An impression seen twice by the labeler. Its rows carry no provenance (impressions leave dedup
   * without it), so the source is {@value #LABEL_SOURCE} and the raw input the impression's fields
   * re-rendered as a JSON line; see {@link #duplicatePrimary(TrainingExample, String, Long, Sink,
   * long)} for a caller that knows them.
   */
  public void duplicatePrimary(TrainingExample row, Sink sink, long ts) {
    duplicatePrimary(row, null, null, sink, ts);
  }

  /** An impression seen twice by the labeler, with its source and offset when known (else null). */
  public void duplicatePrimary(
      TrainingExample row, String source, Long offset, Sink sink, long ts) {
    LabelCounters.DUPLICATE_PRIMARIES.inc();
    DeadLetter dl =
        DeadLetters.of(
            "impression",
            Reason.DUPLICATE_ID,
            "impression " + row.getImpressionId() + " seen twice by the labeler",
            source == null ? LABEL_SOURCE : source,
            offset,
            RecordJson.toJson(impression(row)),
            row.getEventTime().toEpochMilli());
    DeadLetters.counter("impression", Reason.DUPLICATE_ID).inc();
    sink.deadLetter(dl, ts);
  }

  /** The impression fields of a row (a training example carries every impression field). */
  private static Impression impression(TrainingExample row) {
    return Impression.newBuilder()
        .setImpressionId(row.getImpressionId())
        .setEventTime(row.getEventTime())
        .setUserId(row.getUserId())
        .setAdId(row.getAdId())
        .setPosition(row.getPosition())
        .setAdvertiserId(row.getAdvertiserId())
        .setAdCategory(row.getAdCategory())
        .setDevice(row.getDevice())
        .setCountry(row.getCountry())
        .setRequestId(row.getRequestId())
        .build();
  }

  /** What a correction changes. */
  public enum CorrectionKind {
    /** A valid outcome processed after its primary went out as negative: 0 -> 1. */
    LATE_OUTCOME,
    /** A valid outcome earlier than the one that dated the positive: its time moves, 1 -> 1. */
    EARLIER_OUTCOME,
    /** A label decided after its row went out (speed-layer conversions): 0 -> 1. */
    UPDATE
  }

  /**
   * A correction of this outcomeKind's label on the row of {@code primaryId}: the new label is 1,
   * dated by the outcome, with its delay from the primary's time.
   */
  public LabelCorrection correction(
      String primaryId,
      long impressionTime,
      long primaryTime,
      Outcome o,
      int oldLabel,
      CorrectionKind kind) {
    LabelCounters.CORRECTIONS.inc();
    Metrics.counter(NAMESPACE, "corrections_" + kind.name().toLowerCase()).inc();
    return LabelCorrection.newBuilder()
        .setImpressionId(primaryId)
        .setLabel(outcomeKind.labelName())
        .setOldLabel(oldLabel)
        .setNewLabel(1)
        .setCorrectionTime(Instant.ofEpochMilli(o.timeMs()))
        .setImpressionTime(Instant.ofEpochMilli(impressionTime))
        .setOutcomeId(o.outcomeId())
        .setLabelKind(mode.name())
        .setDelayMs(o.timeMs() - primaryTime)
        .setKind(kind.name())
        .build();
  }

  /** The second valid outcome on a positive primary: a duplicate dead letter. */
  public void duplicateOutcome(Outcome o, Sink sink, long ts) {
    String msg =
        String.format(
            "second %s %s on impression %s, already %s",
            outcomeKind.recordType(), o.outcomeId(), o.primaryId(), outcomeKind.labelName());
    sink.deadLetter(deadLetter(o, Reason.DUPLICATE_ID, msg), ts);
  }

  /** An outcome's dead letter: its raw input as read and its source, when it was read. */
  private DeadLetter deadLetter(Outcome o, Reason reason, String msg) {
    DeadLetters.counter(outcomeKind.recordType(), reason).inc();
    return DeadLetters.ofInput(
        outcomeKind.recordType(),
        reason,
        msg,
        o.source() == null ? LABEL_SOURCE : o.source(),
        o.sourceOffset(),
        o.raw(),
        o.rawBytes(),
        o.timeMs());
  }

  @Override
  public String toString() {
    return String.format(
        "%s %s W=%dms T=%dms tau=%dms lateness=%dms%s",
        outcomeKind, mode, windowMs, waitMs, tauMs, latenessMs, updates ? " updates" : "");
  }
}
