package io.ctrbeam.common;

import java.io.Serializable;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;

/**
 * A counter that adds up within a bundle and reaches Beam's {@link Counter} once, when the DoFn
 * calls {@link #flush()} in its {@code @FinishBundle}. For counters bumped on every element:
 * DirectRunner reads a step's metrics after each element, at a cost per metric the bundle has
 * touched, so a per-element {@code inc()} costs more in the runner than in the DoFn.
 *
 * <p>The committed value is the same as with per-element increments: a failed bundle's increments
 * are dropped either way (runners discard a DoFn instance whose bundle failed). One instance per
 * DoFn instance; DoFns are not called concurrently. Live progress sees the count per bundle.
 */
public final class BundleCounter implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Counter counter;
  private transient long pending;

  private BundleCounter(Counter counter) {
    this.counter = counter;
  }

  public static BundleCounter of(String namespace, String name) {
    return new BundleCounter(Metrics.counter(namespace, name));
  }

  public void inc() {
    pending++;
  }

  public void inc(long n) {
    pending += n;
  }

  /** Reports what the bundle counted; call it from {@code @FinishBundle}. */
  public void flush() {
    if (pending != 0) {
      counter.inc(pending);
      pending = 0;
    }
  }

  /** Flushes each counter. */
  public static void flushAll(BundleCounter... counters) {
    for (BundleCounter c : counters) {
      c.flush();
    }
  }
}
