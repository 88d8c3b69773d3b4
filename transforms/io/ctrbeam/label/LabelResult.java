package io.ctrbeam.label;

import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.TaggedOutputs;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;

/** The outputs of {@link LabelImpressions}. */
public final class LabelResult extends TaggedOutputs {
  public static final TupleTag<TrainingExample> EXAMPLES =
      new TupleTag<TrainingExample>("examples") {};
  public static final TupleTag<LabelCorrection> CORRECTIONS =
      new TupleTag<LabelCorrection>("corrections") {};
  public static final TupleTag<LabelStats> STATS = new TupleTag<LabelStats>("stats") {};

  LabelResult(
      PCollection<TrainingExample> examples,
      PCollection<LabelCorrection> corrections,
      PCollection<DeadLetter> deadLetters,
      PCollection<LabelStats> stats) {
    super(
        PCollectionTuple.of(EXAMPLES, examples)
            .and(CORRECTIONS, corrections)
            .and(DeadLetters.TAG, deadLetters)
            .and(STATS, stats));
  }

  /** Labeled rows, each timestamped with its label_time; features empty, weights 1.0. */
  public PCollection<TrainingExample> examples() {
    return get(EXAMPLES);
  }

  /**
   * Label corrections from the stateful (streaming) path: late outcomes (0 -> 1), earlier outcomes
   * (1 -> 1) and the speed layer's conversion updates; the examples are never rewritten.
   */
  public PCollection<LabelCorrection> corrections() {
    return get(CORRECTIONS);
  }

  /**
   * Outcomes (and duplicate impressions) refused by the labeler, with their reasons (contract §2.1
   * and §6).
   */
  public PCollection<DeadLetter> deadLetters() {
    return get(DeadLetters.TAG);
  }

  /**
   * One {@link LabelStats} report: bounded input gives exactly one; unbounded input an accumulating
   * pane a minute of processing time after data arrives, and a final one when input ends.
   */
  public PCollection<LabelStats> stats() {
    return get(STATS);
  }
}
