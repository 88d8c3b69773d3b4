package io.ctrbeam.generate;

import io.ctrbeam.common.Reason;
import io.ctrbeam.common.RecordJson;
import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.UserProfile;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.avro.specific.SpecificRecord;

/**
 * Generates one event-hour partition (or the user/ad snapshot) from its own seeded random stream,
 * so the output does not depend on which thread runs it or in what order.
 */
final class PartitionGenerator {
  static final long HOUR_MS = 3_600_000L;

  private static final long DUPLICATE_CLICK_MEDIAN_MS = 20_000L;

  /** The one optional field written as {@code null} when absent; the others are left out. */
  static final Set<String> NULLS_WRITTEN = Set.of("device");

  /** What one partition produced. */
  static final class Output {
    final int partition;
    final List<ArrivalEvent> events;
    final Tally tally;
    final List<ExpectedLabel> labels;

    /** The labels as truth/labels.jsonl lines, made on the worker thread. */
    final String labelLines;

    Output(int partition, List<ArrivalEvent> events, Tally tally, List<ExpectedLabel> labels) {
      this.partition = partition;
      this.events = events;
      this.tally = tally;
      this.labels = labels;
      StringBuilder sb = new StringBuilder();
      if (labels != null) {
        for (ExpectedLabel l : labels) {
          sb.append(l.toJson()).append('\n');
        }
      }
      this.labelLines = sb.toString();
    }
  }

  /**
   * What a partition keeps of what it generates: the lines, the records, the per-impression labels.
   */
  static final class Keep {
    final boolean lines;
    final boolean records;
    final boolean labels;

    Keep(boolean lines, boolean records, boolean labels) {
      this.lines = lines;
      this.records = records;
      this.labels = labels;
    }
  }

  private final GeneratorConfig c;
  private final Keep keep;
  private final World w;
  private final double[] exam;
  private final int partition;
  private final SplittableRandom rnd;
  private final String tag;
  private final List<ArrivalEvent> events = new ArrayList<>();
  private final Tally tally;
  private final List<ExpectedLabel> labels;
  private final long hourStart;
  private int counter;
  private long badCounter;
  private boolean lastLate;

  /** Valid click times of the impression being generated, for its label. */
  private long[] clickTimes = new long[8];

  private int nClicks;

  private PartitionGenerator(GeneratorConfig c, World w, int partition, Keep keep) {
    this.c = c;
    this.keep = keep;
    this.w = w;
    this.exam = c.examinationProbabilities();
    this.partition = partition;
    this.rnd = new SplittableRandom(LogGenerator.mix(c.seed(), partition));
    this.tag = World.id("", partition, 5);
    this.hourStart = c.startMillis() + Math.max(0, partition) * HOUR_MS;
    this.tally = new Tally(c.positions());
    this.labels = keep.labels ? new ArrayList<>() : null;
  }

  /** The user profiles and ad metadata, all valid at the start of the first day. */
  static Output snapshot(GeneratorConfig c, World w, Keep keep) {
    PartitionGenerator g = new PartitionGenerator(c, w, -1, keep);
    long t = c.startMillis();
    for (UserProfile u : w.userProfiles) {
      g.emitAt(
          RecordType.USER_PROFILE,
          u,
          RecordJson.logLine(u, NULLS_WRITTEN, null, null),
          null,
          t,
          t,
          false);
      g.maybeInject(RecordType.USER_PROFILE, u, t, Defects.PROFILE, 0L);
    }
    for (AdMetadata a : w.adMetadata) {
      g.emitAt(
          RecordType.AD_METADATA,
          a,
          RecordJson.logLine(a, NULLS_WRITTEN, null, null),
          null,
          t,
          t,
          false);
      g.maybeInject(RecordType.AD_METADATA, a, t, Defects.PROFILE, 0L);
    }
    return new Output(-1, g.events, g.tally, null);
  }

  /**
   * The impressions of event hour {@code partition} (0-based from the start) with their clicks and
   * conversions.
   */
  static Output hour(GeneratorConfig c, World w, long[] hourCounts, int partition, Keep keep) {
    PartitionGenerator g = new PartitionGenerator(c, w, partition, keep);
    g.generateHour(hourCounts[partition % 24]);
    return new Output(partition, g.events, g.tally, g.labels);
  }

