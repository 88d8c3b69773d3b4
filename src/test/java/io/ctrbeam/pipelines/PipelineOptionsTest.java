package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.label.LabelMode;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** Every pipeline's options build from a command line, with their defaults and required fields. */
class PipelineOptionsTest {
  @Test
  void speedLayerOptions() {
    SpeedLayerOptions o =
        PipelineOptionsFactory.fromArgs(
                "--bootstrapServers=k:9092", "--redisPort=7000", "--labelMode=ELAPSED")
            .withValidation()
            .as(SpeedLayerOptions.class);
    assertThat(o.getImpressionsTopic(), equalTo("impressions"));
    assertThat(o.getRedisHost(), equalTo("localhost"));
    assertThat(o.getRedisPort(), equalTo(7000));
    assertThat(o.getLabelMode(), equalTo(LabelMode.ELAPSED));
    assertThat(o.getFeatureTtl(), equalTo("48h"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PipelineOptionsFactory.fromArgs().withValidation().as(SpeedLayerOptions.class));
    assertThat(e.getMessage(), containsString("bootstrapServers"));
  }

  @Test
  void consistencyReportOptions() {
    ConsistencyReport.Options o =
        PipelineOptionsFactory.fromArgs("--features=f/*.parquet", "--output=c")
            .withValidation()
            .as(ConsistencyReport.Options.class);
    assertThat(o.getTolerance(), equalTo(1e-9));
    assertThat(o.getRedisPort(), equalTo(6379));
  }

  @Test
  void mainJobOptionsAcceptTheTrainingDataOptions() {
    PipelineOptionsFactory.register(TrainingDataOptions.class);
    CtrJobOptions o =
        PipelineOptionsFactory.fromArgs("--workDir=w", "--labelWait=3h", "--seed=9")
            .withValidation()
            .as(CtrJobOptions.class);
    assertThat(o.getSeed(), equalTo(9L));
    assertThat(o.getImpressionsPerDay(), equalTo(50_000L));
    assertThat(o.as(TrainingDataOptions.class).getLabelWait(), equalTo("3h"));
  }

  @Test
  void qualityOptionsHaveSpecFiveDefaultsAndLiveBesideTheTrainingDataOptions() {
    // Registered together, as in one JVM: no property may clash in type.
    PipelineOptionsFactory.register(TrainingDataOptions.class);
    PipelineOptionsFactory.register(DataQualityReport.Options.class);
    DataQualityReport.Options o =
        PipelineOptionsFactory.fromArgs("--input=x/*.parquet", "--output=q")
            .withValidation()
            .as(DataQualityReport.Options.class);
    assertThat(o.getRecordType(), equalTo("training"));
    assertThat(o.getFailOnBreach(), equalTo(true));
    assertThat(o.getQualityGate(), equalTo(true));
    assertThat(o.getQualityReference(), equalTo(""));
    TrainingDataOptions t =
        PipelineOptionsFactory.fromArgs(
                "--impressions=i",
                "--clicks=c",
                "--output=o",
                "--failOnBreach=false",
                "--qualityConfig=q.json")
            .withValidation()
            .as(TrainingDataOptions.class);
    assertThat(t.getFailOnBreach(), equalTo(false));
    assertThat(t.getQualityConfig(), equalTo("q.json"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                PipelineOptionsFactory.fromArgs("--output=q")
                    .withValidation()
                    .as(DataQualityReport.Options.class));
    assertThat(e.getMessage(), containsString("input"));
  }
}
