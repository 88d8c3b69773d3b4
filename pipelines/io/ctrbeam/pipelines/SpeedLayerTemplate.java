package io.ctrbeam.pipelines;

import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The speed layer's Flex Template entry point: submits the streaming job and exits, because a Flex
 * Template launcher must not wait for the job ({@link SpeedLayerPipeline#main} waits forever on a
 * stream). Its parameters are {@code runners/dataflow/speed-layer-metadata.json}.
 */
public final class SpeedLayerTemplate {
  private SpeedLayerTemplate() {}

  public static void main(String[] args) {
    SpeedLayerPipeline.run(
        PipelineOptionsFactory.fromArgs(args).withValidation().as(SpeedLayerOptions.class));
  }
}
