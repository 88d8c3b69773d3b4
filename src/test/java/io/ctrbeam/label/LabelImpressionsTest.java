package io.ctrbeam.label;

import static io.ctrbeam.label.LabelFixtures.HOUR;
import static io.ctrbeam.label.LabelFixtures.MIN;
import static io.ctrbeam.label.LabelFixtures.T0;
import static io.ctrbeam.label.LabelFixtures.click;
import static io.ctrbeam.label.LabelFixtures.clickLine;
import static io.ctrbeam.label.LabelFixtures.clicks;
import static io.ctrbeam.label.LabelFixtures.conv;
import static io.ctrbeam.label.LabelFixtures.conversionLine;
import static io.ctrbeam.label.LabelFixtures.conversions;
import static io.ctrbeam.label.LabelFixtures.deadLetter;
import static io.ctrbeam.label.LabelFixtures.imp;
import static io.ctrbeam.label.LabelFixtures.impressionLine;
import static io.ctrbeam.label.LabelFixtures.impressions;
import static io.ctrbeam.label.LabelFixtures.input;
import static io.ctrbeam.label.LabelFixtures.inputs;
import static io.ctrbeam.label.LabelFixtures.row;
import static io.ctrbeam.label.LabelFixtures.summarize;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.ingest.Format;
import io.ctrbeam.ingest.IngestRecords;
import io.ctrbeam.ingest.IngestResult;
import io.ctrbeam.ingest.ReadRawRecords;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.TestPipelineExtension;
import java.nio.file.Path;
import java.time.Instant;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bounded labeling: one test per case of click and conversion attribution (contract §2.1, §2.2), on
 * the GroupByKey path, no timers.
 */
@ExtendWith(TestPipelineExtension.class)
class LabelImpressionsTest {
  private static final double LAMBDA = LabelImpressions.DEFAULT_LAMBDA_PER_MS;

  private static LabelResult label(TestPipeline p, Impression[] imps, Click... cs) {
    return LabelInputs.of(impressions(p, imps), clicks(p, cs))
        .apply("Label", LabelImpressions.create());
  }

  private static Impression[] imps(Impression... xs) {
    return xs;
  }

