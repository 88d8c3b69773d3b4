package io.ctrbeam.label;

import static io.ctrbeam.label.LabelFixtures.HOUR;
import static io.ctrbeam.label.LabelFixtures.MIN;
import static io.ctrbeam.label.LabelFixtures.T0;
import static io.ctrbeam.label.LabelFixtures.clickEvent;
import static io.ctrbeam.label.LabelFixtures.conversionEvent;
import static io.ctrbeam.label.LabelFixtures.impressionEvent;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.TestPipelineExtension;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Batch and streaming agree: the same events labeled bounded (GroupByKey pass), streamed out of
 * order through TestStream with the watermark kept behind the data, and bounded through the
 * stateful path give the same rows, dead letters and corrections, in every mode, conversions on.
 * The stateful paths emit rows with their click label and the later news (conversions, earlier
 * clicks) as updates; their rows with the updates folded in equal the batch rows.
 */
@ExtendWith(TestPipelineExtension.class)
class LabelParityTest {

  /**
   * Seeded events. Some impressions get a second valid click, in either order: streaming dates the
   * positive by the first click processed and corrects it when an earlier one comes.
   */
  static List<TimestampedValue<String>> events(int n, long seed) {
    Random rnd = new Random(seed);
    List<TimestampedValue<String>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = "i" + i;
      long t = T0 + (long) (rnd.nextDouble() * 6 * HOUR);
      out.add(impressionEvent(id, t));
      double u = rnd.nextDouble();
      if (u < 0.35) {
        long tc = t + 1 + (long) (rnd.nextDouble() * 30 * MIN);
        out.add(clickEvent("c" + i, id, tc));
        if (rnd.nextDouble() < 0.25) {
          out.add(clickEvent("e" + i, id, t + 1 + (long) (rnd.nextDouble() * 30 * MIN)));
        }
        if (rnd.nextDouble() < 0.3) {
          out.add(clickEvent("d" + i, id, t + 40 * MIN + (long) (rnd.nextDouble() * HOUR)));
        }
        double v = rnd.nextDouble();
        if (v < 0.3) {
          out.add(conversionEvent("v" + i, id, tc + (long) (rnd.nextDouble() * 6 * 24 * HOUR)));
        } else if (v < 0.4) {
          out.add(conversionEvent("v" + i, id, tc + 7 * 24 * HOUR + HOUR));
        }
      } else if (u < 0.45) {
        out.add(clickEvent("c" + i, id, t + 31 * MIN + (long) (rnd.nextDouble() * HOUR)));
      } else if (u < 0.55) {
        out.add(clickEvent("c" + i, id, t - (long) (rnd.nextDouble() * 5 * MIN)));
      } else if (u < 0.62) {
        out.add(clickEvent("c" + i, "gone" + i, t + MIN));
      } else if (u < 0.66) {
        out.add(conversionEvent("v" + i, id, t + HOUR));
      }
    }
    return out;
  }

  /**
   * A TestStream of the events in hourly chunks, shuffled within each chunk, the watermark kept 3 h
   * (more than T + W) behind the chunk being added, so nothing is late.
   */
  static TestStream<String> streamed(List<TimestampedValue<String>> events, long seed) {
    TreeMap<Long, List<TimestampedValue<String>>> chunks = new TreeMap<>();
    for (TimestampedValue<String> e : events) {
      chunks.computeIfAbsent(e.getTimestamp().getMillis() / HOUR, k -> new ArrayList<>()).add(e);
    }
    Random rnd = new Random(seed);
    TestStream.Builder<String> b =
        TestStream.create(StringUtf8Coder.of()).advanceWatermarkTo(new Instant(T0 - 4 * HOUR));
    for (Map.Entry<Long, List<TimestampedValue<String>>> c : chunks.entrySet()) {
      List<TimestampedValue<String>> xs = new ArrayList<>(c.getValue());
      Collections.shuffle(xs, rnd);
      Instant wm = new Instant(c.getKey() * HOUR - 3 * HOUR);
      b = b.advanceWatermarkTo(wm);
      b = b.addElements(xs.get(0), xs.subList(1, xs.size()).toArray(new TimestampedValue[0]));
    }
    return b.advanceWatermarkToInfinity();
  }

  private static LabelImpressions labeler(LabelMode mode) {
    return LabelImpressions.create().withMode(mode).withBuckets(8);
  }

  /** Every output of one labeling as "variant|mode|kind|summary" lines. */
  private static PCollection<String> outputs(String variant, LabelMode mode, LabelResult r) {
    return outputs(variant, mode, r, r.examples());
  }

  /** The same, with the rows given: the streamed rows with their corrections folded in. */
  private static PCollection<String> folded(String variant, LabelMode mode, LabelResult r) {
    PCollection<TrainingExample> rows =
        r.examples().apply(variant + mode + "Fold", FoldCorrections.of(r.corrections()));
    return outputs(variant, mode, r, rows);
  }

  private static PCollection<String> outputs(
      String variant, LabelMode mode, LabelResult r, PCollection<TrainingExample> rows) {
    String prefix = variant + "|" + mode + "|";
    PCollection<LabelCorrection> corrections =
        r.corrections().apply(variant + mode + "Unfolded", Filter.by(c -> !folds(c)));
    return PCollectionList.of(
            rows.apply(variant + mode + "Rows", ParDo.of(new Line<>(prefix + "row|"))))
        .and(r.deadLetters().apply(variant + mode + "Dl", ParDo.of(new Line<>(prefix + "dl|"))))
        .and(corrections.apply(variant + mode + "Corr", ParDo.of(new Line<>(prefix + "corr|"))))
        .apply(variant + mode + "All", Flatten.pCollections());
  }

  /**
   * Whether a correction is an update that {@link FoldCorrections} applies (all but late clicks).
   */
  private static boolean folds(LabelCorrection c) {
    return !LabelRules.CorrectionKind.LATE_OUTCOME.name().equals(c.getKind());
  }

  static final class Line<T> extends DoFn<T, String> {
    private final String prefix;

    Line(String prefix) {
      this.prefix = prefix;
    }

    @ProcessElement
    public void process(@Element T x, @Timestamp Instant ts, OutputReceiver<String> out) {
      String extra = "";
      if (x instanceof TrainingExample r) {
        extra =
            String.format(
                "|conf=%.9f|ct=%s|cv=%s|cd=%s",
                r.getLabelConfidence(),
                r.getClickTime(),
                r.getConversionTime(),
                r.getConversionDelayMs());
      }
      String line = LabelFixtures.summary(x, ts.getMillis());
      if (x instanceof TrainingExample) {
        // A folded row loses its element timestamp in the grouping; label_time stays in the line.
        line = line.substring(0, line.lastIndexOf("|@"));
      }
      out.output(prefix + line + extra);
    }
  }

  /** Each variant's lines per mode equal the reference variant's, and are not trivial. */
  static Void sameAsReference(Iterable<String> lines, String reference, String... others) {
    Map<String, List<String>> by = new TreeMap<>();
    for (String l : lines) {
      int i = l.indexOf('|');
      int j = l.indexOf('|', i + 1);
      by.computeIfAbsent(l.substring(0, j), k -> new ArrayList<>()).add(l.substring(j + 1));
    }
    for (LabelMode m : LabelMode.values()) {
      List<String> ref = sorted(by.get(reference + "|" + m));
      assertThat(ref.size(), greaterThan(150));
      for (String o : others) {
        assertThat(o + " " + m, sorted(by.get(o + "|" + m)), equalTo(ref));
      }
    }
    return null;
  }

  private static List<String> sorted(List<String> xs) {
    List<String> s = new ArrayList<>(xs == null ? List.of() : xs);
    Collections.sort(s);
    return s;
  }

  @Test
  void streamedOutOfOrderEqualsBounded(TestPipeline p) {
    List<TimestampedValue<String>> events = events(150, 42);
    LabelInputs bounded =
        LabelFixtures.events(
            "DecodeBounded",
            p.apply("Bounded", Create.timestamped(events).withCoder(StringUtf8Coder.of())));
    LabelInputs streaming =
        LabelFixtures.events("DecodeStreamed", p.apply("Streamed", streamed(events, 7)));
    PCollectionList<String> all = PCollectionList.empty(p);
    for (LabelMode m : LabelMode.values()) {
      all = all.and(outputs("batch", m, bounded.apply("Batch" + m, labeler(m))));
      LabelResult streamed = streaming.apply("Stream" + m, labeler(m));
      all = all.and(folded("stream", m, streamed));
      PAssert.that(streamed.corrections())
          .satisfies(
              cs -> {
                Map<String, Integer> kinds = new TreeMap<>();
                cs.forEach(c -> kinds.merge(c.getLabel() + " " + c.getKind(), 1, Integer::sum));
                assertThat(
                    m + " " + kinds, kinds.getOrDefault("converted UPDATE", 0), greaterThan(10));
                assertThat(
                    m + " " + kinds,
                    kinds.getOrDefault("clicked EARLIER_OUTCOME", 0),
                    greaterThan(0));
                return null;
              });
    }
    PAssert.that(all.apply("Everything", Flatten.pCollections()))
        .satisfies(lines -> sameAsReference(lines, "batch", "stream"));
    p.run().waitUntilFinish();
  }

  @Test
  void statefulInBatchEqualsGroupByKeyPass(TestPipeline p) {
    List<TimestampedValue<String>> events = events(150, 43);
    LabelInputs bounded =
        LabelFixtures.events(
            "DecodeBounded",
            p.apply("Bounded", Create.timestamped(events).withCoder(StringUtf8Coder.of())));
    PCollectionList<String> all = PCollectionList.empty(p);
    for (LabelMode m : LabelMode.values()) {
      all = all.and(outputs("gbk", m, bounded.apply("Gbk" + m, labeler(m))));
      all =
          all.and(
              folded(
                  "stateful",
                  m,
                  bounded.apply("Stateful" + m, labeler(m).withStatefulInBatch(true))));
    }
    PAssert.that(all.apply("Everything", Flatten.pCollections()))
        .satisfies(lines -> sameAsReference(releasedClicksAsOutside(lines), "gbk", "stateful"));
    p.run().waitUntilFinish();
  }

  /**
   * FAKE_NEGATIVE keeps nothing past t + W (README, "Contract"): on the stateful path a click past
   * its impression's window that is processed after the impression's release cannot be matched and
   * is ORPHAN_CLICK, where the GroupByKey pass sees both and says CLICK_OUTSIDE_WINDOW. Which one
   * the stateful path says depends on when the runner fires the release timer; only that case is
   * mapped, and only for a click that the GroupByKey pass found outside its window.
   */
  private static List<String> releasedClicksAsOutside(Iterable<String> lines) {
    String outside = "gbk|FAKE_NEGATIVE|dl|click|CLICK_OUTSIDE_WINDOW|";
    String orphan = "stateful|FAKE_NEGATIVE|dl|click|ORPHAN_CLICK|";
    Set<String> outsideIds = new HashSet<>();
    lines.forEach(
        l -> {
          if (l.startsWith(outside)) {
            outsideIds.add(l.substring(outside.length()));
          }
        });
    List<String> out = new ArrayList<>();
    for (String l : lines) {
      boolean released = l.startsWith(orphan) && outsideIds.contains(l.substring(orphan.length()));
      out.add(
          released
              ? "stateful|FAKE_NEGATIVE|dl|click|CLICK_OUTSIDE_WINDOW|"
                  + l.substring(orphan.length())
              : l);
    }
    return out;
  }
}
