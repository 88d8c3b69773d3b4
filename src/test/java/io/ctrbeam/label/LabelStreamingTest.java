package io.ctrbeam.label;

import static io.ctrbeam.label.LabelFixtures.HOUR;
import static io.ctrbeam.label.LabelFixtures.MIN;
import static io.ctrbeam.label.LabelFixtures.T0;
import static io.ctrbeam.label.LabelFixtures.clickEvent;
import static io.ctrbeam.label.LabelFixtures.clickLine;
import static io.ctrbeam.label.LabelFixtures.correction;
import static io.ctrbeam.label.LabelFixtures.deadLetter;
import static io.ctrbeam.label.LabelFixtures.impressionEvent;
import static io.ctrbeam.label.LabelFixtures.impressionLine;
import static io.ctrbeam.label.LabelFixtures.input;
import static io.ctrbeam.label.LabelFixtures.inputs;
import static io.ctrbeam.label.LabelFixtures.row;
import static io.ctrbeam.label.LabelFixtures.summarize;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;

import io.ctrbeam.ingest.IngestRecords;
import io.ctrbeam.ingest.IngestResult;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.testing.TestPipelineExtension;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Unbounded labeling driven by TestStream (stateful bucket path): one test per lateness case. The
 * examples are re-windowed into 1-minute windows with no allowed lateness, so a row that came out
 * after the watermark passed its window would be dropped: an on-time pane proves it was emitted in
 * time.
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
  static <T> PCollection<T> perMinute(PCollection<T> rows) {
    return rows.apply(
            "PerMinute",
            Window.<T>into(FixedWindows.of(Duration.standardMinutes(1)))
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
            .addElements(impressionEvent("j", T0), impressionEvent("k", T0))
            .advanceWatermarkTo(at(T0 + 2 * HOUR - 1))
            // k's click comes just before k's deadline: still a positive, so k was not emitted.
            .addElements(clickEvent("ck", "k", T0 + 10 * MIN))
            .advanceWatermarkTo(at(T0 + 2 * HOUR + 1))
            // j's click comes just after j's deadline: j was already emitted as negative.
            .addElements(clickEvent("cj", "j", T0 + 20 * MIN))
            .advanceWatermarkToInfinity();
    LabelResult r = label(p, s, LabelImpressions.create());
    PCollection<LabelFixtures.Summary> rows = summarize("Rows", r.examples());
    PAssert.that(rows)
        .containsInAnyOrder(
            row("j", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"), row("k", 1, 0, 10 * MIN, 10 * MIN, "WAIT"));
    PAssert.that(perMinute(rows))
        .inOnTimePane(minute(2 * HOUR))
        .containsInAnyOrder(row("j", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.that(summarize("Corrections", r.corrections()))
        .containsInAnyOrder(correction("j", "clicked", 20 * MIN));
    PAssert.that(r.deadLetters()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void earlyPositiveIsEmittedBeforeTheWatermarkReachesT(TestPipeline p) {
    TestStream<String> s =
        stream()
            .addElements(impressionEvent("i", T0))
            .advanceWatermarkTo(at(T0 + MIN))
            .addElements(clickEvent("c1", "i", T0 + 5 * MIN))
            .advanceWatermarkTo(at(T0 + 10 * MIN))
            .addElements(clickEvent("c2", "i", T0 + 12 * MIN))
            .advanceWatermarkToInfinity();
    LabelResult r = label(p, s, LabelImpressions.create());
    PCollection<LabelFixtures.Summary> rows = summarize("Rows", r.examples());
    PAssert.that(perMinute(rows))
        .inOnTimePane(minute(5 * MIN))
        .containsInAnyOrder(row("i", 1, 0, 5 * MIN, 5 * MIN, "WAIT"));
    PAssert.that(rows).containsInAnyOrder(row("i", 1, 0, 5 * MIN, 5 * MIN, "WAIT"));
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(deadLetter("click", "DUPLICATE_ID", 12 * MIN));
    PAssert.that(r.corrections()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void clickBeforeItsImpressionIsBufferedAndOrphansExpire(TestPipeline p) {
    TestStream<String> s =
        stream()
            .addElements(clickEvent("c1", "i", T0 + 5 * MIN), clickEvent("cx", "x", T0 + 6 * MIN))
            .advanceWatermarkTo(at(T0 - MIN))
            .addElements(impressionEvent("i", T0))
            .advanceWatermarkToInfinity();
    LabelResult r = label(p, s, LabelImpressions.create());
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("i", 1, 0, 5 * MIN, 5 * MIN, "WAIT"));
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(deadLetter("click", "ORPHAN_CLICK", 6 * MIN));
    PipelineResult res = p.run();
    res.waitUntilFinish();
    assertStateDrained(res);
  }

  @Test
  void lateClickWithinLatenessGivesCorrectionAndNoRewrite(TestPipeline p) {
    TestStream<String> s =
        stream()
            .addElements(impressionEvent("i", T0))
            .advanceWatermarkTo(at(T0 + 3 * HOUR))
            .addElements(clickEvent("c1", "i", T0 + 10 * MIN), clickEvent("c2", "i", T0 + 11 * MIN))
            .advanceWatermarkToInfinity();
    LabelResult r = label(p, s, LabelImpressions.create());
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("i", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.that(summarize("Corrections", r.corrections()))
        .containsInAnyOrder(correction("i", "clicked", 10 * MIN));
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(deadLetter("click", "DUPLICATE_ID", 11 * MIN));
    PipelineResult res = p.run();
    res.waitUntilFinish();
    assertThat(LabelFixtures.counter(res, LabelRules.NAMESPACE, "corrections"), equalTo(1L));
  }

  @Test
  void droppablyLateClickIsDeadLetteredAsLateClick(TestPipeline p) {
    // Tombstones live W + T + lateness = 30 min + 2 h + 1 h after the impression.
    TestStream<String> s =
        stream()
            .addElements(impressionEvent("i", T0))
            .advanceWatermarkTo(at(T0 + 3 * HOUR + 31 * MIN))
            .addElements(clickEvent("c1", "i", T0 + 10 * MIN))
            .advanceWatermarkToInfinity();
    LabelResult r =
        label(p, s, LabelImpressions.create().withAllowedLateness(Duration.standardHours(1)));
    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(row("i", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.that(r.corrections()).empty();
    PAssert.that(summarize("DeadLetters", r.deadLetters()))
        .containsInAnyOrder(deadLetter("click", "LATE_CLICK", 10 * MIN));
    PipelineResult res = p.run();
    res.waitUntilFinish();
    assertStateDrained(res);
  }

  /**
   * All pending impressions, buffered clicks and tombstones are gone at the end of input, and
   * timers fired on them.
   */
  static void assertStateDrained(PipelineResult res) {
    assertThat(LabelFixtures.counter(res, LabelRules.NAMESPACE, "state_entries"), equalTo(0L));
    long max = 0;
    for (MetricResult<DistributionResult> d :
        res.metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(
                        MetricNameFilter.named(LabelRules.NAMESPACE, "due_entries_per_firing"))
                    .build())
            .getDistributions()) {
      max = Math.max(max, d.getAttempted().getMax());
    }
    assertThat(max, greaterThanOrEqualTo(1L));
  }

  /**
   * Streaming, from Kafka-like records (source topic-partition, offset): every click refused by
   * dedup or by the labeler, late ones included, carries its partition, its offset and the exact
   * value as read.
   */
  @Test
  void refusedClicksCarryTheirTopicPartitionOffsetAndRawValue(TestPipeline p) {
    String i1 = impressionLine("i1", T0);
    String i2 = impressionLine("i2", T0);
    String c1 = clickLine("c1", "i1", T0 + 5 * MIN);
    String c2 = clickLine("c2", "i1", T0 + 6 * MIN); // a second click on i1
    String c3 = clickLine("c3", "i2", T0 - MIN); // before its impression
    String c4 = clickLine("c4", "nope", T0 + 2 * MIN); // orphan once the watermark passes t + T
    String c1Again = clickLine("c1", "i1", T0 + 7 * MIN); // dedup
    String c5 = clickLine("c5", "i2", T0 + 50 * MIN); // outside W
    String c6 = clickLine("c6", "i2", T0 + 10 * MIN); // past W + T + lateness: LATE_CLICK
    TestStream<RawRecord> s =
        TestStream.create(AvroCoder.of(RawRecord.class))
            .advanceWatermarkTo(at(T0 - HOUR))
            .addElements(kafka("impressions-0", 100, i1, T0), kafka("impressions-0", 101, i2, T0))
            // One batch after another, so that dedup's first arrival and the first click are known.
            .advanceWatermarkTo(at(T0 + MIN))
            .addElements(kafka("clicks-1", 7, c1, T0 + 5 * MIN))
            .advanceWatermarkTo(at(T0 + 2 * MIN))
            .addElements(
                kafka("clicks-1", 8, c2, T0 + 6 * MIN),
                kafka("clicks-1", 9, c3, T0 + 6 * MIN),
                kafka("clicks-1", 10, c4, T0 + 6 * MIN))
            .advanceWatermarkTo(at(T0 + 3 * MIN))
            .addElements(
                kafka("clicks-1", 11, c1Again, T0 + 7 * MIN),
                kafka("clicks-1", 12, c5, T0 + 50 * MIN))
            .advanceWatermarkTo(at(T0 + 3 * HOUR + 31 * MIN))
            .addElements(kafka("clicks-1", 13, c6, T0 + 3 * HOUR + 31 * MIN))
            .advanceWatermarkToInfinity();
    PCollection<RawRecord> in = p.apply("Kafka", s);
    IngestResult<Impression> imps =
        in.apply("ImpressionsTopic", Filter.by(r -> r.getSource().startsWith("impressions-")))
            .apply("IngestImpressions", IngestRecords.impressions());
    IngestResult<Click> clicks =
        in.apply("ClicksTopic", Filter.by(r -> r.getSource().startsWith("clicks-")))
            .apply("IngestClicks", IngestRecords.clicks());
    LabelResult r =
        LabelInputs.of(imps.records(), clicks.records())
            .apply(
                "Label", LabelImpressions.create().withAllowedLateness(Duration.standardHours(1)));

    PAssert.that(summarize("Rows", r.examples()))
        .containsInAnyOrder(
            row("i1", 1, 0, 5 * MIN, 5 * MIN, "WAIT"), row("i2", 0, 0, 2 * HOUR, 2 * HOUR, "WAIT"));
    PAssert.that(
            inputs(
                "Inputs",
                PCollectionList.of(r.deadLetters())
                    .and(imps.deadLetters())
                    .and(clicks.deadLetters())
                    .apply(Flatten.pCollections())))
        .containsInAnyOrder(
            input("click", "DUPLICATE_ID", "clicks-1", 8, c2),
            input("click", "CLICK_BEFORE_IMPRESSION", "clicks-1", 9, c3),
            input("click", "ORPHAN_CLICK", "clicks-1", 10, c4),
            input("click", "DUPLICATE_ID", "clicks-1", 11, c1Again),
            input("click", "CLICK_OUTSIDE_WINDOW", "clicks-1", 12, c5),
            input("click", "LATE_CLICK", "clicks-1", 13, c6));
    p.run().waitUntilFinish();
  }

  /** A Kafka value as ReadKafkaRecords emits it: source topic-partition, the offset, the text. */
  private static TimestampedValue<RawRecord> kafka(
      String partition, long offset, String value, long arrival) {
    return TimestampedValue.of(new RawRecord(partition, offset, value, null), at(arrival));
  }
}
