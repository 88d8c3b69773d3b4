package io.ctrbeam.label;

import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.util.ArrayList;
import java.util.List;

/**
 * The plain-Java reference: the same shared rules ({@link BatchLabeler} over HashMaps, one bucket),
 * no Beam. Used as the expected result on other runners and as the benchmark baseline.
 */
final class LabelBaseline {
  private LabelBaseline() {}

  /** Collects every output with its timestamp. */
  static final class Collect implements LabelRules.Sink {
    final List<TrainingExample> rows = new ArrayList<>();
    final List<Long> rowTs = new ArrayList<>();
    final List<DeadLetter> deadLetters = new ArrayList<>();
    final List<LabelCorrection> corrections = new ArrayList<>();
    long delays;

    @Override
    public void example(TrainingExample row, long ts) {
      rows.add(row);
      rowTs.add(ts);
    }

    @Override
    public void deadLetter(DeadLetter dl, long ts) {
      deadLetters.add(dl);
    }

    @Override
    public void correction(LabelCorrection c, long ts) {
      corrections.add(c);
    }

    @Override
    public void delay(long delayMs, long ts) {
      delays++;
    }

    /** Order-independent summaries, as {@link LabelFixtures#summary}. */
    List<String> lines() {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        out.add(LabelFixtures.summary(rows.get(i), rowTs.get(i)));
      }
      deadLetters.forEach(d -> out.add(LabelFixtures.summary(d, 0)));
      corrections.forEach(c -> out.add(LabelFixtures.summary(c, 0)));
      return out;
    }
  }

  /** Labels in memory with the configuration's rules and the given decay rate. */
  static Collect label(
      LabelImpressions cfg,
      LabelMode mode,
      double lambdaPerMs,
      List<Impression> imps,
      List<Click> clicks,
      List<Conversion> convs) {
    Collect clicked = new Collect();
    BatchLabeler clickJoin = new BatchLabeler(cfg.clickRules());
    for (Impression i : imps) {
      clickJoin.addPrimary(LabelRows.toRow(i, mode), clicked);
    }
    for (Click c : clicks) {
      clickJoin.addOutcome(Outcome.of(c));
    }
    clickJoin.finish(clicked);

    Collect out = new Collect();
    out.deadLetters.addAll(clicked.deadLetters);
    out.delays = clicked.delays;
    BatchLabeler convJoin = new BatchLabeler(cfg.conversionRules());
    for (int i = 0; i < clicked.rows.size(); i++) {
      TrainingExample r = clicked.rows.get(i);
      if (convs != null && OutcomeKind.CONVERSION.eligible(r)) {
        convJoin.addPrimary(r, out);
      } else {
        out.example(r, clicked.rowTs.get(i));
      }
    }
    if (convs != null) {
      for (Conversion v : convs) {
        convJoin.addOutcome(Outcome.of(v));
      }
      convJoin.finish(out);
    }
    for (int i = 0; i < out.rows.size(); i++) {
      TrainingExample r = out.rows.get(i);
      r.setLabelConfidence(
          ApplyLabelConfidence.confidence(r.getClicked(), r.getElapsedMs(), lambdaPerMs));
    }
    return out;
  }
}
