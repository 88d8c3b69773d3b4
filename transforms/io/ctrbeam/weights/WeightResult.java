package io.ctrbeam.weights;

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

/** The outputs of {@link WeightExamples}. */
public final class WeightResult implements POutput {
  private static final TupleTag<PropensityTable> ESTIMATED =
      new TupleTag<>("estimatedPropensities");
  private static final TupleTag<PropensityTable> APPLIED = new TupleTag<>("appliedPropensities");
  private static final TupleTag<SamplingPlan> PLAN = new TupleTag<>("samplingPlan");

  private final PCollection<TrainingExample> examples;
  private final PCollection<PropensityTable> estimated;
  private final PCollection<PropensityTable> applied;
  private final PCollection<SamplingPlan> plan;
  private final PCollection<WeightStats> stats;

  WeightResult(
      PCollection<TrainingExample> examples,
      PCollection<PropensityTable> estimated,
      PCollection<PropensityTable> applied,
      PCollection<SamplingPlan> plan,
      PCollection<WeightStats> stats) {
    this.examples = examples;
    this.estimated = estimated;
    this.applied = applied;
    this.plan = plan;
    this.stats = stats;
  }

  /** Weighted examples; the negatives the plan drops are gone. */
  public PCollection<TrainingExample> examples() {
    return examples;
  }

  /** This run's estimate (both estimators), even when the weights come from a file. */
  public PCollection<PropensityTable> estimated() {
    return estimated;
  }

  /** The table the weights used: the estimate, or the file's. */
  public PCollection<PropensityTable> applied() {
    return applied;
  }

  public PCollection<SamplingPlan> plan() {
    return plan;
  }

  /** One summary per run (bounded) or per window and pane (unbounded). */
  public PCollection<WeightStats> stats() {
    return stats;
  }

  @Override
  public Pipeline getPipeline() {
    return examples.getPipeline();
  }

  @Override
  public Map<TupleTag<?>, PValue> expand() {
    Map<TupleTag<?>, PValue> m = new LinkedHashMap<>();
    m.put(AttachWeights.EXAMPLES, examples);
    m.put(ESTIMATED, estimated);
    m.put(APPLIED, applied);
    m.put(PLAN, plan);
    m.put(AttachWeights.STATS, stats);
    return m;
  }

  @Override
  public void finishSpecifyingOutput(
      String transformName, PInput input, PTransform<?, ?> transform) {}
}
