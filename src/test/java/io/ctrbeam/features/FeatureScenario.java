package io.ctrbeam.features;

import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TimestampedValue;

/** Test data: impressions, the training examples labeling would emit, and a brute-force oracle. */
final class FeatureScenario implements Serializable {
  static final long H = 3_600_000L;
  static final long MIN = 60_000L;
  static final long T0 = Instant.parse("2026-03-10T00:00:00Z").toEpochMilli();
  static final long LABEL_WAIT = 2 * H;

  final List<Impression> impressions = new ArrayList<>();
  final List<TrainingExample> examples = new ArrayList<>();

  /** Impressions delivered behind the watermark in streaming (by impression_id). */
  final Set<String> late = new HashSet<>();

  static Impression imp(String id, long t, String user, String ad, String adv, String cat) {
    return Impression.newBuilder()
        .setImpressionId(id)
        .setEventTime(Instant.ofEpochMilli(t))
        .setUserId(user)
        .setAdId(ad)
        .setPosition(1)
        .setAdvertiserId(adv)
        .setAdCategory(cat)
        .build();
  }

  /** The example labeling emits: a positive at its click time, a negative at t + T. */
  static TrainingExample example(Impression i, Long clickTime, Long labelTime) {
    long t = i.getEventTime().toEpochMilli();
    long label = labelTime != null ? labelTime : clickTime != null ? clickTime : t + LABEL_WAIT;
    return TrainingExample.newBuilder()
        .setImpressionId(i.getImpressionId())
        .setEventTime(i.getEventTime())
        .setUserId(i.getUserId())
        .setAdId(i.getAdId())
        .setPosition(i.getPosition())
        .setAdvertiserId(i.getAdvertiserId())
        .setAdCategory(i.getAdCategory())
        .setClicked(clickTime != null ? 1 : 0)
        .setConverted(0)
        .setClickTime(clickTime == null ? null : Instant.ofEpochMilli(clickTime))
        .setClickDelayMs(clickTime == null ? null : clickTime - t)
        .setLabelTime(Instant.ofEpochMilli(label))
        .setElapsedMs(label - t)
        .setLabelConfidence(1.0)
        .setLabelKind("WAIT")
        .setHourOfDay(0)
        .setDayOfWeek(1)
        .build();
  }

  /** Adds an impression and its example (clicked when clickTime is not null). */
  Impression add(String id, long t, String user, String ad, String adv, String cat, Long click) {
    Impression i = imp(id, t, user, ad, adv, cat);
    impressions.add(i);
    examples.add(example(i, click, null));
    return i;
  }

  /** The same impressions with only each one's first example, as WAIT labeling emits them. */
  FeatureScenario onePerImpression() {
    FeatureScenario s = new FeatureScenario();
    s.impressions.addAll(impressions);
    s.late.addAll(late);
    Set<String> seen = new HashSet<>();
    for (TrainingExample e : examples) {
      if (seen.add(e.getImpressionId())) {
        s.examples.add(e);
      }
    }
    return s;
  }

  /**
   * A random scenario over three days: a few users, ads and categories, nulls in advertiser and
   * category, ~20% clicks, some duplicate positive rows and fake negatives, and one late
   * impression.
   */
  static FeatureScenario random(long seed, int n) {
    Random r = new Random(seed);
    FeatureScenario s = new FeatureScenario();
    for (int k = 0; k < n; k++) {
      long t = T0 + (long) (r.nextDouble() * 72 * H) / 1000 * 1000;
      int ad = r.nextInt(8);
      String adv = ad == 7 ? null : "v" + (ad % 3);
      String cat = r.nextInt(10) == 0 ? null : "c" + (ad % 4);
      Long click = r.nextDouble() < 0.2 ? t + 1000 + r.nextInt((int) (30 * MIN)) : null;
      Impression i = s.add("i" + k, t, "u" + r.nextInt(12), "a" + ad, adv, cat, click);
      if (click != null && r.nextInt(5) == 0) {
        s.examples.add(example(i, click, null)); // duplicate positive: one click only
      }
      if (click != null && r.nextInt(5) == 0) {
        s.examples.add(example(i, null, t)); // a fake negative at t
      }
    }
    // A late impression and a later one of the same fresh user that must count it.
    long tl = T0 + 30 * H + 7 * MIN;
    s.add("late1", tl, "lateUser", "lateAd", null, null, null);
    s.late.add("late1");
    s.add("late2", tl + 40 * MIN, "lateUser", "lateAd", null, null, null);
    return s;
  }

  // ---- the oracle: features by their definition, by brute force ----

