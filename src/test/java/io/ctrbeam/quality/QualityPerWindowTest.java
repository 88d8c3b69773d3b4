package io.ctrbeam.quality;

import static io.ctrbeam.quality.QualityFixtures.T0;
import static io.ctrbeam.quality.QualityFixtures.impression;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.testing.TestPipelineExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The per-window gate on an unbounded stream: three hours of impressions, the device mix drifts in
 * the third. Alerts come in the window where the drift starts and in none before it.
 */
@ExtendWith(TestPipelineExtension.class)
class QualityPerWindowTest {
  private static final long HOUR = 3_600_000L;

  /** n impressions in hour h (0-based from T0), device mobile with probability pMobile. */
  private static List<Impression> hour(int h, int n, double pMobile, long seed) {
    Random rnd = new Random(seed);
    List<Impression> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Impression im =
          impression(
              i, rnd.nextDouble() < pMobile ? "mobile" : "desktop", "US", 1 + rnd.nextInt(10));
      im.setImpressionId("imp_" + h + "_" + i);
      im.setEventTime(java.time.Instant.ofEpochMilli(T0 + h * HOUR + rnd.nextInt((int) HOUR)));
      out.add(im);
    }
    return out;
  }

  private static TimestampedValue<Impression>[] timestamped(List<Impression> records) {
    @SuppressWarnings("unchecked")
    TimestampedValue<Impression>[] out = new TimestampedValue[records.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] =
          TimestampedValue.of(
              records.get(i), new Instant(records.get(i).getEventTime().toEpochMilli()));
    }
    return out;
  }

  private static IntervalWindow hourWindow(int h) {
    return new IntervalWindow(new Instant(T0 + h * HOUR), new Instant(T0 + (h + 1) * HOUR));
  }

  @Test
  void alertsInTheWindowWhereDriftStartsAndNoneBefore(TestPipeline p) {
    DatasetProfile reference = QualityFixtures.profile(hour(-24, 3000, 0.5, 1), null);
    List<Impression> h0 = hour(0, 300, 0.5, 2);
    List<Impression> h1 = hour(1, 300, 0.5, 3);
    List<Impression> h2 = hour(2, 300, 0.95, 4);
    TestStream<Impression> stream =
        TestStream.create(AvroCoder.specific(Impression.class))
            .advanceWatermarkTo(new Instant(T0))
            .addElements(
                timestamped(h0)[0], java.util.Arrays.copyOfRange(timestamped(h0), 1, h0.size()))
            .advanceWatermarkTo(new Instant(T0 + HOUR))
            .addElements(
                timestamped(h1)[0], java.util.Arrays.copyOfRange(timestamped(h1), 1, h1.size()))
            .advanceWatermarkTo(new Instant(T0 + 2 * HOUR))
            .addElements(
                timestamped(h2)[0], java.util.Arrays.copyOfRange(timestamped(h2), 1, h2.size()))
            .advanceWatermarkToInfinity();

    PCollection<QualityReport> reports =
        p.apply("Impressions", stream)
            .apply(
                "QualityPerHour",
                QualityPerWindow.<Impression>of(RecordFields.IMPRESSION).withReference(reference));
    PCollection<String> alerts = reports.apply("Alerts", FormatQualityAlerts.create());

    PAssert.that(alerts).inOnTimePane(hourWindow(0)).empty();
    PAssert.that(alerts).inOnTimePane(hourWindow(1)).empty();
    PAssert.that(alerts)
        .inOnTimePane(hourWindow(2))
        .satisfies(
            lines -> {
              List<JsonNode> all = new ArrayList<>();
              lines.forEach(l -> all.add(read(l)));
              assertThat(all.toString(), all, hasSize(1));
              JsonNode a = all.get(0);
              assertThat(a.get("record_type").asText(), equalTo("impression"));
              assertThat(a.get("field").asText(), equalTo("device"));
              assertThat(a.get("metric").asText(), equalTo("psi"));
              assertThat(a.get("threshold").asDouble(), equalTo(0.2));
              assertThat(a.get("value").asDouble(), greaterThan(0.2));
              assertThat(a.get("value").asDouble(), greaterThan(a.get("noise_bound").asDouble()));
              assertThat(a.get("n").asLong(), equalTo(300L));
              assertThat(a.get("m").asLong(), equalTo(3000L));
              assertThat(a.get("window_start").asLong(), equalTo(T0 + 2 * HOUR));
              assertThat(a.get("window_end").asLong(), equalTo(T0 + 3 * HOUR));
              return null;
            });
    // Every window gets its report, the quiet ones too, with freshness at the window's end.
    PAssert.that(reports)
        .inOnTimePane(hourWindow(0))
        .satisfies(
            rs -> {
              QualityReport r = rs.iterator().next();
              assertThat(r.passed(), equalTo(true));
              assertThat(r.clockMillis(), equalTo(T0 + HOUR));
              return null;
            });
    p.run().waitUntilFinish(Duration.standardMinutes(2));
  }

  private static JsonNode read(String line) {
    try {
      return new ObjectMapper().readTree(line);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
