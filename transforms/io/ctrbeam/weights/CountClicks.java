package io.ctrbeam.weights;

import io.ctrbeam.schema.TrainingExample;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;

/**
 * Counts impressions and clicks per (device or {@value ClickCounts#ALL}, position, ad): the combine
 * behind the propensity estimate. Partial counts merge in any order, so the runner lifts it before
 * the shuffle and no training row is shuffled.
 */
public final class CountClicks
    extends Combine.CombineFn<TrainingExample, ClickCounts, ClickCounts> {
  private final boolean byDevice;

  private CountClicks(boolean byDevice) {
    this.byDevice = byDevice;
  }

  /** Per position and ad. */
  public static CountClicks perPosition() {
    return new CountClicks(false);
  }

  /** Per device, position and ad (the fit adds the all-device table). */
  public static CountClicks perDeviceAndPosition() {
    return new CountClicks(true);
  }

  @Override
  public ClickCounts createAccumulator() {
    return new ClickCounts();
  }

  @Override
  public ClickCounts addInput(ClickCounts acc, TrainingExample e) {
    String context = byDevice ? ClickCounts.deviceContext(e.getDevice()) : ClickCounts.ALL;
    return acc.add(context, e.getPosition(), e.getAdId(), 1, e.getClicked() == 1 ? 1 : 0);
  }

  @Override
  public ClickCounts mergeAccumulators(Iterable<ClickCounts> accs) {
    ClickCounts out = new ClickCounts();
    for (ClickCounts a : accs) {
      out.addAll(a);
    }
    return out;
  }

  @Override
  public ClickCounts extractOutput(ClickCounts acc) {
    return acc;
  }

  @Override
  public Coder<ClickCounts> getAccumulatorCoder(
      CoderRegistry registry, Coder<TrainingExample> inputCoder)
      throws CannotProvideCoderException {
    return ClickCountsCoder.of();
  }

  @Override
  public Coder<ClickCounts> getDefaultOutputCoder(
      CoderRegistry registry, Coder<TrainingExample> inputCoder)
      throws CannotProvideCoderException {
    return ClickCountsCoder.of();
  }
}
