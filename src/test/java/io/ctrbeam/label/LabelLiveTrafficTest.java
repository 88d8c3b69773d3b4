package io.ctrbeam.label;

import static io.ctrbeam.label.LabelFixtures.HOUR;
import static io.ctrbeam.label.LabelFixtures.MIN;
import static io.ctrbeam.label.LabelFixtures.T0;
import static io.ctrbeam.label.LabelFixtures.clickEvent;
import static io.ctrbeam.label.LabelFixtures.conversionEvent;
import static io.ctrbeam.label.LabelFixtures.deadLetter;
import static io.ctrbeam.label.LabelFixtures.impressionEvent;
import static io.ctrbeam.label.LabelFixtures.row;
import static io.ctrbeam.label.LabelFixtures.summarize;
import static io.ctrbeam.label.LabelStreamingTest.at;
import static io.ctrbeam.label.LabelStreamingTest.minute;
import static io.ctrbeam.label.LabelStreamingTest.perMinute;
import static io.ctrbeam.label.LabelStreamingTest.stream;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.TestPipelineExtension;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The speed layer's labeling under live traffic, with conversions on: clicked rows never wait for
 * their conversion, an earlier click processed later corrects the positive, FAKE_NEGATIVE keeps
 * nothing past t + W, and a timer firing reads only the entries due. Expected values are worked by
 * hand from the events.
 */
@ExtendWith(TestPipelineExtension.class)
class LabelLiveTrafficTest {
  private static final long DAY = 24 * HOUR;

  /** id|label|old->new|kind|correction_time-T0|delay of a correction. */
  static String update(String id, String label, int old, String kind, long offset, long delay) {
    return id + "|" + label + "|" + old + "->1|" + kind + "|" + offset + "|" + delay;
  }

  static PCollection<String> updates(String name, PCollection<LabelCorrection> cs) {
    return cs.apply(
        name,
        MapElements.into(TypeDescriptors.strings())
            .via(
                c ->
                    update(
                        c.getImpressionId(),
                        c.getLabel(),
                        c.getOldLabel(),
                        c.getKind(),
                        c.getCorrectionTime().toEpochMilli() - T0,
                        c.getDelayMs())));
  }

  /** id|clicked|converted|click_time-T0|conversion_time-T0|conversion_delay of folded rows. */
  static PCollection<String> labels(String name, PCollection<TrainingExample> rows) {
    return rows.apply(
        name,
        MapElements.into(TypeDescriptors.strings())
            .via(
                r ->
                    r.getImpressionId()
                        + "|"
                        + r.getClicked()
                        + "|"
                        + r.getConverted()
                        + "|"
                        + (r.getClickTime() == null ? "-" : r.getClickTime().toEpochMilli() - T0)
                        + "|"
                        + (r.getConversionTime() == null
                            ? "-"
                            : r.getConversionTime().toEpochMilli() - T0)
                        + "|"
                        + r.getConversionDelayMs()));
  }

  private static LabelResult label(TestPipeline p, TestStream<String> s, LabelImpressions t) {
    return LabelFixtures.events(p.apply("Events", s)).apply("Label", t);
  }

