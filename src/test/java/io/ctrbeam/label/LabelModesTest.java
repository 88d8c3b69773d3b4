package io.ctrbeam.label;

import static io.ctrbeam.label.LabelFixtures.HOUR;
import static io.ctrbeam.label.LabelFixtures.MIN;
import static io.ctrbeam.label.LabelFixtures.T0;
import static io.ctrbeam.label.LabelFixtures.click;
import static io.ctrbeam.label.LabelFixtures.clickEvent;
import static io.ctrbeam.label.LabelFixtures.clicks;
import static io.ctrbeam.label.LabelFixtures.imp;
import static io.ctrbeam.label.LabelFixtures.impressionEvent;
import static io.ctrbeam.label.LabelFixtures.impressions;
import static io.ctrbeam.label.LabelFixtures.row;
import static io.ctrbeam.label.LabelFixtures.summarize;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.TestPipelineExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Filter;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** FAKE_NEGATIVE and ELAPSED modes, the decay-rate estimate, and state draining. */
@ExtendWith(TestPipelineExtension.class)
class LabelModesTest {

  @Test
  void fakeNegativeEmitsEveryImpressionAtOnceThenItsPositive(TestPipeline p) {
    LabelResult r =
        LabelInputs.of(
                impressions(p, imp("a", T0), imp("b", T0)),
                clicks(p, click("ca", "a", T0 + 5 * MIN)))
            .apply("Label", LabelImpressions.create().withMode(LabelMode.FAKE_NEGATIVE));
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(
            row("a", 0, 0, 0, 0, "FAKE_NEGATIVE"),
            row("a", 1, 0, 5 * MIN, 5 * MIN, "FAKE_NEGATIVE"),
            row("b", 0, 0, 0, 0, "FAKE_NEGATIVE"));
    p.run().waitUntilFinish();
  }

  @Test
  void fakeNegativeStreamingNeverWaitsAndHoldsNothingAfterW(TestPipeline p) {
    TestStream<String> s =
        TestStream.create(StringUtf8Coder.of())
            .advanceWatermarkTo(new Instant(T0 - HOUR))
            .addElements(impressionEvent("a", T0), impressionEvent("b", T0))
            .advanceWatermarkTo(new Instant(T0 + 2 * MIN))
            .addElements(clickEvent("ca", "a", T0 + 5 * MIN))
            .advanceWatermarkToInfinity();
    LabelResult r =
        LabelFixtures.events(p.apply("Events", s))
            .apply(
                "Label",
                LabelImpressions.create().withMode(LabelMode.FAKE_NEGATIVE).withoutConversions());
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(
            row("a", 0, 0, 0, 0, "FAKE_NEGATIVE"),
            row("a", 1, 0, 5 * MIN, 5 * MIN, "FAKE_NEGATIVE"),
            row("b", 0, 0, 0, 0, "FAKE_NEGATIVE"));
    PipelineResult res = p.run();
    res.waitUntilFinish();
    LabelStreamingTest.assertStateDrained(res);
  }

  @Test
  void elapsedEmitsNegativeAfterTauAndALaterPositiveAsExtraRow(TestPipeline p) {
    LabelResult r =
        LabelInputs.of(
                impressions(p, imp("a", T0), imp("b", T0), imp("c", T0)),
                clicks(p, click("ca", "a", T0 + 10 * MIN), click("cb", "b", T0 + 25 * MIN)))
            .apply(
                "Label",
                LabelImpressions.create()
                    .withMode(LabelMode.ELAPSED)
                    .withElapsedWait(Duration.standardMinutes(20)));
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(
            row("a", 1, 0, 10 * MIN, 10 * MIN, "ELAPSED"),
            row("b", 0, 0, 20 * MIN, 20 * MIN, "ELAPSED"),
            row("b", 1, 0, 25 * MIN, 25 * MIN, "ELAPSED"),
            row("c", 0, 0, 20 * MIN, 20 * MIN, "ELAPSED"));
    p.run().waitUntilFinish();
  }

  @Test
  void estimatedDecayRateIsCloseToTheTrueExponentialRate(TestPipeline p) {
    double meanDelay = 10 * MIN;
    Random rnd = new Random(11);
    List<Impression> is = new ArrayList<>();
    List<Click> cs = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      long t = T0 + i * MIN;
      is.add(imp("i" + i, t));
      long delay = 1 + (long) (-meanDelay * Math.log(1 - rnd.nextDouble()));
      cs.add(click("c" + i, "i" + i, t + delay));
    }
    is.add(imp("unclicked", T0));
    LabelResult r =
        LabelInputs.of(
                impressions(p, is.toArray(new Impression[0])), clicks(p, cs.toArray(new Click[0])))
            .apply("Label", LabelImpressions.create().withEstimatedDecayRate());
    PAssert.thatSingleton(r.stats()).satisfies(s -> checkLambda(s, 1 / meanDelay));
    PAssert.thatSingleton(r.examples().apply("Unclicked", Filter.by(LabelModesTest::unclicked)))
        .satisfies(row -> checkConfidence(row, 1 / meanDelay));
    p.run().waitUntilFinish();
  }

  private static boolean unclicked(TrainingExample r) {
    return r.getImpressionId().equals("unclicked");
  }

  private static Void checkLambda(LabelStats s, double truth) {
    assertThat(s.lambdaEstimated(), equalTo(true));
    assertThat(s.lambdaPerMs(), closeTo(truth, 0.15 * truth));
    assertThat(s.matchedClicks(), equalTo(400L));
    assertThat(s.sharePastWindow(), greaterThan(0.0));
    return null;
  }

  private static Void checkConfidence(TrainingExample r, double truth) {
    // With the estimate (~1/10 min) a 2 h negative is ~0.99999; the default rate would give 0.44.
    assertThat(r.getLabelConfidence(), closeTo(1 - Math.exp(-truth * 2 * HOUR), 1e-3));
    return null;
  }
}
