package io.ctrbeam.label;

import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;

/**
 * The same labeling on the embedded FlinkRunner, batch (GroupByKey pass) and streaming (stateful
 * bucket path), equal to the plain-Java reference that the Direct tests check. Only
 * order-independent results are asserted (PROBE.md: element/watermark order varies on Flink).
 */
class LabelOnFlinkIT {

  private static Pipeline flink(boolean streaming) {
    FlinkPipelineOptions o =
        PipelineOptionsFactory.fromArgs(
                "--runner=FlinkRunner",
                "--flinkMaster=[local]",
                "--parallelism=2",
                "--streaming=" + streaming)
            .as(FlinkPipelineOptions.class);
    o.setRunner(FlinkRunner.class);
    return Pipeline.create(o);
  }

  private static void runAndCompare(boolean streaming, LabelMode mode, boolean stateful) {
    List<TimestampedValue<String>> events = LabelParityTest.events(200, 5);
    List<Impression> is = new ArrayList<>();
    List<Click> cs = new ArrayList<>();
    List<Conversion> vs = new ArrayList<>();
    for (TimestampedValue<String> e : events) {
      Object x = LabelFixtures.decode(e.getValue());
      if (x instanceof Impression i) {
        is.add(i);
      } else if (x instanceof Click c) {
        cs.add(c);
      } else {
        vs.add((Conversion) x);
      }
    }
    LabelImpressions t =
        LabelImpressions.create().withMode(mode).withBuckets(8).withStatefulInBatch(stateful);
    List<String> expected =
        LabelBaseline.label(t, mode, LabelImpressions.DEFAULT_LAMBDA_PER_MS, is, cs, vs).lines();

    Pipeline p = flink(streaming);
    LabelResult r =
        LabelFixtures.events(
                p.apply("Events", Create.timestamped(events).withCoder(StringUtf8Coder.of())))
            .apply("Label", t);
    // The stateful path sends conversions and re-dated clicks as updates: folded in, its rows are
    // the batch rows. A folded row loses its element timestamp in the grouping, so rows are
    // compared without it.
    PCollection<TrainingExample> rows =
        stateful ? r.examples().apply("Fold", FoldCorrections.of(r.corrections())) : r.examples();
    PCollection<LabelCorrection> corrections =
        stateful
            ? r.corrections()
                .apply(
                    "LateOnly",
                    Filter.by(
                        c -> LabelRules.CorrectionKind.LATE_OUTCOME.name().equals(c.getKind())))
            : r.corrections();
    PCollection<String> all =
        PCollectionList.of(
                LabelFixtures.summaryLines("Rows", rows)
                    .apply(
                        "RowsWithoutTimestamp",
                        MapElements.into(TypeDescriptors.strings())
                            .via(LabelOnFlinkIT::withoutTimestamp)))
            .and(LabelFixtures.summaryLines("DeadLetters", r.deadLetters()))
            .and(LabelFixtures.summaryLines("Corrections", corrections))
            .apply("All", Flatten.pCollections());
    PAssert.that(all)
        .containsInAnyOrder(expected.stream().map(LabelOnFlinkIT::withoutTimestamp).toList());
    p.run().waitUntilFinish();
  }

  /** A row summary without its element timestamp; other lines as they are. */
  private static String withoutTimestamp(String line) {
    int at = line.lastIndexOf("|@");
    return at < 0 ? line : line.substring(0, at);
  }

  @Test
  void batchGroupByKeyPathEqualsReference() {
    runAndCompare(false, LabelMode.WAIT, false);
  }

  @Test
  void streamingStatefulPathEqualsReference() {
    runAndCompare(true, LabelMode.WAIT, true);
  }

  @Test
  void streamingFakeNegativeEqualsReference() {
    runAndCompare(true, LabelMode.FAKE_NEGATIVE, true);
  }
}
