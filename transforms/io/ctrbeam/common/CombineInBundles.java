package io.ctrbeam.common;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;

/**
 * {@code Combine.globally(fn)} that, on bounded input, first folds each bundle into one accumulator
 * per window, so only accumulators reach the combine.
 *
 * <p>Flink's batch runner combines by serializing every input into a sort buffer and sorting it by
 * key, even when all keys are equal: for a profile of 1M training rows that is 1M rows serialized
 * and sorted for nothing. Unbounded input goes to {@code Combine.globally} unchanged: a bundle's
 * accumulator would be stamped at its window's end, which a streaming combine may drop as late.
 */
public final class CombineInBundles<InputT, AccumT, OutputT>
    extends PTransform<PCollection<InputT>, PCollection<OutputT>> {
  private final Combine.CombineFn<InputT, AccumT, OutputT> fn;
  private final boolean withDefaults;

  private CombineInBundles(Combine.CombineFn<InputT, AccumT, OutputT> fn, boolean withDefaults) {
    this.fn = fn;
    this.withDefaults = withDefaults;
  }

  public static <InputT, AccumT, OutputT> CombineInBundles<InputT, AccumT, OutputT> globally(
      Combine.CombineFn<InputT, AccumT, OutputT> fn) {
    return new CombineInBundles<>(fn, true);
  }

  /** As {@link Combine.Globally#withoutDefaults()}: no output for an empty window. */
  public CombineInBundles<InputT, AccumT, OutputT> withoutDefaults() {
    return new CombineInBundles<>(fn, false);
  }

  @Override
  public PCollection<OutputT> expand(PCollection<InputT> input) {
    if (input.isBounded() == PCollection.IsBounded.UNBOUNDED) {
      Combine.Globally<InputT, OutputT> plain = Combine.globally(fn);
      return input.apply("Combine", withDefaults ? plain : plain.withoutDefaults());
    }
    Coder<AccumT> accumulatorCoder;
    try {
      accumulatorCoder =
          fn.getAccumulatorCoder(input.getPipeline().getCoderRegistry(), input.getCoder());
    } catch (CannotProvideCoderException e) {
      throw new IllegalStateException("no accumulator coder for " + fn, e);
    }
    Combine.Globally<AccumT, OutputT> merge =
        Combine.globally(new MergeFn<>(fn, input.getCoder(), accumulatorCoder));
    return input
        .apply("FoldBundles", ParDo.of(new FoldFn<>(fn)))
        .setCoder(accumulatorCoder)
        .apply("MergeAccumulators", withDefaults ? merge : merge.withoutDefaults());
  }

  /** One accumulator per window and bundle, output when the bundle ends. */
  private static final class FoldFn<InputT, AccumT> extends DoFn<InputT, AccumT> {
    private final Combine.CombineFn<InputT, AccumT, ?> fn;
    private transient Map<BoundedWindow, AccumT> open;

    FoldFn(Combine.CombineFn<InputT, AccumT, ?> fn) {
      this.fn = fn;
    }

    @StartBundle
    public void start() {
      open = new HashMap<>();
    }

    @ProcessElement
    public void process(@Element InputT x, BoundedWindow window) {
      open.put(window, fn.addInput(open.computeIfAbsent(window, w -> fn.createAccumulator()), x));
    }

    @FinishBundle
    public void finish(FinishBundleContext c) {
      for (Map.Entry<BoundedWindow, AccumT> e : open.entrySet()) {
        c.output(e.getValue(), e.getKey().maxTimestamp(), e.getKey());
      }
      open = null;
    }
  }

  /** The original combine over accumulators: adding one is merging it. */
  private static final class MergeFn<InputT, AccumT, OutputT>
      extends Combine.CombineFn<AccumT, AccumT, OutputT> {
    private final Combine.CombineFn<InputT, AccumT, OutputT> fn;
    private final Coder<InputT> inputCoder;
    private final Coder<AccumT> accumulatorCoder;

    MergeFn(
        Combine.CombineFn<InputT, AccumT, OutputT> fn,
        Coder<InputT> inputCoder,
        Coder<AccumT> accumulatorCoder) {
      this.fn = fn;
      this.inputCoder = inputCoder;
      this.accumulatorCoder = accumulatorCoder;
    }

    @Override
    public AccumT createAccumulator() {
      return fn.createAccumulator();
    }

    @Override
    public AccumT addInput(AccumT acc, AccumT other) {
      return fn.mergeAccumulators(List.of(acc, other));
    }

    @Override
    public AccumT mergeAccumulators(Iterable<AccumT> accs) {
      return fn.mergeAccumulators(accs);
    }

    @Override
    public OutputT extractOutput(AccumT acc) {
      return fn.extractOutput(acc);
    }

    @Override
    public Coder<AccumT> getAccumulatorCoder(CoderRegistry registry, Coder<AccumT> accumulators) {
      return accumulatorCoder;
    }

    @Override
    public Coder<OutputT> getDefaultOutputCoder(CoderRegistry registry, Coder<AccumT> accumulators)
        throws CannotProvideCoderException {
      return fn.getDefaultOutputCoder(registry, inputCoder);
    }
  }
}