  private void generateHour(long n) {
    int day = partition / 24;
    boolean drift = c.driftFromDay() >= 0 && day >= c.driftFromDay();
    double ctrMultiplier = drift ? c.driftCtrMultiplier() : 1.0;
    int slots = c.positions();
    int[] candidates = new int[slots];
    double[] scores = new double[slots];
    long impression = 0;
    long request = 0;
    long clickSeq = 0;
    long conversionSeq = 0;
    while (impression < n) {
      int shown = (int) Math.min(slots, n - impression);
      double a = rnd.nextDouble();
      int user = (int) Math.min(w.userIds.length - 1, (long) (w.userIds.length * a * a));
      long t = hourStart + rnd.nextLong(HOUR_MS);
      String requestId = "req_" + tag + "_" + World.id("", request++, 6);
      pickCandidates(user, candidates, scores);
      String device = device(user, drift);
      String country = rnd.nextDouble() < 0.01 ? null : w.userCountry[user];
      Instant when = Instant.ofEpochMilli(t);
      for (int pos = 1; pos <= shown; pos++) {
        int ad = candidates[pos - 1];
        String impressionId = "imp_" + tag + "_" + World.id("", impression++, 7);
        Impression im =
            new Impression(
                impressionId,
                when,
                w.userIds[user],
                w.adIds[ad],
                pos,
                w.adAdvertiser[ad],
                w.categories[w.adCategory[ad]],
                device,
                country,
                requestId,
                null,
                null);
        emit(RecordType.IMPRESSION, im, t);
        maybeInject(RecordType.IMPRESSION, im, t, Defects.IMPRESSION, t);
        nClicks = 0;
        long conversionTime = -1;
        double p = Math.min(1.0, exam[pos - 1] * w.adCtr[ad] * ctrMultiplier);
        if (rnd.nextDouble() < p) {
          long t1 = t + lognormal(c.clickDelayMedianMs(), c.clickDelaySigma());
          String clickId = "clk_" + tag + "_" + World.id("", clickSeq++, 6);
          validClick(
              new Click(
                  clickId,
                  impressionId,
                  Instant.ofEpochMilli(t1),
                  w.userIds[user],
                  w.adIds[ad],
                  null,
                  null,
                  null,
                  null),
              t1,
              t);
          if (rnd.nextDouble() < c.duplicateClickRate()) {
            long t2 = t1 + lognormal(DUPLICATE_CLICK_MEDIAN_MS, 1.0);
            validClick(
                new Click(
                    clickId + "b",
                    impressionId,
                    Instant.ofEpochMilli(t2),
                    w.userIds[user],
                    w.adIds[ad],
                    null,
                    null,
                    null,
                    null),
                t2,
                t);
          }
          if (rnd.nextDouble() < w.adConversionRate[ad]) {
            conversionTime = t1 + lognormal(c.conversionDelayMedianMs(), c.conversionDelaySigma());
            double value = Math.round(100 * 30.0 * Math.exp(rnd.nextGaussian())) / 100.0;
            Conversion cv =
                new Conversion(
                    "cnv_" + tag + "_" + World.id("", conversionSeq++, 6),
                    impressionId,
                    Instant.ofEpochMilli(conversionTime),
                    rnd.nextDouble() < 0.1 ? null : value,
                    null,
                    null,
                    null,
                    null);
            emit(RecordType.CONVERSION, cv, conversionTime);
            tally.conversions++;
            maybeInject(RecordType.CONVERSION, cv, conversionTime, Defects.CONVERSION, t);
          }
        }
        tally.label(
            c, impressionId, t, pos, w.adCtr[ad], clickTimes, nClicks, conversionTime, labels);
      }
    }
  }

  private void validClick(Click click, long clickTime, long impressionTime) {
    emit(RecordType.CLICK, click, clickTime);
    addClickTime(clickTime);
    tally.validClicks++;
    maybeInject(RecordType.CLICK, click, clickTime, Defects.CLICK, impressionTime);
  }

  private void addClickTime(long t) {
    if (nClicks == clickTimes.length) {
      clickTimes = java.util.Arrays.copyOf(clickTimes, nClicks * 2);
    }
    clickTimes[nClicks++] = t;
  }

  /**
   * Draws the page's candidate ads (half from the user's interests) and ranks them by a noisy score
   * of true CTR.
   */
  private void pickCandidates(int user, int[] candidates, double[] scores) {
    int[] interests = w.userInterests[user];
    int n = candidates.length;
    for (int i = 0; i < n; i++) {
      int ad;
      boolean seen;
      int tries = 0;
      do {
        int[] pool = w.adsByCategory[interests[rnd.nextInt(interests.length)]];
        ad =
            rnd.nextDouble() < 0.5 && pool.length > 0
                ? pool[rnd.nextInt(pool.length)]
                : rnd.nextInt(w.adIds.length);
        seen = false;
        for (int j = 0; j < i; j++) {
          seen |= candidates[j] == ad;
        }
      } while (seen && ++tries < 50);
      if (seen) {
        ad = firstUnused(candidates, i);
      }
      candidates[i] = ad;
      scores[i] = w.adLogCtr[ad] + c.rankNoise() * rnd.nextGaussian();
    }
    // Insertion sort by descending score: pages are short.
    for (int i = 1; i < n; i++) {
      int ad = candidates[i];
      double s = scores[i];
      int j = i - 1;
      while (j >= 0 && scores[j] < s) {
        candidates[j + 1] = candidates[j];
        scores[j + 1] = scores[j];
        j--;
      }
      candidates[j + 1] = ad;
      scores[j + 1] = s;
    }
  }

