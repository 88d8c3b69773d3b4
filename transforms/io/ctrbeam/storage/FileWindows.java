package io.ctrbeam.storage;

import java.io.Serializable;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.joda.time.Duration;

/**
 * How a file sink cuts unbounded input into files: fixed event-time windows (late records are
 * dropped), or the global window fired every period of processing time (nothing is ever late).
 */
record FileWindows(Duration size, boolean periodic) implements Serializable {
  static FileWindows fixed(Duration size) {
    return new FileWindows(size, false);
  }

  static FileWindows periodic(Duration period) {
    return new FileWindows(period, true);
  }

  String name() {
    return periodic ? "PeriodicPanes" : "FixedWindows";
  }

  <T> Window<T> window() {
    if (!periodic) {
      return Window.into(FixedWindows.of(size));
    }
    return Window.<T>into(new GlobalWindows())
        .triggering(
            Repeatedly.forever(AfterProcessingTime.pastFirstElementInPane().plusDelayOf(size)))
        .discardingFiredPanes()
        .withAllowedLateness(Duration.ZERO);
  }

  @Override
  public String toString() {
    return (periodic ? "every " : "fixed ") + size;
  }
}
