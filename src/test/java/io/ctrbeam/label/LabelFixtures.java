package io.ctrbeam.label;

import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

/** Test data and order-independent summaries of the labeler's outputs. */
final class LabelFixtures {
  /** Monday 2026-01-05 10:00 UTC. */
  static final long T0 = Instant.parse("2026-01-05T10:00:00Z").toEpochMilli();

  static final long MIN = 60_000L;
  static final long HOUR = 60 * MIN;

  private LabelFixtures() {}

  static Impression imp(String id, long t) {
    return Impression.newBuilder()
        .setImpressionId(id)
        .setEventTime(Instant.ofEpochMilli(t))
        .setUserId("u-" + id)
        .setAdId("a1")
        .setPosition(1)
        .setCountry("DE")
        .build();
  }

  static Click click(String id, String impId, long t) {
    return Click.newBuilder()
        .setClickId(id)
        .setImpressionId(impId)
        .setEventTime(Instant.ofEpochMilli(t))
        .build();
  }

  static Conversion conv(String id, String impId, long t) {
    return Conversion.newBuilder()
        .setConversionId(id)
        .setImpressionId(impId)
        .setEventTime(Instant.ofEpochMilli(t))
        .setValue(1.0)
        .build();
  }

  static PCollection<Impression> impressions(Pipeline p, Impression... xs) {
    return timestamped(p, "Impressions", Impression.class, xs);
  }

  static PCollection<Click> clicks(Pipeline p, Click... xs) {
    return timestamped(p, "Clicks", Click.class, xs);
  }

  static PCollection<Conversion> conversions(Pipeline p, Conversion... xs) {
    return timestamped(p, "Conversions", Conversion.class, xs);
  }

  /** Avro records, each timestamped with its event_time field. */
  @SafeVarargs
  static <T extends SpecificRecord> PCollection<T> timestamped(
      Pipeline p, String name, Class<T> type, T... xs) {
    List<TimestampedValue<T>> tv = new ArrayList<>();
    for (T x : xs) {
      long t = ((Instant) x.get(x.getSchema().getField("event_time").pos())).toEpochMilli();
      tv.add(TimestampedValue.of(x, new org.joda.time.Instant(t)));
    }
    return p.apply(name, Create.timestamped(tv).withCoder(AvroCoder.of(type)));
  }

  /** An encoded event for {@link #events}: an impression. */
  static TimestampedValue<String> impressionEvent(String id, long t) {
    return TimestampedValue.of("i," + id + ",," + t, new org.joda.time.Instant(t));
  }

  /** An encoded click. */
  static TimestampedValue<String> clickEvent(String id, String impId, long t) {
    return TimestampedValue.of("c," + id + "," + impId + "," + t, new org.joda.time.Instant(t));
  }

  /** An encoded conversion. */
  static TimestampedValue<String> conversionEvent(String id, String impId, long t) {
    return TimestampedValue.of("v," + id + "," + impId + "," + t, new org.joda.time.Instant(t));
  }

  static final TupleTag<Impression> IMPS = new TupleTag<Impression>("imps") {};
  static final TupleTag<Click> CLICKS = new TupleTag<Click>("clicks") {};
  static final TupleTag<Conversion> CONVS = new TupleTag<Conversion>("convs") {};

  /** Splits encoded events (e.g. from one TestStream) into the labeler's three inputs. */
  static LabelInputs events(PCollection<String> encoded) {
    return events("Decode", encoded);
  }

  static LabelInputs events(String name, PCollection<String> encoded) {
    PCollectionTuple t =
        encoded.apply(
            name,
            ParDo.of(new DecodeFn()).withOutputTags(IMPS, TupleTagList.of(CLICKS).and(CONVS)));
    return LabelInputs.of(
        t.get(IMPS).setCoder(AvroCoder.of(Impression.class)),
        t.get(CLICKS).setCoder(AvroCoder.of(Click.class)),
        t.get(CONVS).setCoder(AvroCoder.of(Conversion.class)));
  }

  static final class DecodeFn extends DoFn<String, Impression> {
    @ProcessElement
    public void process(@Element String s, MultiOutputReceiver out) {
      Object x = decode(s);
      if (x instanceof Impression i) {
        out.get(IMPS).output(i);
      } else if (x instanceof Click c) {
        out.get(CLICKS).output(c);
      } else {
        out.get(CONVS).output((Conversion) x);
      }
    }
  }

  /** An encoded event as an Impression, Click or Conversion. */
  static Object decode(String s) {
    String[] f = s.split(",", -1);
    long t = Long.parseLong(f[3]);
    switch (f[0]) {
      case "i":
        return imp(f[1], t);
      case "c":
        return click(f[1], f[2], t);
      default:
        return conv(f[1], f[2], t);
    }
  }

  /**
   * What a test asserts about one output of the labeler, times as offsets from T0: a small record,
   * so that a failed assertion names the field that differs.
   */
  sealed interface Summary extends Serializable
      permits RowSummary, DeadLetterSummary, CorrectionSummary {
    /** The summary as one pipe-joined line, for comparing two whole outputs as text. */
    String line();
  }

