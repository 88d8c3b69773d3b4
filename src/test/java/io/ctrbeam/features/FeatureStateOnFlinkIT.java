package io.ctrbeam.features;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/**
 * The feature store's state on the embedded FlinkRunner (streaming, TestStream): its MapState
 * slices and its GC time index (MapState slices with a TimerMap timer per slice) work there. Only
 * what does not depend on arrival order is asserted (PROBE.md): keys were held, and once the
 * watermark reaches the end every key's window state, slice and residue is gone.
 */
class FeatureStateOnFlinkIT {
  @Test
  void everyKeyIsCollectedOnFlink() {
    FlinkPipelineOptions o =
        PipelineOptionsFactory.fromArgs(
                "--runner=FlinkRunner",
                "--flinkMaster=[local]",
                "--parallelism=2",
                "--streaming=true")
            .as(FlinkPipelineOptions.class);
    o.setRunner(FlinkRunner.class);
    Pipeline p = Pipeline.create(o);
    FeatureStateBoundTest.snapshots(p, FeatureStateBoundTest.manyDays(), 4);
    PipelineResult r = p.run();
    r.waitUntilFinish();
    long most = FeatureStateBoundTest.maxOf(r, "bucket_state_entities");
    System.out.printf("Flink: at most %d keys holding window state in one bucket%n", most);
    assertThat(most, greaterThan(0L));
    assertThat(FeatureStateBoundTest.counter(r, "state_entities"), equalTo(0L));
    assertThat(FeatureStateBoundTest.counter(r, "state_slices"), equalTo(0L));
    assertThat(FeatureStateBoundTest.counter(r, "state_residues"), equalTo(0L));
  }
}
