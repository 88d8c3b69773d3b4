package io.ctrbeam.weights;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ctrbeam.common.MetricsReader;
import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.TestPipelineExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Weights and downsampling on DirectRunner, bounded and on TestStream. */
@ExtendWith(TestPipelineExtension.class)
class WeightExamplesTest {
  private static final int N = 12_000;

  /** One in 50 clicked: r = 0.02. */
  private static final int EVERY = 50;

  /**
   * Hand-worked: keep q of the negatives so that 0.02 / (0.02 + 0.98 q) = 0.10: q = 0.018 / 0.098.
   */
  private static final double RATE = 0.018 / 0.098;

  @Test
  void sampledOutputWeighsBackToTheUnsampledPositiveRate(TestPipeline p) {
    WeightResult w =
        p.apply(Create.of(WeightFixtures.examples(N, EVERY)).withCoder(TrainingRows.CODER))
            .apply(WeightExamples.create().withTargetPositiveRate(0.10));
    PAssert.thatSingleton(w.stats())
        .satisfies(
            s -> {
              assertThat(s.rowsIn(), equalTo((long) N));
              assertThat(s.positivesOut(), equalTo((long) N / EVERY));
              assertThat(s.samplingRate(), closeTo(RATE, 1e-12));
              // Kept negatives ~ Binomial(N − N/50, q): the weighted count 1/q · kept has sd
              // sqrt(N(1-q)/q).
              double negatives = N - N / EVERY;
              double sd = Math.sqrt(negatives * (1 - RATE) / RATE);
              double r = 1.0 / EVERY;
              // d(weighted rate)/d(weighted negatives) ≈ r / N: 4 sd.
              assertThat(
                  Math.abs(s.samplingWeightedPositiveRateOut() - r), lessThan(4 * sd * r / N));
              assertThat(s.positiveRateOut(), closeTo(0.10, 0.01));
              assertThat(s.negativesDropped() + s.rowsOut(), equalTo((long) N));
              return null;
            });
    PAssert.thatSingleton(w.plan())
        .satisfies(
            plan -> {
              assertThat(plan.observedRate(), closeTo(0.02, 1e-12));
              assertThat(plan.measured(), equalTo(true));
              return null;
            });
    PipelineResult result = p.run();
    result.waitUntilFinish();
    Map<String, Long> c = MetricsReader.read(result, AttachWeights.NAMESPACE);
    assertThat(c.get("positives_kept"), equalTo((long) N / EVERY));
    assertThat(
        c.get("negatives_kept") + c.get("negatives_dropped"), equalTo((long) (N - N / EVERY)));
  }