  @Test
  void clickedRowGoesOutWhenItsClickIsSeenAndTheConversionFollowsAsAnUpdate(TestPipeline p) {
    TestStream<String> s =
        stream()
            .addElements(impressionEvent("i", T0), impressionEvent("j", T0))
            .advanceWatermarkTo(at(T0 + MIN))
            .addElements(clickEvent("c", "i", T0 + 5 * MIN))
            .advanceWatermarkTo(at(T0 + 10 * MIN))
            .addElements(conversionEvent("v", "i", T0 + 2 * DAY))
            .advanceWatermarkToInfinity();
    LabelResult r = label(p, s, LabelImpressions.create());
    PCollection<LabelFixtures.Summary> rows = summarize("Rows", r.examples());
    // The positive is in the on-time pane of its click's minute: it did not wait for the
    // conversion.
    PAssert.that(perMinute(rows))
        .inOnTimePane(minute(5 * MIN))
        .containsInAnyOrder(row("i", 1, 0, 5 * MIN, 5 * MIN, "WAIT"));
    PAssert.that(rows)
        .containsInAnyOrder(
            row("i", 1, 0, 5 * MIN, 5 * MIN, "WAIT"), row("j", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.that(updates("Updates", r.corrections()))
        .containsInAnyOrder(update("i", "converted", 0, "UPDATE", 2 * DAY, 2 * DAY - 5 * MIN));
    PAssert.that(labels("Folded", r.examples().apply("Fold", FoldCorrections.of(r.corrections()))))
        .containsInAnyOrder(
            "i|1|1|" + 5 * MIN + "|" + 2 * DAY + "|" + (2 * DAY - 5 * MIN), "j|0|0|-|-|null");
    PAssert.that(r.deadLetters()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void earlierClickProcessedLaterCorrectsTheClickTimeAndTheLaterOneIsTheDuplicate(TestPipeline p) {
    TestStream<String> s =
        stream()
            .addElements(impressionEvent("i", T0))
            .advanceWatermarkTo(at(T0 + MIN))
            .addElements(clickEvent("late", "i", T0 + 20 * MIN))
            .addElements(clickEvent("early", "i", T0 + 5 * MIN))
            .addElements(conversionEvent("v", "i", T0 + HOUR))
            .advanceWatermarkToInfinity();
    LabelResult r = label(p, s, LabelImpressions.create());
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("i", 1, 0, 20 * MIN, 20 * MIN, "WAIT"));
    PAssert.that(updates("Updates", r.corrections()))
        .containsInAnyOrder(
            update("i", "clicked", 1, "EARLIER_OUTCOME", 5 * MIN, 5 * MIN),
            update("i", "converted", 0, "UPDATE", HOUR, HOUR - 20 * MIN));
    // As in batch: the click not counted is the later one.
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(deadLetter("click", "DUPLICATE_ID", 20 * MIN));
    // Folded: dated by the earliest click, as the batch row; the conversion delay from it.
    PAssert.that(labels("Folded", r.examples().apply("Fold", FoldCorrections.of(r.corrections()))))
        .containsInAnyOrder("i|1|1|" + 5 * MIN + "|" + HOUR + "|" + (HOUR - 5 * MIN));
    p.run().waitUntilFinish();
  }

  @Test
  void fakeNegativeEmitsOnePositivePerClickedImpressionAndKeepsNothingPastTPlusW(TestPipeline p) {
    TestStream<String> s =
        stream()
            .addElements(impressionEvent("a", T0), impressionEvent("b", T0))
            .advanceWatermarkTo(at(T0 + MIN))
            .addElements(clickEvent("ca", "a", T0 + 5 * MIN))
            .advanceWatermarkTo(at(T0 + 40 * MIN))
            // b's click is valid (delay 25 min) but processed after the watermark passed t + W:
            // FAKE_NEGATIVE has let b go and kept nothing of it, so the click cannot be matched. It
            // is dead-lettered at its orphan deadline, not turned into a correction.
            .addElements(clickEvent("cb", "b", T0 + 25 * MIN))
            .addElements(conversionEvent("va", "a", T0 + 3 * HOUR))
            .advanceWatermarkToInfinity();
    LabelResult r = label(p, s, LabelImpressions.create().withMode(LabelMode.FAKE_NEGATIVE));
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(
            row("a", 0, 0, 0, 0, "FAKE_NEGATIVE"),
            row("a", 1, 0, 5 * MIN, 5 * MIN, "FAKE_NEGATIVE"),
            row("b", 0, 0, 0, 0, "FAKE_NEGATIVE"));
    PAssert.that(updates("Updates", r.corrections()))
        .containsInAnyOrder(update("a", "converted", 0, "UPDATE", 3 * HOUR, 3 * HOUR - 5 * MIN));
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(deadLetter("click", "ORPHAN_CLICK", 25 * MIN));
    PipelineResult res = p.run();
    res.waitUntilFinish();
    LabelStreamingTest.assertStateDrained(res);
  }

  @Test
  void holdingTimesPerModeFollowTheContract() {
    long t = T0;
    long w = 30 * MIN;
    LabelImpressions base = LabelImpressions.create();
    LabelRules fake = base.withMode(LabelMode.FAKE_NEGATIVE).clickRules();
    LabelRules wait = base.clickRules();
    // FAKE_NEGATIVE: the row until t + W, and nothing after it.
    assertThat(fake.releaseAt(t) - t, equalTo(w));
    assertThat(fake.tombstoneUntil(t) - t, equalTo(w));
    // WAIT: the row until t + T, a tombstone (times and the dating click) until W + T + lateness.
    assertThat(wait.releaseAt(t) - t, equalTo(2 * HOUR));
    assertThat(wait.tombstoneUntil(t) - t, equalTo(w + 2 * HOUR + DAY));
  }

  @Test
  void aTimerFiringReadsOnlyTheEntriesDue(TestPipeline p) {
    // 1,200 impressions one second apart, all in ONE bucket, held together before any is due.
    int n = 1200;
    TestStream.Builder<String> b = stream();
    for (int i = 0; i < n; i++) {
      b = b.addElements(impressionEvent("i" + i, T0 + i * 1000L));
    }
    // The watermark then walks past every deadline, 20 s at a time.
    for (long wm = T0 + 2 * HOUR; wm <= T0 + 2 * HOUR + n * 1000L + 20_000; wm += 20_000) {
      b = b.advanceWatermarkTo(at(wm));
    }
    LabelResult r =
        label(
            p,
            b.advanceWatermarkToInfinity(),
            LabelImpressions.create().withBuckets(1).withoutConversions());
    PAssert.that(r.examples())
        .satisfies(
            rows -> {
              long count = 0;
              for (TrainingExample ignored : rows) {
                count++;
              }
              assertThat(count, equalTo((long) n));
              return null;
            });
    PipelineResult res = p.run();
    res.waitUntilFinish();
    DistributionResult d = distribution(res, "due_entries_per_firing");
    // Each firing handled the one entry of its second, not the 1,200 of the bucket.
    assertThat(d.getMax(), lessThanOrEqualTo(1L));
    assertThat(d.getSum(), greaterThanOrEqualTo(2L * n)); // each negative, then each tombstone
  }

  static DistributionResult distribution(PipelineResult res, String name) {
    for (MetricResult<DistributionResult> d :
        res.metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(LabelRules.NAMESPACE, name))
                    .build())
            .getDistributions()) {
      return d.getAttempted();
    }
    throw new AssertionError("no distribution " + name);
  }
}
