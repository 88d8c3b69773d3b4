package io.ctrbeam.label;

import static io.ctrbeam.label.LabelFixtures.HOUR;
import static io.ctrbeam.label.LabelFixtures.MIN;
import static io.ctrbeam.label.LabelFixtures.T0;
import static io.ctrbeam.label.LabelFixtures.corr;
import static io.ctrbeam.label.LabelFixtures.dl;
import static io.ctrbeam.label.LabelFixtures.ec;
import static io.ctrbeam.label.LabelFixtures.ei;
import static io.ctrbeam.label.LabelFixtures.row;
import static io.ctrbeam.label.LabelFixtures.summarize;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;

import io.ctrbeam.testing.TestPipelineExtension;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Unbounded labeling driven by TestStream (stateful bucket path): one test per lateness case. The
 * examples are re-windowed into 1-minute windows with no allowed lateness, so a row that came out
 * after the watermark passed its window would be dropped: an on-time pane proves it was emitted
 * in time.
 */
@ExtendWith(TestPipelineExtension.class)
class LabelStreamingTest {

  static TestStream.Builder<String> stream() {
    return TestStream.create(StringUtf8Coder.of()).advanceWatermarkTo(new Instant(T0 - HOUR));
  }

  static Instant at(long t) {
    return new Instant(t);
  }

  static IntervalWindow minute(long offset) {
    return new IntervalWindow(at(T0 + offset), at(T0 + offset + MIN));
  }

  /** The rows grouped in 1-minute windows (no allowed lateness), so each lands in a pane. */
  static PCollection<String> perMinute(PCollection<String> rows) {
    return rows.apply(
            "PerMinute",
            Window.<String>into(FixedWindows.of(Duration.standardMinutes(1)))
                .withAllowedLateness(Duration.ZERO))
        .apply("Key", WithKeys.of("rows"))
        .apply("GroupPerMinute", GroupByKey.create())
        .apply("Values", Values.create())
        .apply("Ungroup", Flatten.iterables());
  }

  private static LabelResult label(TestPipeline p, TestStream<String> s, LabelImpressions t) {
    return LabelFixtures.events(p.apply("Events", s)).apply("Label", t.withoutConversions());
  }

  @Test
  void onTimeNegativeFiresWhenWatermarkPassesTNotBefore(TestPipeline p) {
    TestStream<String> s =
        stream()
            .addElements(ei("j", T0), ei("k", T0))
            .advanceWatermarkTo(at(T0 + 2 * HOUR - 1))
            // k's click comes just before k's deadline: still a positive, so k was not emitted.
            .addElements(ec("ck", "k", T0 + 10 * MIN))
            .advanceWatermarkTo(at(T0 + 2 * HOUR + 1))
            // j's click comes just after j's deadline: j was already emitted as negative.
            .addElements(ec("cj", "j", T0 + 20 * MIN))
            .advanceWatermarkToInfinity();
    LabelResult r = label(p, s, LabelImpressions.create());
    PCollection<String> rows = summarize("Rows", r.examples());
    PAssert.that(rows)
        .containsInAnyOrder(
            row("j", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"), row("k", 1, 0, 10 * MIN, 10 * MIN, "WAIT"));
    PAssert.that(perMinute(rows))
        .inOnTimePane(minute(2 * HOUR))
        .containsInAnyOrder(row("j", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.that(summarize("Corrections", r.corrections()))
        .containsInAnyOrder(corr("j", "clicked", 20 * MIN));
    PAssert.that(r.deadLetters()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void earlyPositiveIsEmittedBeforeTheWatermarkReachesT(TestPipeline p) {
    TestStream<String> s =
        stream()
            .addElements(ei("i", T0))
            .advanceWatermarkTo(at(T0 + MIN))
            .addElements(ec("c1", "i", T0 + 5 * MIN))
            .advanceWatermarkTo(at(T0 + 10 * MIN))
            .addElements(ec("c2", "i", T0 + 12 * MIN))
            .advanceWatermarkToInfinity();
    LabelResult r = label(p, s, LabelImpressions.create());
    PCollection<String> rows = summarize("Rows", r.examples());
    PAssert.that(perMinute(rows))
        .inOnTimePane(minute(5 * MIN))
        .containsInAnyOrder(row("i", 1, 0, 5 * MIN, 5 * MIN, "WAIT"));
    PAssert.that(rows).containsInAnyOrder(row("i", 1, 0, 5 * MIN, 5 * MIN, "WAIT"));
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(dl("click", "DUPLICATE_ID", 12 * MIN));
    PAssert.that(r.corrections()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void clickBeforeItsImpressionIsBufferedAndOrphansExpire(TestPipeline p) {
    TestStream<String> s =
        stream()
            .addElements(ec("c1", "i", T0 + 5 * MIN), ec("cx", "x", T0 + 6 * MIN))
            .advanceWatermarkTo(at(T0 - MIN))
            .addElements(ei("i", T0))
            .advanceWatermarkToInfinity();
    LabelResult r = label(p, s, LabelImpressions.create());
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("i", 1, 0, 5 * MIN, 5 * MIN, "WAIT"));
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(dl("click", "ORPHAN_CLICK", 6 * MIN));
    PipelineResult res = p.run();
    res.waitUntilFinish();
    assertStateDrained(res);
  }

  @Test
  void lateClickWithinLatenessGivesCorrectionAndNoRewrite(TestPipeline p) {
    TestStream<String> s =
        stream()
            .addElements(ei("i", T0))
            .advanceWatermarkTo(at(T0 + 3 * HOUR))
            .addElements(ec("c1", "i", T0 + 10 * MIN), ec("c2", "i", T0 + 11 * MIN))
            .advanceWatermarkToInfinity();
    LabelResult r = label(p, s, LabelImpressions.create());
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("i", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.that(summarize("Corrections", r.corrections()))
        .containsInAnyOrder(corr("i", "clicked", 10 * MIN));
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(dl("click", "DUPLICATE_ID", 11 * MIN));
    PipelineResult res = p.run();
    res.waitUntilFinish();
    assertThat(LabelFixtures.counter(res, LabelRules.NAMESPACE, "corrections"), equalTo(1L));
  }

  @Test
  void droppablyLateClickIsDeadLetteredAsLateClick(TestPipeline p) {
    // Tombstones live W + T + lateness = 30 min + 2 h + 1 h after the impression.
    TestStream<String> s =
        stream()
            .addElements(ei("i", T0))
            .advanceWatermarkTo(at(T0 + 3 * HOUR + 31 * MIN))
            .addElements(ec("c1", "i", T0 + 10 * MIN))
            .advanceWatermarkToInfinity();
    LabelResult r =
        label(p, s, LabelImpressions.create().withAllowedLateness(Duration.standardHours(1)));
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("i", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.that(r.corrections()).empty();
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(dl("click", "LATE_CLICK", 10 * MIN));
    PipelineResult res = p.run();
    res.waitUntilFinish();
    assertStateDrained(res);
  }

  /** All pending impressions, buffered clicks and tombstones are gone at the end of input, and timers fired on them. */
  static void assertStateDrained(PipelineResult res) {
    assertThat(LabelFixtures.counter(res, LabelRules.NAMESPACE, "state_entries"), equalTo(0L));
    long max = 0;
    for (MetricResult<DistributionResult> d :
        res.metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(LabelRules.NAMESPACE, "due_entries_per_firing"))
                    .build())
            .getDistributions()) {
      max = Math.max(max, d.getAttempted().getMax());
    }
    assertThat(max, greaterThanOrEqualTo(1L));
  }
}
