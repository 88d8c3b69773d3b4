package io.ctrbeam.common;

import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * How a bounded step groups: in the global window with the default end-of-window timestamp, and the
 * DoFn after the grouping stamps each output with its own event time.
 *
 * <p>Flink's batch runner runs such a GroupByKey as one sort and a GroupReduce. With any other
 * timestamp combiner it runs a list-building combine and a second sort instead, which cost about a
 * fifth of the batch pipeline's CPU at 1M impressions.
 */
public final class BatchGrouping {
  private BatchGrouping() {}

  /** {@code in} in the global window with end-of-window timestamps; a no-op when it already is. */
  public static <T> PCollection<T> globalWindow(String name, PCollection<T> in) {
    return globalWindow(name, in, TimestampCombiner.END_OF_WINDOW);
  }

  /**
   * {@code in} in the global window with the given timestamp combiner; a no-op when it already is.
   */
  public static <T> PCollection<T> globalWindow(
      String name, PCollection<T> in, TimestampCombiner combiner) {
    if (in.getWindowingStrategy().getWindowFn() instanceof GlobalWindows
        && in.getWindowingStrategy().getTimestampCombiner() == combiner) {
      return in;
    }
    return in.apply(name, Window.<T>into(new GlobalWindows()).withTimestampCombiner(combiner));
  }

  /**
   * A DoFn whose outputs carry timestamps earlier than its input's: after a bounded grouping, they
   * go back from the group's timestamp to their own; before one, a packed block keeps its earliest.
   */
  public abstract static class RestampingFn<InputT, OutputT> extends DoFn<InputT, OutputT> {
    @Override
    @SuppressWarnings("deprecation")
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }
}
