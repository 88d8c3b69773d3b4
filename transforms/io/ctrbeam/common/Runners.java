package io.ctrbeam.common;

import org.apache.beam.sdk.options.PipelineOptions;

/** What a transform may ask about the runner it is built for. */
public final class Runners {
  private Runners() {}

  /** Whether the pipeline runs on DirectRunner, which pays per key, per element and per bundle. */
  public static boolean isDirect(PipelineOptions options) {
    return options.getRunner().getSimpleName().contains("Direct");
  }
}
