package io.ctrbeam.weights;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.BundleCounter;
import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.TrainingExample;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Sets the weight columns of each example from a propensity table and a sampling plan (both side
 * inputs), and drops the negatives the plan does not keep:
 *
 * <ul>
 *   <li>{@code position_propensity} = P̂ of the row's (device, position);
 *   <li>{@code ipw_weight} = min(1 / P̂, max); written rows that were capped count in {@code
 *       ipw_clipped};
 *   <li>{@code sampling_rate} = the negative rate for a kept negative, 1 for a positive; {@code
 *       sampling_weight} = 1 / sampling_rate;
 *   <li>{@code weight} = ipw_weight × sampling_weight.
 * </ul>
 *
 * <p>Keep or drop is {@link SamplingPlan#keep}: a hash of impression_id and the seed, the same in
 * every run, runner and layer. Outputs {@link #EXAMPLES} and one {@link WeightStats} per input row
 * on {@link #STATS}. Counters (namespace {@value #NAMESPACE}): ipw_clipped, positives_kept,
 * negatives_kept, negatives_dropped, position_beyond_table.
 */
public final class AttachWeights
    extends PTransform<PCollection<TrainingExample>, PCollectionTuple> {
  public static final String NAMESPACE = "weights";
  public static final TupleTag<TrainingExample> EXAMPLES =
      new TupleTag<TrainingExample>("weightedExamples") {};
  public static final TupleTag<WeightStats> STATS = new TupleTag<WeightStats>("weightStats") {};

  private static final String PROPENSITIES = "propensities";
  private static final String PLAN = "samplingPlan";

  private final PCollectionView<PropensityTable> propensities;
  private final PCollectionView<SamplingPlan> plan;
  private final double maxIpwWeight;
  private final long seed;

  private AttachWeights(
      PCollectionView<PropensityTable> propensities,
      PCollectionView<SamplingPlan> plan,
      double maxIpwWeight,
      long seed) {
    this.propensities = propensities;
    this.plan = plan;
    this.maxIpwWeight = maxIpwWeight;
    this.seed = seed;
  }

  /** Weights from these singleton views; IPW clipped at 20, seed 0. */
  public static AttachWeights using(
      PCollectionView<PropensityTable> propensities, PCollectionView<SamplingPlan> plan) {
    checkArgument(
        propensities != null && plan != null,
        "propensities and plan views are required, got %s, %s",
        propensities,
        plan);
    return new AttachWeights(propensities, plan, 20.0, 0L);
  }

  /** IPW weights above this are clipped to it (>= 1). */
  public AttachWeights withMaxIpwWeight(double max) {
    checkArgument(
        max >= 1 && Double.isFinite(max), "maxIpwWeight must be a finite number >= 1, got %s", max);
    return new AttachWeights(propensities, plan, max, seed);
  }

  /** The seed of the keep/drop hash. */
  public AttachWeights withSeed(long seed) {
    return new AttachWeights(propensities, plan, maxIpwWeight, seed);
  }

  @Override
  public PCollectionTuple expand(PCollection<TrainingExample> input) {
    PCollectionTuple out =
        input.apply(
            "WeighAndSample",
            ParDo.of(new WeighFn(maxIpwWeight, seed))
                .withSideInput(PROPENSITIES, propensities)
                .withSideInput(PLAN, plan)
                .withOutputTags(EXAMPLES, TupleTagList.of(STATS)));
    out.get(EXAMPLES).setCoder(TrainingRows.CODER);
    out.get(STATS).setCoder(WeightStats.WeightStatsCoder.INSTANCE);
    return out;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("maxIpwWeight", maxIpwWeight))
        .add(DisplayData.item("samplingSeed", seed));
  }

  private static final class WeighFn extends DoFn<TrainingExample, TrainingExample> {
    private final double maxIpwWeight;
    private final long seed;
    private final BundleCounter clipped = BundleCounter.of(NAMESPACE, "ipw_clipped");
    private final BundleCounter positivesKept = BundleCounter.of(NAMESPACE, "positives_kept");
    private final BundleCounter negativesKept = BundleCounter.of(NAMESPACE, "negatives_kept");
    private final BundleCounter negativesDropped = BundleCounter.of(NAMESPACE, "negatives_dropped");
    private final BundleCounter beyondTable = BundleCounter.of(NAMESPACE, "position_beyond_table");

    WeighFn(double maxIpwWeight, long seed) {
      this.maxIpwWeight = maxIpwWeight;
      this.seed = seed;
    }

    @ProcessElement
    public void process(
        @Element TrainingExample e,
        @SideInput(PROPENSITIES) PropensityTable table,
        @SideInput(PLAN) SamplingPlan sampling,
        MultiOutputReceiver out) {
      double p = table.propensity(e.getDevice(), e.getPosition());
      if (table.beyondTable(e.getPosition())) {
        beyondTable.inc();
      }
      boolean clip = 1.0 / p > maxIpwWeight;
      double ipw = clip ? maxIpwWeight : 1.0 / p;
      boolean positive = e.getClicked() == 1;
      boolean keep = sampling.keep(positive, e.getImpressionId(), seed);
      double rate = positive ? 1.0 : sampling.negativeRate();
      out.get(STATS).output(WeightStats.row(positive, ipw, clip && keep, keep, 1.0 / rate, rate));
      if (!keep) {
        negativesDropped.inc();
        return;
      }
      if (clip) {
        clipped.inc();
      }
      (positive ? positivesKept : negativesKept).inc();
      TrainingExample w = TrainingRows.copy(e);
      w.setPositionPropensity(p);
      w.setIpwWeight(ipw);
      w.setSamplingRate(rate);
      w.setSamplingWeight(1.0 / rate);
      w.setWeight(ipw / rate);
      out.get(EXAMPLES).output(w);
    }

    @FinishBundle
    public void finishBundle() {
      BundleCounter.flushAll(clipped, positivesKept, negativesKept, negativesDropped, beyondTable);
    }
  }
}