  /** A row: its labels, label_time, elapsed_ms, label_kind and element timestamp. */
  record RowSummary(
      String id,
      int clicked,
      int converted,
      long labelTimeOffset,
      long elapsedMs,
      String kind,
      long timestampOffset)
      implements Summary {
    @Override
    public String line() {
      return id
          + "|"
          + clicked
          + "|"
          + converted
          + "|"
          + labelTimeOffset
          + "|"
          + elapsedMs
          + "|"
          + kind
          + "|@"
          + timestampOffset;
    }
  }

  /** A dead letter: record_type, reason and event time. */
  record DeadLetterSummary(String type, String reason, long eventTimeOffset) implements Summary {
    @Override
    public String line() {
      return type + "|" + reason + "|" + eventTimeOffset;
    }
  }

  /** A correction to 1 of a label, at its correction_time. */
  record CorrectionSummary(String id, String label, long correctionTimeOffset) implements Summary {
    @Override
    public String line() {
      return id + "|" + label + "|0->1|" + correctionTimeOffset;
    }
  }

  /** A row stamped with its label_time. */
  static RowSummary row(
      String id, int clicked, int converted, long labelOffset, long elapsed, String kind) {
    return new RowSummary(id, clicked, converted, labelOffset, elapsed, kind, labelOffset);
  }

  static DeadLetterSummary deadLetter(String type, String reason, long eventOffset) {
    return new DeadLetterSummary(type, reason, eventOffset);
  }

  static CorrectionSummary correction(String id, String label, long correctionOffset) {
    return new CorrectionSummary(id, label, correctionOffset);
  }

  /** A click as an input JSON line, in an order and spacing of its own (not our own rendering). */
  static String clickLine(String id, String impId, long t) {
    return "{ \"event_time\": "
        + t
        + ",  \"impression_id\": \""
        + impId
        + "\", \"click_id\": \""
        + id
        + "\" }";
  }

  static String conversionLine(String id, String impId, long t) {
    return "{\"conversion_id\": \""
        + id
        + "\", \"value\": 1.5, \"impression_id\": \""
        + impId
        + "\", \"event_time\": "
        + t
        + "}";
  }

  static String impressionLine(String id, long t) {
    return "{\"impression_id\":\""
        + id
        + "\",\"event_time\":"
        + t
        + ",\"user_id\":\"u1\",\"ad_id\":\"a1\",\"position\":1}";
  }

  /** record_type|reason|source|source_offset|raw of a dead letter: what it says about its input. */
  static String input(String type, String reason, String source, long offset, String raw) {
    return type + "|" + reason + "|" + source + "|" + offset + "|" + raw;
  }

  /** Renders dead letters with {@link #input}. */
  static PCollection<String> inputs(String name, PCollection<DeadLetter> dls) {
    return dls.apply(
            name,
            ParDo.of(
                new DoFn<DeadLetter, String>() {
                  @ProcessElement
                  public void process(@Element DeadLetter d, OutputReceiver<String> out) {
                    out.output(
                        d.getRecordType()
                            + "|"
                            + d.getReason()
                            + "|"
                            + d.getSource()
                            + "|"
                            + d.getSourceOffset()
                            + "|"
                            + d.getRaw());
                  }
                }))
        .setCoder(StringUtf8Coder.of());
  }

  /** Summarizes rows, dead letters and corrections (with element timestamps). */
  static final class Summarize<T> extends DoFn<T, Summary> {
    @ProcessElement
    public void process(
        @Element T x, @Timestamp org.joda.time.Instant ts, OutputReceiver<Summary> out) {
      out.output(toSummary(x, ts.getMillis()));
    }
  }

  static Summary toSummary(Object x, long ts) {
    if (x instanceof TrainingExample r) {
      return new RowSummary(
          r.getImpressionId(),
          r.getClicked(),
          r.getConverted(),
          r.getLabelTime().toEpochMilli() - T0,
          r.getElapsedMs(),
          r.getLabelKind(),
          ts - T0);
    }
    if (x instanceof DeadLetter d) {
      return deadLetter(d.getRecordType(), d.getReason(), d.getEventTime().toEpochMilli() - T0);
    }
    LabelCorrection c = (LabelCorrection) x;
    return correction(c.getImpressionId(), c.getLabel(), c.getCorrectionTime().toEpochMilli() - T0);
  }

  /** The {@link Summary#line} of an output. */
  static String summary(Object x, long ts) {
    return toSummary(x, ts).line();
  }

  static <T> PCollection<Summary> summarize(String name, PCollection<T> xs) {
    return xs.apply(name, ParDo.of(new Summarize<T>()))
        .setCoder(SerializableCoder.of(Summary.class));
  }

  /** The summaries as lines, for comparing two whole outputs as text. */
  static <T> PCollection<String> summaryLines(String name, PCollection<T> xs) {
    return summarize(name, xs)
        .apply(name + "Lines", MapElements.into(TypeDescriptors.strings()).via(Summary::line));
  }

  /** The committed value of a counter in a namespace, summed over steps; 0 when absent. */
  static long counter(PipelineResult r, String namespace, String name) {
    MetricQueryResults q =
        r.metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(namespace, name))
                    .build());
    long sum = 0;
    for (MetricResult<Long> c : q.getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }
}
