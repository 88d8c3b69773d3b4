package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.testing.TestFiles;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/**
 * The speed layer weighs its labels only from a file and a given rate (the transform itself is
 * tested on TestStream).
 */
class SpeedLayerWeightsTest {
  private static List<String> steps(SpeedLayerOptions o) {
    Pipeline p = Pipeline.create(o);
    SpeedLayerPipeline.build(p, o);
    List<String> names = TestFiles.stepNames(p);
    return names;
  }

  private static SpeedLayerOptions options(String... extra) {
    List<String> args =
        new ArrayList<>(List.of("--bootstrapServers=localhost:9", "--labelsTopic=labels"));
    args.addAll(List.of(extra));
    return PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
        .withValidation()
        .as(SpeedLayerOptions.class);
  }

  @Test
  void labelsAreWeighedOnlyWithAPropensityFile() {
    assertThat(steps(options()).contains("Weigh"), equalTo(false));
    assertThat(
        steps(options("--propensities=p.json", "--observedPositiveRate=0.01")).contains("Weigh"),
        equalTo(true));
  }

  /** As in the batch layer, only the kept rows reach the features. */
  @Test
  void theFeaturesTakeTheWeighedRows() {
    SpeedLayerOptions o = options("--propensities=p.json", "--observedPositiveRate=0.01");
    Pipeline p = Pipeline.create(o);
    SpeedLayerPipeline.build(p, o);
    assertThat(TestFiles.producersOfInputs(p, "AddFeatures"), hasItem("Weigh"));
    assertThat(TestFiles.producersOfInputs(p, "AddFeatures"), not(hasItem("Label")));
  }

  @Test
  void aRateMeasuredFromTheStreamIsRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> steps(options("--propensities=p.json")));
    assertThat(e.getMessage(), containsString("--observedPositiveRate"));
  }
}