  @Test
  void keptRowsAreAHashOfTheIdAndSeedTheSameOnEveryRun(TestPipeline p) {
    List<TrainingExample> input = WeightFixtures.examples(3_000, EVERY);
    Set<String> expected = new TreeSet<>();
    for (TrainingExample e : input) {
      if (e.getClicked() == 1 || StableHash.unit(11, e.getImpressionId()) < RATE) {
        expected.add(e.getImpressionId());
      }
    }
    PCollection<TrainingExample> in = p.apply(Create.of(input).withCoder(TrainingRows.CODER));
    PCollection<String> kept =
        in.apply("First", WeightExamples.create().withTargetPositiveRate(0.10).withSamplingSeed(11))
            .examples()
            .apply("FirstIds", ids());
    PCollection<String> again =
        in.apply("Again", WeightExamples.create().withTargetPositiveRate(0.10).withSamplingSeed(11))
            .examples()
            .apply("AgainIds", ids());
    PAssert.that(kept).containsInAnyOrder(expected);
    PAssert.that(again).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  @Test
  void weightsFromAFileAreClippedAndCounted(TestPipeline p, @TempDir Path dir) throws Exception {
    List<TrainingExample> input = WeightFixtures.examples(300, 10);
    WeightResult w =
        p.apply(Create.of(input).withCoder(TrainingRows.CODER))
            .apply(
                WeightExamples.create()
                    .withPropensityFile(WeightFixtures.propensityFile(dir).toString()));
    // No downsampling: every row, weight = ipw, position 3's 25 clipped to 20.
    PAssert.that(w.examples())
        .satisfies(
            rows -> {
              int n = 0;
              for (TrainingExample e : rows) {
                double[] expected = {1.0, 2.0, 20.0};
                double[] propensity = {1.0, 0.5, 0.04};
                assertThat(e.getPositionPropensity(), equalTo(propensity[e.getPosition() - 1]));
                assertThat(e.getIpwWeight(), equalTo(expected[e.getPosition() - 1]));
                assertThat(e.getSamplingRate(), equalTo(1.0));
                assertThat(e.getSamplingWeight(), equalTo(1.0));
                assertThat(e.getWeight(), equalTo(expected[e.getPosition() - 1]));
                n++;
              }
              assertThat(n, equalTo(300));
              return null;
            });
    PAssert.thatSingleton(w.stats())
        .satisfies(
            s -> {
              assertThat(s.clippedRows(), equalTo(100L));
              // Hand-worked: clicks at i % 10 == 0 sit at positions 1, 2, 3 in turn (10 each):
              // (10·1 + 10·2 + 10·20) / (100·23).
              assertThat(s.ipwPositiveRateIn(), closeTo(230.0 / 2300, 1e-12));
              return null;
            });
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertThat(
        MetricsReader.read(result, AttachWeights.NAMESPACE).get("ipw_clipped"), equalTo(100L));
  }

  @Test
  void estimateOnBeamEqualsTheFitOfCountsTakenByHand(TestPipeline p) {
    List<TrainingExample> input = new ArrayList<>();
    ClickCounts byHand = new ClickCounts();
    for (int i = 0; i < 2_000; i++) {
      int position = 1 + i % 4;
      String ad = "ad-" + (i % 7);
      boolean clicked = (i * 31 % 97) < 12 / position;
      TrainingExample e =
          WeightFixtures.example("i" + i, position, null, clicked, WeightFixtures.T0 + i);
      e.setAdId(ad);
      input.add(e);
      byHand.add("*", position, ad, 1, clicked ? 1 : 0);
    }
    PropensityTable expected = PropensityFit.create().withMinImpressions(10).fit(byHand);
    PCollection<PropensityTable> t =
        p.apply(Create.of(input).withCoder(TrainingRows.CODER))
            .apply(
                EstimatePropensities.create()
                    .withFit(PropensityFit.create().withMinImpressions(10)));
    PAssert.thatSingleton(t).isEqualTo(expected);
    p.run().waitUntilFinish();
  }

  @Test
  void perDeviceEstimateOnBeamEqualsTheFitOfCountsTakenByHand(TestPipeline p) {
    List<TrainingExample> input = new ArrayList<>();
    ClickCounts byHand = new ClickCounts();
    String[] devices = {"mobile", "desktop", null};
    for (int i = 0; i < 3_000; i++) {
      int position = 1 + i % 3;
      String device = devices[i % 3 == 0 ? (i / 3) % 3 : i % 2];
      boolean clicked = (i * 17 % 89) < 10 / position;
      TrainingExample e =
          WeightFixtures.example("d" + i, position, device, clicked, WeightFixtures.T0 + i);
      input.add(e);
      byHand.add(device == null ? "unknown" : device, position, e.getAdId(), 1, clicked ? 1 : 0);
    }
    PropensityFit fit = PropensityFit.create().withMinImpressions(50);
    PCollection<PropensityTable> t =
        p.apply(Create.of(input).withCoder(TrainingRows.CODER))
            .apply(EstimatePropensities.create().withFit(fit).perDevice(true));
    PAssert.thatSingleton(t).isEqualTo(fit.fit(byHand));
    p.run().waitUntilFinish();
  }

  @Test
  void onTestStreamTheEstimateAccumulatesOverPanes(TestPipeline p) {
    List<TrainingExample> all = WeightFixtures.examples(600, 10);
    TestStream.Builder<TrainingExample> b = TestStream.create(TrainingRows.CODER);
    b = add(b, all.subList(0, 200));
    b = add(b.advanceProcessingTime(Duration.standardMinutes(2)), all.subList(200, 600));
    TestStream<TrainingExample> stream =
        b.advanceProcessingTime(Duration.standardMinutes(2)).advanceWatermarkToInfinity();
    PCollection<Long> impressions =
        p.apply(stream)
            .apply(
                EstimatePropensities.create()
                    .withFit(PropensityFit.create().withMinImpressions(10))
                    .withUpdateTrigger(
                        Repeatedly.forever(
                            AfterProcessingTime.pastFirstElementInPane()
                                .plusDelayOf(Duration.standardMinutes(1)))))
            .apply(
                MapElements.into(TypeDescriptors.longs())
                    .via(
                        t ->
                            t.positions().stream()
                                .mapToLong(PropensityTable.Entry::impressions)
                                .sum()));
    // Accumulating: the second table is fit on all 600 rows, not on the last 400.
    PAssert.that(impressions).inEarlyGlobalWindowPanes().containsInAnyOrder(200L, 600L);
    p.run().waitUntilFinish();
  }

  @Test
  void onTestStreamRowsGetTheSameWeightsAndSamplingAsBounded(TestPipeline p, @TempDir Path dir)
      throws Exception {
    List<TrainingExample> all = WeightFixtures.examples(3_000, EVERY);
    String file = WeightFixtures.propensityFile(dir).toString();
    WeightExamples weigh =
        WeightExamples.create()
            .withPropensityFile(file)
            .withObservedPositiveRate(0.02)
            .withTargetPositiveRate(0.10)
            .withSamplingSeed(5);
    TestStream.Builder<TrainingExample> b =
        add(TestStream.create(TrainingRows.CODER), all.subList(0, 1_500));
    b =
        add(
            b.advanceWatermarkTo(new Instant(WeightFixtures.T0 + 1_500_000L)),
            all.subList(1_500, 3_000));
    TestStream<TrainingExample> stream = b.advanceWatermarkToInfinity();
    PCollection<String> streamed =
        p.apply("Stream", stream)
            .apply("Hourly", Window.into(FixedWindows.of(Duration.standardHours(1))))
            .apply("WeighStream", weigh)
            .examples()
            .apply("StreamRows", rows());
    // The speed layer's labels are unbounded in the global window: the same rows.
    TestStream.Builder<TrainingExample> g =
        add(TestStream.create(TrainingRows.CODER), all.subList(0, 1_500));
    g =
        add(
            g.advanceWatermarkTo(new Instant(WeightFixtures.T0 + 1_500_000L)),
            all.subList(1_500, 3_000));
    PCollection<String> global =
        p.apply("GlobalStream", g.advanceWatermarkToInfinity())
            .apply("WeighGlobal", weigh)
            .examples()
            .apply("GlobalRows", rows());
    PCollection<String> bounded =
        p.apply("Bounded", Create.of(all).withCoder(TrainingRows.CODER))
            .apply("WeighBounded", weigh)
            .examples()
            .apply("BoundedRows", rows());
    Set<String> expected = new TreeSet<>();
    for (TrainingExample e : all) {
      if (e.getClicked() == 1 || StableHash.unit(5, e.getImpressionId()) < RATE) {
        double ipw = new double[] {1, 2, 20}[e.getPosition() - 1];
        double sw = e.getClicked() == 1 ? 1 : 1 / RATE;
        expected.add(row(e.getImpressionId(), ipw, sw, ipw * sw));
      }
    }
    PAssert.that(streamed).containsInAnyOrder(expected);
    PAssert.that(global).containsInAnyOrder(expected);
    PAssert.that(bounded).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  @SuppressWarnings("unchecked")
  private static TestStream.Builder<TrainingExample> add(
      TestStream.Builder<TrainingExample> b, List<TrainingExample> rows) {
    List<TimestampedValue<TrainingExample>> t =
        rows.stream()
            .map(e -> TimestampedValue.of(e, new Instant(e.getEventTime().toEpochMilli())))
            .collect(Collectors.toList());
    return b.addElements(t.get(0), t.subList(1, t.size()).toArray(new TimestampedValue[0]));
  }

  private static String row(String id, double ipw, double sw, double w) {
    return String.format("%s ipw=%.9f sw=%.9f w=%.9f", id, ipw, sw, w);
  }

  private static MapElements<TrainingExample, String> ids() {
    return MapElements.into(TypeDescriptors.strings())
        .via((SerializableFunction<TrainingExample, String>) TrainingExample::getImpressionId);
  }

  private static MapElements<TrainingExample, String> rows() {
    return MapElements.into(TypeDescriptors.strings())
        .via(
            (SerializableFunction<TrainingExample, String>)
                e ->
                    row(
                        e.getImpressionId(),
                        e.getIpwWeight(),
                        e.getSamplingWeight(),
                        e.getWeight()));
  }

  @Test
  void stepsHaveStableNamesAndDisplayData() {
    WeightExamples w = WeightExamples.create().withMaxIpwWeight(10).withTargetPositiveRate(0.2);
    org.apache.beam.sdk.transforms.display.DisplayData d =
        org.apache.beam.sdk.transforms.display.DisplayData.from(w);
    assertThat(d.toString(), org.hamcrest.Matchers.containsString("maxIpwWeight=10.0"));
    assertThat(d.toString(), org.hamcrest.Matchers.containsString("targetPositiveRate=0.2"));
    assertEquals(
        IllegalArgumentException.class,
        org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> w.withMaxIpwWeight(0.5))
            .getClass());
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> w.withTargetPositiveRate(1.0));
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> w.withObservedPositiveRate(0));
  }
}