  /** {imps24, clicks24, decayedImps, decayedClicks} for (kind, key) as of t. */
  double[] oracle(KeyKind kind, String key, long t, boolean inclusive, FeatureParams p) {
    double[] v = new double[4];
    for (Impression i : impressions) {
      if (key.equals(kind.keyOf(i))) {
        count(v, 0, i.getEventTime().toEpochMilli(), t, inclusive, p);
      }
    }
    Set<String> clicked = new HashSet<>();
    for (TrainingExample e : examples) {
      if (e.getClicked() == 1 && key.equals(kind.keyOf(e)) && clicked.add(e.getImpressionId())) {
        count(v, 1, e.getClickTime().toEpochMilli(), t, inclusive, p);
      }
    }
    return v;
  }

  private static void count(
      double[] v, int k, long ti, long t, boolean inclusive, FeatureParams p) {
    boolean before = inclusive ? ti <= t : ti < t;
    if (!before) {
      return;
    }
    if (ti > t - p.windowMillis) {
      v[k] += 1;
    }
    v[2 + k] += Math.pow(2, -(double) (t - ti) / p.halfLifeMillis);
  }

  /** The keys of one kind seen in any event. */
  Set<String> keys(KeyKind kind) {
    Set<String> keys = new HashSet<>();
    for (Impression i : impressions) {
      if (kind.keyOf(i) != null) {
        keys.add(kind.keyOf(i));
      }
    }
    return keys;
  }

  // ---- streaming delivery ----

  static final KvCoder<Impression, TrainingExample> UNION =
      KvCoder.of(
          NullableCoder.of(AvroCoder.of(Impression.class)),
          NullableCoder.of(AvroCoder.of(TrainingExample.class)));

  /**
   * A TestStream of impressions (at event_time) and examples (at label_time), in chunks of {@code
   * step}: each chunk shuffled (out of order), then the watermark advanced to the chunk's end. Late
   * impressions arrive one chunk after the watermark passed them.
   */
  TestStream<KV<Impression, TrainingExample>> stream(long step, long seed) {
    List<TimestampedValue<KV<Impression, TrainingExample>>> all = new ArrayList<>();
    for (Impression i : impressions) {
      long t = i.getEventTime().toEpochMilli() + (late.contains(i.getImpressionId()) ? step : 0);
      all.add(TimestampedValue.of(KV.of(i, null), org.joda.time.Instant.ofEpochMilli(t)));
    }
    for (TrainingExample e : examples) {
      all.add(
          TimestampedValue.of(
              KV.of(null, e), org.joda.time.Instant.ofEpochMilli(e.getLabelTime().toEpochMilli())));
    }
    all.sort(Comparator.comparingLong(v -> v.getTimestamp().getMillis()));
    Random r = new Random(seed);
    TestStream.Builder<KV<Impression, TrainingExample>> b =
        TestStream.create(UNION).advanceWatermarkTo(org.joda.time.Instant.ofEpochMilli(T0 - H));
    int k = 0;
    while (k < all.size()) {
      long chunkEnd = (Math.floorDiv(all.get(k).getTimestamp().getMillis(), step) + 1) * step;
      List<TimestampedValue<KV<Impression, TrainingExample>>> chunk = new ArrayList<>();
      while (k < all.size() && all.get(k).getTimestamp().getMillis() < chunkEnd) {
        TimestampedValue<KV<Impression, TrainingExample>> v = all.get(k++);
        Impression i = v.getValue().getKey();
        boolean isLate = i != null && late.contains(i.getImpressionId());
        // A late impression keeps its own event time as element timestamp, behind the watermark.
        chunk.add(
            isLate
                ? TimestampedValue.of(
                    v.getValue(),
                    org.joda.time.Instant.ofEpochMilli(i.getEventTime().toEpochMilli()))
                : v);
      }
      Collections.shuffle(chunk, r);
      for (TimestampedValue<KV<Impression, TrainingExample>> v : chunk) {
        b = b.addElements(v);
      }
      b = b.advanceWatermarkTo(org.joda.time.Instant.ofEpochMilli(chunkEnd));
    }
    return b.advanceWatermarkToInfinity();
  }

  /** Splits the union stream: impressions. */
  static final class Impressions extends DoFn<KV<Impression, TrainingExample>, Impression> {
    @ProcessElement
    public void process(
        @Element KV<Impression, TrainingExample> kv, OutputReceiver<Impression> out) {
      if (kv.getKey() != null) {
        out.output(kv.getKey());
      }
    }
  }

  /** Splits the union stream: examples. */
  static final class Examples extends DoFn<KV<Impression, TrainingExample>, TrainingExample> {
    @ProcessElement
    public void process(
        @Element KV<Impression, TrainingExample> kv, OutputReceiver<TrainingExample> out) {
      if (kv.getValue() != null) {
        out.output(kv.getValue());
      }
    }
  }
}
