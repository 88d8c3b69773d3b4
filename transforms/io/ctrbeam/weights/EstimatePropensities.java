package io.ctrbeam.weights;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.CombineInBundles;
import io.ctrbeam.schema.TrainingExample;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Trigger;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Estimates the position propensities of training examples: {@link CountClicks} (a combine, so no
 * training row is shuffled), then one {@link PropensityFit} over the single aggregate.
 *
 * <p>Bounded input gives one table over all of it. Unbounded input is counted in the global window
 * with accumulating panes (by default a pane a minute of processing time after data arrives), so
 * each new table is fit on everything seen so far, never on the last pane alone.
 */
public final class EstimatePropensities
    extends PTransform<PCollection<TrainingExample>, PCollection<PropensityTable>> {
  private final PropensityFit fit;
  private final boolean byDevice;
  private final @Nullable Trigger trigger;

  private EstimatePropensities(PropensityFit fit, boolean byDevice, @Nullable Trigger trigger) {
    this.fit = fit;
    this.byDevice = byDevice;
    this.trigger = trigger;
  }

  /** Per position, with {@link PropensityFit#create()}'s defaults. */
  public static EstimatePropensities create() {
    return new EstimatePropensities(PropensityFit.create(), false, null);
  }

  /** The estimators' settings. */
  public EstimatePropensities withFit(PropensityFit fit) {
    checkArgument(fit != null, "fit must not be null, got %s", fit);
    return new EstimatePropensities(fit, byDevice, trigger);
  }

  /**
   * Also per device × position (examination differs by device); sparse entries use the all-device
   * one.
   */
  public EstimatePropensities perDevice(boolean byDevice) {
    return new EstimatePropensities(fit, byDevice, trigger);
  }

  /** Unbounded input: when to emit an updated table (accumulating). */
  public EstimatePropensities withUpdateTrigger(Trigger trigger) {
    checkArgument(trigger != null, "trigger must not be null, got %s", trigger);
    return new EstimatePropensities(fit, byDevice, trigger);
  }

  @Override
  public PCollection<PropensityTable> expand(PCollection<TrainingExample> input) {
    PCollection<TrainingExample> counted = input;
    boolean unbounded = input.isBounded() == PCollection.IsBounded.UNBOUNDED;
    if (unbounded || trigger != null) {
      Trigger t =
          trigger != null
              ? trigger
              : Repeatedly.forever(
                  AfterProcessingTime.pastFirstElementInPane()
                      .plusDelayOf(Duration.standardMinutes(1)));
      counted =
          input.apply(
              "AccumulateGlobally",
              Window.<TrainingExample>into(new GlobalWindows())
                  .triggering(t)
                  .accumulatingFiredPanes()
                  .withAllowedLateness(Duration.ZERO));
    }
    CountClicks fn = byDevice ? CountClicks.perDeviceAndPosition() : CountClicks.perPosition();
    PCollection<ClickCounts> counts =
        unbounded
            ? counted.apply("CountClicks", Combine.globally(fn).withoutDefaults())
            : counted.apply("CountClicks", CombineInBundles.globally(fn));
    return counts
        .apply("FitPropensities", ParDo.of(new FitFn(fit)))
        .setCoder(SerializableCoder.of(PropensityTable.class));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    fit.describe().forEach((k, v) -> builder.add(DisplayData.item(k, String.valueOf(v))));
    builder.add(DisplayData.item("perDevice", byDevice));
    builder.addIfNotNull(
        DisplayData.item("updateTrigger", trigger == null ? null : trigger.toString()));
  }

  /** Fits both estimators to the one aggregate of a pane. */
  static final class FitFn extends DoFn<ClickCounts, PropensityTable> {
    private final PropensityFit fit;

    FitFn(PropensityFit fit) {
      this.fit = fit;
    }

    @ProcessElement
    public void process(@Element ClickCounts counts, OutputReceiver<PropensityTable> out) {
      out.output(fit.fit(counts));
    }
  }
}
