package io.ctrbeam.pipelines;

import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The batch layer's Flex Template entry point: submits the job and exits, because a Flex Template
 * launcher must not wait for the job ({@link TrainingDataPipeline#main} waits, then prints the run
 * summary and exits 1 on a quality breach; on Dataflow read {@code _reports/quality.json} instead).
 * Its parameters are {@code runners/dataflow/training-data-metadata.json}.
 */
public final class TrainingDataTemplate {
  private TrainingDataTemplate() {}

  public static void main(String[] args) {
    TrainingDataPipeline.run(
        PipelineOptionsFactory.fromArgs(args).withValidation().as(TrainingDataOptions.class));
  }
}