  private int firstUnused(int[] candidates, int filled) {
    for (int ad = 0; ; ad++) {
      boolean used = false;
      for (int j = 0; j < filled; j++) {
        used |= candidates[j] == ad;
      }
      if (!used) {
        return ad;
      }
    }
  }

  private String device(int user, boolean drift) {
    double u = rnd.nextDouble();
    if (u < 0.005) {
      return null;
    }
    double mobile = drift ? c.driftMobileShare() : w.userMobileShare[user];
    if (rnd.nextDouble() < mobile) {
      return "mobile";
    }
    return rnd.nextDouble() < 0.15 ? "tablet" : "desktop";
  }

  /** A log-normal delay in millis with the given median, at least 1 ms. */
  private long lognormal(long medianMs, double sigma) {
    double d = medianMs * Math.exp(sigma * rnd.nextGaussian());
    return Math.max(1L, Math.min((long) d, 400L * 24 * HOUR_MS));
  }

  private long arrival(long eventTime) {
    lastLate = rnd.nextDouble() < c.lateFraction();
    if (lastLate) {
      return eventTime + c.lateMinMs() + rnd.nextLong(c.lateMaxMs() - c.lateMinMs() + 1);
    }
    return eventTime + rnd.nextLong(c.disorderBoundMs() + 1);
  }

  private ArrivalEvent emit(RecordType type, SpecificRecord r, long eventTime) {
    long at = arrival(eventTime);
    return emitAt(
        type, r, RecordJson.logLine(r, NULLS_WRITTEN, null, null), null, eventTime, at, lastLate);
  }

  private ArrivalEvent emitAt(
      RecordType type,
      SpecificRecord r,
      String line,
      Reason injected,
      long eventTime,
      long arrival,
      boolean late) {
    long seq = ((long) (partition + 1) << 32) | (counter++ & 0xffffffffL);
    ArrivalEvent e =
        new ArrivalEvent(
            arrival,
            eventTime,
            seq,
            type,
            keep.records ? r : null,
            keep.lines ? line : null,
            injected,
            late);
    events.add(e);
    tally.records[type.ordinal()]++;
    if (late) {
      tally.lateRecords++;
    }
    if (injected != null) {
      tally.injected[type.ordinal()][injected.ordinal()]++;
      if (r != null) {
        tally.injectedAvro[type.ordinal()][injected.ordinal()]++;
      }
    }
    return e;
  }

  /** With probability badRecordRate, adds one extra defective record next to {@code host}. */
  private void maybeInject(
      RecordType type, SpecificRecord host, long hostTime, Reason[] defects, long impressionTime) {
    if (c.badRecordRate() <= 0 || rnd.nextDouble() >= c.badRecordRate()) {
      return;
    }
    Reason reason = defects[rnd.nextInt(defects.length)];
    ArrivalEvent hostEvent = events.get(events.size() - 1);
    if (reason == Reason.DUPLICATE_ID) {
      // An exact re-send, shortly after the original and within its disorder bound when it was on
      // time.
      long latest = Math.max(hostEvent.arrivalTime(), hostTime + c.disorderBoundMs());
      long at = Math.min(hostEvent.arrivalTime() + 1 + rnd.nextLong(60_000L), latest);
      emitAt(type, host, hostEvent.rawLine(), reason, hostTime, at, hostEvent.late());
      return;
    }
    String badId = "x" + World.id("", badCounter++, 5);
    SpecificRecord base = Defects.withNewId(type, host, badId);
    String orphanOf =
        reason == Reason.ORPHAN_CLICK ? "imp_" + tag + "_o" + World.id("", badCounter, 5) : null;
    Defects.Defect d =
        Defects.make(reason, type, base, hostTime, impressionTime, hourStart, orphanOf, rnd);
    if (reason == Reason.CLICK_BEFORE_IMPRESSION) {
      addClickTime(d.eventTime());
      tally.validClicks++;
    }
    if (reason == Reason.ORPHAN_CLICK) {
      tally.validClicks++;
      tally.orphanClicks++;
    }
    long at = arrival(d.eventTime());
    emitAt(type, d.avro(), d.line(), reason, d.eventTime(), at, lastLate);
  }
}
