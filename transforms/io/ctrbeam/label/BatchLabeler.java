package io.ctrbeam.label;

import io.ctrbeam.schema.TrainingExample;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bounded outcome join: one in-memory pass over all primaries and outcomes of a bucket (or of a
 * whole data set, as in the plain-Java baseline). Nothing is late in a bounded run; a positive is
 * dated by its earliest valid outcome.
 */
public final class BatchLabeler {
  private static final Comparator<Outcome> BY_TIME =
      Comparator.comparingLong(Outcome::timeMs).thenComparing(Outcome::outcomeId);

  private final LabelRules rules;
  private final Map<String, TrainingExample> primaries = new LinkedHashMap<>();
  private final Map<String, List<Outcome>> outcomes = new HashMap<>();

  public BatchLabeler(LabelRules rules) {
    this.rules = rules;
  }

  /** Adds a primary; a second one with the same id is dead-lettered as DUPLICATE_ID. */
  public void addPrimary(TrainingExample row, LabelRules.Sink sink) {
    if (primaries.putIfAbsent(row.getImpressionId(), row) != null) {
      rules.duplicatePrimary(row, sink, row.getEventTime().toEpochMilli());
    }
  }

  public void addOutcome(Outcome o) {
    outcomes.computeIfAbsent(o.primaryId(), k -> new ArrayList<>(2)).add(o);
  }

  /** Labels everything added so far and forgets it. */
  public void finish(LabelRules.Sink sink) {
    Map<String, Outcome> firstValid = new HashMap<>();
    for (Map.Entry<String, List<Outcome>> e : outcomes.entrySet()) {
      TrainingExample row = primaries.get(e.getKey());
      List<Outcome> os = e.getValue();
      if (row == null) {
        for (Outcome o : os) {
          rules.orphan(o, sink, o.timeMs());
        }
        continue;
      }
      os.sort(BY_TIME);
      long t = rules.primaryTime(row);
      for (Outcome o : os) {
        boolean positive = firstValid.containsKey(e.getKey());
        if (rules.judge(t, o, positive, sink, o.timeMs()) == LabelRules.Verdict.VALID
            && !positive) {
          firstValid.put(e.getKey(), o);
        }
      }
    }
    for (TrainingExample row : primaries.values()) {
      emitFinal(row, firstValid.get(row.getImpressionId()), sink);
    }
    primaries.clear();
    outcomes.clear();
  }

  /** The rows of one primary once all its outcomes are known, per mode. */
  private void emitFinal(TrainingExample row, Outcome valid, LabelRules.Sink sink) {
    switch (rules.mode()) {
      case FAKE_NEGATIVE:
        rules.emitNegative(row, sink);
        if (valid != null) {
          rules.emitPositive(row, valid, sink);
        }
        break;
      case ELAPSED:
        if (valid == null || valid.timeMs() > rules.negativeAt(rules.primaryTime(row))) {
          rules.emitNegative(row, sink);
        }
        if (valid != null) {
          rules.emitPositive(row, valid, sink);
        }
        break;
      default:
        if (valid != null) {
          rules.emitPositive(row, valid, sink);
        } else {
          rules.emitNegative(row, sink);
        }
    }
  }
}