  @Test
  void positiveIsDatedByItsClickWithFullRow(TestPipeline p) {
    LabelResult r = label(p, imps(imp("i1", T0)), click("c1", "i1", T0 + 5 * MIN));
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("i1", 1, 0, 5 * MIN, 5 * MIN, "WAIT"));
    PAssert.thatSingleton(r.examples()).satisfies(LabelImpressionsTest::checkPositiveRow);
    PAssert.that(r.deadLetters()).empty();
    PAssert.that(r.corrections()).empty();
    p.run().waitUntilFinish();
  }

  private static Void checkPositiveRow(TrainingExample r) {
    assertThat(r.getClickTime(), equalTo(Instant.ofEpochMilli(T0 + 5 * MIN)));
    assertThat(r.getClickDelayMs(), equalTo(5 * MIN));
    assertThat(r.getLabelConfidence(), equalTo(1.0));
    assertThat(r.getHourOfDay(), equalTo(10));
    assertThat(r.getDayOfWeek(), equalTo(1));
    assertThat(r.getCountry(), equalTo("DE"));
    assertThat(r.getUserId(), equalTo("u-i1"));
    assertThat(r.getUserCtr24h(), equalTo(null));
    assertThat(r.getWeight(), equalTo(1.0));
    assertThat(r.getConverted(), equalTo(0));
    return null;
  }

  @Test
  void negativeAtImpressionPlusTWithDecayedConfidence(TestPipeline p) {
    LabelResult r = label(p, imps(imp("i1", T0)));
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("i1", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.thatSingleton(r.examples()).satisfies(LabelImpressionsTest::checkNegativeRow);
    p.run().waitUntilFinish();
  }

  private static Void checkNegativeRow(TrainingExample r) {
    assertThat(r.getLabelConfidence(), closeTo(1 - Math.exp(-LAMBDA * 2 * HOUR), 1e-12));
    assertThat(r.getClickTime(), equalTo(null));
    assertThat(r.getClickDelayMs(), equalTo(null));
    return null;
  }

  @Test
  void defaultLambdaGivesConfidence0999After24h() {
    assertThat(ApplyLabelConfidence.confidence(0, 24 * HOUR, LAMBDA), closeTo(0.999, 1e-12));
    assertThat(ApplyLabelConfidence.confidence(1, 0, LAMBDA), equalTo(1.0));
  }

  @Test
  void duplicateClickMakesOnePositiveDatedByTheFirst(TestPipeline p) {
    LabelResult r =
        label(
            p,
            imps(imp("i1", T0)),
            click("c2", "i1", T0 + 9 * MIN),
            click("c1", "i1", T0 + 3 * MIN));
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("i1", 1, 0, 3 * MIN, 3 * MIN, "WAIT"));
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(deadLetter("click", "DUPLICATE_ID", 9 * MIN));
    PAssert.thatSingleton(r.deadLetters()).satisfies(LabelImpressionsTest::mentionsSecondClick);
    p.run().waitUntilFinish();
  }

  private static Void mentionsSecondClick(DeadLetter d) {
    assertThat(d.getMessage(), containsString("second click c2 on impression i1"));
    assertThat(d.getRaw(), containsString("\"c2\""));
    return null;
  }

  @Test
  void clickBeforeImpressionIsDeadLettered(TestPipeline p) {
    LabelResult r = label(p, imps(imp("i1", T0)), click("c1", "i1", T0 - MIN));
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("i1", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(deadLetter("click", "CLICK_BEFORE_IMPRESSION", -MIN));
    p.run().waitUntilFinish();
  }

  @Test
  void clickPastWindowIsDeadLettered(TestPipeline p) {
    LabelResult r = label(p, imps(imp("i1", T0)), click("c1", "i1", T0 + 31 * MIN));
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("i1", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(deadLetter("click", "CLICK_OUTSIDE_WINDOW", 31 * MIN));
    p.run().waitUntilFinish();
  }

  @Test
  void clickWithoutImpressionIsOrphan(TestPipeline p) {
    LabelResult r = label(p, imps(imp("i1", T0)), click("c1", "nope", T0 + MIN));
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("i1", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(deadLetter("click", "ORPHAN_CLICK", MIN));
    p.run().waitUntilFinish();
  }

  @Test
  void delayExactlyWIsPositiveAndExactlyZeroIsNot(TestPipeline p) {
    LabelResult r =
        label(
            p,
            imps(imp("w", T0), imp("z", T0)),
            click("cw", "w", T0 + 30 * MIN),
            click("cz", "z", T0));
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(
            row("w", 1, 0, 30 * MIN, 30 * MIN, "WAIT"), row("z", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(deadLetter("click", "CLICK_BEFORE_IMPRESSION", 0));
    p.run().waitUntilFinish();
  }

  @Test
  void conversionWithinWindowAfterClickConverts(TestPipeline p) {
    LabelResult r =
        LabelInputs.of(
                impressions(p, imp("a", T0), imp("b", T0), imp("n", T0)),
                clicks(p, click("ca", "a", T0 + MIN), click("cb", "b", T0 + MIN)),
                conversions(
                    p,
                    conv("va", "a", T0 + MIN + 2 * HOUR),
                    conv("vb", "b", T0 + MIN + 8 * 24 * HOUR),
                    conv("vn", "n", T0 + HOUR)))
            .apply("Label", LabelImpressions.create());
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(
            new LabelFixtures.RowSummary("a", 1, 1, MIN, MIN, "WAIT", MIN + 2 * HOUR),
            new LabelFixtures.RowSummary("b", 1, 0, MIN, MIN, "WAIT", MIN + 7 * 24 * HOUR),
            row("n", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(
            deadLetter("conversion", "CLICK_OUTSIDE_WINDOW", MIN + 8 * 24 * HOUR),
            deadLetter("conversion", "ORPHAN_CLICK", HOUR));
    p.run().waitUntilFinish();
  }

  @Test
  void withoutConversionsNothingConverts(TestPipeline p) {
    LabelResult r =
        LabelInputs.of(
                impressions(p, imp("a", T0)),
                clicks(p, click("ca", "a", T0 + MIN)),
                conversions(p, conv("va", "a", T0 + 2 * MIN)))
            .apply("Label", LabelImpressions.create().withoutConversions());
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("a", 1, 0, MIN, MIN, "WAIT"));
    p.run().waitUntilFinish();
  }

  @Test
  void accountingImpressionsInEqualRowsOutAndClicksInEqualAttributedPlusDeadLetters(
      TestPipeline p) {
    Impression[] is = new Impression[40];
    java.util.List<Click> cs = new java.util.ArrayList<>();
    for (int i = 0; i < is.length; i++) {
      is[i] = imp("i" + i, T0 + i * MIN);
      long t = T0 + i * MIN;
      switch (i % 5) {
        case 0 -> cs.add(click("c" + i, "i" + i, t + 2 * MIN));
        case 1 -> {
          cs.add(click("c" + i, "i" + i, t + 2 * MIN));
          cs.add(click("d" + i, "i" + i, t + 4 * MIN));
        }
        case 2 -> cs.add(click("c" + i, "i" + i, t + 40 * MIN));
        case 3 -> cs.add(click("c" + i, "x" + i, t + MIN));
        default -> cs.add(click("c" + i, "i" + i, t - MIN));
      }
    }
    LabelResult r = label(p, is, cs.toArray(new Click[0]));
    PAssert.thatSingleton(r.examples().apply("CountRows", Count.globally())).isEqualTo(40L);
    PAssert.thatSingleton(r.deadLetters().apply("CountDeadLetters", Count.globally()))
        .isEqualTo(32L);
    PipelineResult res = p.run();
    res.waitUntilFinish();
    long attributed = LabelFixtures.counter(res, LabelRules.NAMESPACE, "click_attributed");
    long dead = 0;
    for (String reason :
        new String[] {
          "DUPLICATE_ID", "CLICK_OUTSIDE_WINDOW", "ORPHAN_CLICK", "CLICK_BEFORE_IMPRESSION"
        }) {
      dead += LabelFixtures.counter(res, DeadLetters.NAMESPACE, "click_" + reason);
    }
    long corrections = LabelFixtures.counter(res, LabelRules.NAMESPACE, "corrections");
    assertThat(attributed, equalTo(16L));
    assertThat(attributed + corrections + dead, equalTo((long) cs.size()));
  }

  @Test
  void statsReportCountsQuantilesAndLambda(TestPipeline p) {
    LabelResult r =
        label(
            p,
            imps(imp("a", T0), imp("b", T0), imp("c", T0)),
            click("ca", "a", T0 + MIN),
            click("cb", "b", T0 + 3 * MIN),
            click("cc", "c", T0 + HOUR));
    PAssert.thatSingleton(r.stats()).satisfies(LabelImpressionsTest::checkStats);
    p.run().waitUntilFinish();
  }

  private static Void checkStats(LabelStats s) {
    assertThat(s.matchedClicks(), equalTo(3L));
    assertThat(s.p50DelayMs(), equalTo(3 * MIN));
    assertThat(s.p99DelayMs(), equalTo(HOUR));
    assertThat(s.sharePastWindow(), closeTo(1 / 3.0, 1e-12));
    assertThat(s.count("rows_positive"), equalTo(2L));
    assertThat(s.count("rows_negative"), equalTo(1L));
    assertThat(s.count("dead_letter.click_CLICK_OUTSIDE_WINDOW"), equalTo(1L));
    assertThat(s.lambdaPerMs(), equalTo(LAMBDA));
    assertThat(s.lambdaEstimated(), equalTo(false));
    return null;
  }

  @Test
  void rejectsWaitShorterThanWindowAndBadOptions(TestPipeline p) {
    assertThrows(
        IllegalArgumentException.class,
        () -> LabelImpressions.create().withLabelWait(Duration.standardMinutes(10)).clickRules());
    assertThrows(IllegalArgumentException.class, () -> LabelImpressions.create().withBuckets(0));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            LabelImpressions.create()
                .withMode(LabelMode.ELAPSED)
                .withElapsedWait(Duration.standardHours(3))
                .clickRules());
    p.enableAbandonedNodeEnforcement(false);
  }

  /** Each withX returns a new transform with that one field changed; the original is unchanged. */
  @Test
  void withMethodsChangeOneFieldOfACopy(TestPipeline p) {
    LabelImpressions base = LabelImpressions.create();
    LabelImpressions changed =
        base.withBuckets(8).withMode(LabelMode.ELAPSED).withEstimatedDecayRate();
    assertThat(base.config().buckets(), equalTo(64));
    assertThat(base.config().mode(), equalTo(LabelMode.WAIT));
    assertThat(base.config().estimatedDecayRate(), equalTo(false));
    assertThat(changed.config().buckets(), equalTo(8));
    assertThat(changed.config().mode(), equalTo(LabelMode.ELAPSED));
    assertThat(changed.config().estimatedDecayRate(), equalTo(true));
    // The fields not set keep their defaults, and a fixed rate turns the estimate off again.
    assertThat(changed.config().labelWait(), equalTo(Duration.standardHours(2)));
    assertThat(changed.withDecayRate(1e-6).config().estimatedDecayRate(), equalTo(false));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> base.withBuckets(-3));
    assertThat(e.getMessage(), equalTo("buckets must be positive, got -3"));
    p.enableAbandonedNodeEnforcement(false);
  }

  /**
   * Bounded, from files: every refused click and conversion, by dedup or by the labeler, carries
   * its file, its line and the exact line as read.
   */
  @Test
  void refusedOutcomesCarryTheirFileLineAndRawLine(TestPipeline p, @TempDir Path tmp)
      throws Exception {
    String[] imps = {impressionLine("i1", T0), impressionLine("i2", T0)};
    String[] cs = {
      clickLine("c1", "i1", T0 + 5 * MIN), // the positive
      clickLine("c2", "i1", T0 + 6 * MIN), // a second click on i1
      clickLine("c3", "i2", T0 - MIN), // before its impression
      clickLine("c4", "nope", T0 + 2 * MIN), // orphan
      clickLine("c5", "i2", T0 + 50 * MIN), // outside W
      clickLine("c1", "i1", T0 + 7 * MIN), // c1 again: dedup
    };
    String[] vs = {conversionLine("v1", "i1", T0 + HOUR), conversionLine("v2", "i2", T0 + HOUR)};
    String impFile = write(tmp.resolve("imps.jsonl"), imps);
    String clickFile = write(tmp.resolve("clicks.jsonl"), cs);
    String convFile = write(tmp.resolve("convs.jsonl"), vs);

    IngestResult<Impression> i = read(p, "Imps", impFile, IngestRecords.impressions());
    IngestResult<Click> c = read(p, "Clicks", clickFile, IngestRecords.clicks());
    IngestResult<Conversion> v = read(p, "Convs", convFile, IngestRecords.conversions());
    LabelResult r =
        LabelInputs.of(i.records(), c.records(), v.records())
            .apply("Label", LabelImpressions.create());

    // Labels only: on main, rows labeled in batch from ingested input come out stamped at the end
    // of the global window (BatchLabelFn's floor), which this test is not about.
    PAssert.that(
            LabelFixtures.summaryLines("Rows", r.examples())
                .apply(
                    "DropTimestamps",
                    MapElements.into(TypeDescriptors.strings())
                        .via(x -> x.substring(0, x.indexOf("|@")))))
        .containsInAnyOrder(
            "i1|1|1|" + 5 * MIN + "|" + 5 * MIN + "|WAIT",
            "i2|0|0|" + 2 * HOUR + "|" + 2 * HOUR + "|WAIT");
    PAssert.that(
            inputs(
                "Inputs",
                PCollectionList.of(r.deadLetters())
                    .and(i.deadLetters())
                    .and(c.deadLetters())
                    .and(v.deadLetters())
                    .apply(Flatten.pCollections())))
        .containsInAnyOrder(
            input("click", "DUPLICATE_ID", clickFile, 2, cs[1]),
            input("click", "CLICK_BEFORE_IMPRESSION", clickFile, 3, cs[2]),
            input("click", "ORPHAN_CLICK", clickFile, 4, cs[3]),
            input("click", "CLICK_OUTSIDE_WINDOW", clickFile, 5, cs[4]),
            input("click", "DUPLICATE_ID", clickFile, 6, cs[5]),
            input("conversion", "ORPHAN_CLICK", convFile, 2, vs[1]));
    p.run().waitUntilFinish();
  }

  /** The outcome coder round-trips every mix of present and absent provenance. */
  @Test
  void outcomeCoderRoundTripsRawInputAndSource() throws Exception {
    Outcome.OutcomeCoder coder = Outcome.OutcomeCoder.of();
    for (Outcome o :
        new Outcome[] {
          new Outcome("c1", "i1", T0, null),
          new Outcome("c1", "i1", T0, "{\"click_id\":\"c1\"}", null, "clicks.jsonl", 3L),
          new Outcome("c1", "i1", T0, null, new byte[] {(byte) 0xC3, 1, 7}, "clicks-2", 41L),
          new Outcome("c1", "i1", T0, "line", null, "clicks-2", null),
        }) {
      org.apache.beam.sdk.testing.CoderProperties.coderDecodeEncodeEqual(coder, o);
    }
  }

  private static String write(Path file, String... lines) throws java.io.IOException {
    java.nio.file.Files.write(file, java.util.List.of(lines));
    return file.toString();
  }

  private static <T extends org.apache.avro.specific.SpecificRecord> IngestResult<T> read(
      TestPipeline p, String name, String file, IngestRecords<T> ingest) {
    return p.apply("Read" + name, ReadRawRecords.from(file).withFormat(Format.JSONL))
        .apply("Ingest" + name, ingest);
  }
}
