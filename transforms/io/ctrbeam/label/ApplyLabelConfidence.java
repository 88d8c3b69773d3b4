package io.ctrbeam.label;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.TrainingExample;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Sets each row's label_confidence: 1.0 for a positive, 1 - e^(-lambda * elapsed) for a negative
 * that waited {@code elapsed_ms}. The decay rate lambda is given, or estimated (bounded input only)
 * as 1 / mean matched click delay, the exponential maximum-likelihood estimate.
 */
public final class ApplyLabelConfidence
    extends PTransform<PCollection<TrainingExample>, PCollection<TrainingExample>> {
  private final double decayRate;
  private final @Nullable PCollection<Long> clickDelays;

  private ApplyLabelConfidence(double decayRate, @Nullable PCollection<Long> clickDelays) {
    checkArgument(
        decayRate > 0 && Double.isFinite(decayRate),
        "decay rate must be positive, got %s",
        decayRate);
    this.decayRate = decayRate;
    this.clickDelays = clickDelays;
  }

  /** A fixed decay rate per millisecond. */
  public static ApplyLabelConfidence withDecayRate(double perMs) {
    return new ApplyLabelConfidence(perMs, null);
  }

  /**
   * The decay rate estimated from the delays of matched clicks, or {@code fallbackPerMs} when none
   * was matched.
   */
  public static ApplyLabelConfidence estimatedFrom(
      PCollection<Long> clickDelays, double fallbackPerMs) {
    checkArgument(clickDelays != null, "click delays must be given, got %s", clickDelays);
    return new ApplyLabelConfidence(fallbackPerMs, clickDelays);
  }

  /** 1 - e^(-lambda * elapsed) for a negative, 1.0 for a positive. */
  public static double confidence(int clicked, long elapsedMs, double lambdaPerMs) {
    return clicked == 1 ? 1.0 : 1.0 - Math.exp(-lambdaPerMs * elapsedMs);
  }

  @Override
  public PCollection<TrainingExample> expand(PCollection<TrainingExample> rows) {
    ParDo.SingleOutput<TrainingExample, TrainingExample> confidence;
    if (clickDelays != null) {
      PCollectionView<Double> lambda =
          clickDelays
              .apply("EstimateDecayRate", Combine.globally(new EstimateDecayRateFn(decayRate)))
              .apply("DecayRateView", View.asSingleton());
      confidence =
          ParDo.of(new EstimatedConfidenceFn()).withSideInput(EstimatedConfidenceFn.LAMBDA, lambda);
    } else {
      confidence = ParDo.of(new ConfidenceFn(decayRate));
    }
    return rows.apply("SetConfidence", confidence).setCoder(TrainingRows.CODER);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder b) {
    super.populateDisplayData(b);
    b.add(DisplayData.item(clickDelays == null ? "decayRate" : "fallbackDecayRate", decayRate))
        .add(DisplayData.item("estimated", clickDelays != null));
  }

  private static TrainingExample withConfidence(TrainingExample row, double lambdaPerMs) {
    double c = confidence(row.getClicked(), row.getElapsedMs(), lambdaPerMs);
    TrainingExample out = TrainingRows.copy(row);
    out.setLabelConfidence(c);
    return out;
  }

  private static final class ConfidenceFn extends DoFn<TrainingExample, TrainingExample> {
    private final double lambda;

    ConfidenceFn(double lambda) {
      this.lambda = lambda;
    }

    @ProcessElement
    public void process(@Element TrainingExample row, OutputReceiver<TrainingExample> out) {
      out.output(withConfidence(row, lambda));
    }
  }

  /** Confidence with the decay rate estimated from the data, read from a side input. */
  private static final class EstimatedConfidenceFn extends DoFn<TrainingExample, TrainingExample> {
    static final String LAMBDA = "lambda";

    @ProcessElement
    public void process(
        @Element TrainingExample row,
        @SideInput(LAMBDA) Double lambda,
        OutputReceiver<TrainingExample> out) {
      out.output(withConfidence(row, lambda));
    }
  }

  /** 1 / mean delay over all matched click delays (count and sum), or the fallback. */
  static final class EstimateDecayRateFn extends Combine.CombineFn<Long, long[], Double> {
    private final double fallback;

    EstimateDecayRateFn(double fallback) {
      this.fallback = fallback;
    }

    @Override
    public long[] createAccumulator() {
      return new long[2];
    }

    @Override
    public long[] addInput(long[] acc, Long delay) {
      acc[0]++;
      acc[1] += delay;
      return acc;
    }

    @Override
    public long[] mergeAccumulators(Iterable<long[]> accs) {
      long[] m = new long[2];
      for (long[] a : accs) {
        m[0] += a[0];
        m[1] += a[1];
      }
      return m;
    }

    @Override
    public Double extractOutput(long[] acc) {
      return LabelStats.estimate(acc[0], acc[1], fallback);
    }
  }
}
