package io.ctrbeam.label;

import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;

/** The outputs of {@link LabelImpressions}. */
public final class LabelResult implements POutput {
  public static final TupleTag<TrainingExample> EXAMPLES =
      new TupleTag<TrainingExample>("examples") {};
  public static final TupleTag<LabelCorrection> CORRECTIONS =
      new TupleTag<LabelCorrection>("corrections") {};
  public static final TupleTag<LabelStats> STATS = new TupleTag<LabelStats>("stats") {};

  private final PCollection<TrainingExample> examples;
  private final PCollection<LabelCorrection> corrections;
  private final PCollection<DeadLetter> deadLetters;
  private final PCollection<LabelStats> stats;

  LabelResult(
      PCollection<TrainingExample> examples,
      PCollection<LabelCorrection> corrections,
      PCollection<DeadLetter> deadLetters,
      PCollection<LabelStats> stats) {
    this.examples = examples;
    this.corrections = corrections;
    this.deadLetters = deadLetters;
    this.stats = stats;
  }

  /** Labeled rows, each timestamped with its label_time; features empty, weights 1.0. */
  public PCollection<TrainingExample> examples() {
    return examples;
  }

  /**
   * Label corrections from the stateful (streaming) path: late outcomes (0 -> 1), earlier outcomes
   * (1 -> 1) and the speed layer's conversion updates; the examples are never rewritten.
   */
  public PCollection<LabelCorrection> corrections() {
    return corrections;
  }

  /**
   * Outcomes (and duplicate impressions) refused by the labeler, with their reasons (contract §2.1
   * and §6).
   */
  public PCollection<DeadLetter> deadLetters() {
    return deadLetters;
  }

  /**
   * One {@link LabelStats} report: bounded input gives exactly one; unbounded input an accumulating
   * pane a minute of processing time after data arrives, and a final one when input ends.
   */
  public PCollection<LabelStats> stats() {
    return stats;
  }

  @Override
  public Pipeline getPipeline() {
    return examples.getPipeline();
  }

  @Override
  public Map<TupleTag<?>, PValue> expand() {
    Map<TupleTag<?>, PValue> m = new LinkedHashMap<>();
    m.put(EXAMPLES, examples);
    m.put(CORRECTIONS, corrections);
    m.put(DeadLetters.TAG, deadLetters);
    m.put(STATS, stats);
    return m;
  }

  @Override
  public void finishSpecifyingOutput(
      String transformName, PInput input, PTransform<?, ?> transform) {}
}
