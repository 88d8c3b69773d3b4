package io.ctrbeam.weights;

import io.ctrbeam.common.TaggedOutputs;
import io.ctrbeam.schema.TrainingExample;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;

/** The outputs of {@link WeightExamples}. */
public final class WeightResult extends TaggedOutputs {
  private static final TupleTag<PropensityTable> ESTIMATED =
      new TupleTag<>("estimatedPropensities");
  private static final TupleTag<PropensityTable> APPLIED = new TupleTag<>("appliedPropensities");
  private static final TupleTag<SamplingPlan> PLAN = new TupleTag<>("samplingPlan");

  WeightResult(
      PCollection<TrainingExample> examples,
      PCollection<PropensityTable> estimated,
      PCollection<PropensityTable> applied,
      PCollection<SamplingPlan> plan,
      PCollection<WeightStats> stats) {
    super(
        PCollectionTuple.of(AttachWeights.EXAMPLES, examples)
            .and(ESTIMATED, estimated)
            .and(APPLIED, applied)
            .and(PLAN, plan)
            .and(AttachWeights.STATS, stats));
  }

  /** Weighted examples; the negatives the plan drops are gone. */
  public PCollection<TrainingExample> examples() {
    return get(AttachWeights.EXAMPLES);
  }

  /** This run's estimate (both estimators), even when the weights come from a file. */
  public PCollection<PropensityTable> estimated() {
    return get(ESTIMATED);
  }

  /** The table the weights used: the estimate, or the file's. */
  public PCollection<PropensityTable> applied() {
    return get(APPLIED);
  }

  public PCollection<SamplingPlan> plan() {
    return get(PLAN);
  }

  /** One summary per run (bounded) or per window and pane (unbounded). */
  public PCollection<WeightStats> stats() {
    return get(AttachWeights.STATS);
  }
}
