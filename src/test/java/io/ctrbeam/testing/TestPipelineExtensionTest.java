package io.ctrbeam.testing;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** The extension's claim: a test that builds a pipeline and never runs it fails. */
class TestPipelineExtensionTest {

  /** Run only through the launcher below: one test forgets run(), one runs. */
  @ExtendWith(TestPipelineExtension.class)
  static class Cases {
    @Test
    void forgetsToRun(TestPipeline p) {
      PCollection<Integer> xs = p.apply(Create.of(1, 2));
      PAssert.that(xs).containsInAnyOrder(1, 2);
    }

    @Test
    void runs(TestPipeline p) {
      PCollection<Integer> xs = p.apply(Create.of(1, 2));
      PAssert.that(xs).containsInAnyOrder(1, 2);
      p.run().waitUntilFinish();
    }
  }

  @Test
  void aPipelineThatIsNeverRunFailsItsTest() {
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create()
        .execute(
            LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Cases.class)).build(),
            listener);
    TestExecutionSummary s = listener.getSummary();
    assertThat(s.getTestsSucceededCount(), equalTo(1L));
    assertThat(s.getTestsFailedCount(), equalTo(1L));
    assertThat(
        s.getFailures().get(0).getTestIdentifier().getDisplayName(),
        equalTo("forgetsToRun(TestPipeline)"));
  }
}
