package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.Reason;
import io.ctrbeam.generate.ArrivalEvent;
import io.ctrbeam.generate.GeneratedLogs;
import io.ctrbeam.generate.GeneratorConfig;
import io.ctrbeam.generate.LogGenerator;
import io.ctrbeam.generate.RecordType;
import io.ctrbeam.label.FoldCorrections;
import io.ctrbeam.label.LabelRules;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.EmbeddedKafka;
import io.ctrbeam.testing.InMemoryFlinkMetrics;
import io.ctrbeam.testing.RedisServerProcess;
import io.ctrbeam.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The speed layer on FlinkRunner streaming as it runs live. A generated day of logs is played at
 * 1440 times its speed: each event is sent when the wall clock reaches its arrival time, stamped
 * with its event time on the same clock, so events are a few seconds old when they come, as in
 * production, over three partitions per topic (one for the sparse conversions), with disorder
 * within the bound, late records, conversions and bad records. Every duration of the pipeline is
 * scaled alike (W = 30 min / 1440 = 1.25 s, T = 5 s, the feature window 1 min, ...), so the day
 * runs in about a minute. The oracle is the batch layer over the same lines. It shows that no valid
 * record is refused by the clock, that the streamed labels with their corrections folded in equal
 * the batch labels (so every late click became a correction), that Redis equals the batch features
 * at its snapshot times, and that the labeling state at the end holds what is in flight, not what
 * was seen.
 */
class SpeedLayerLiveIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern EVENT_TIME = Pattern.compile("\"event_time\":(\\d{12,14})");
  private static final long MIN = 60_000L;
  private static final long HOUR = 60 * MIN;

  /** Log time per wall-clock time. */
  private static final long SPEED = 1440;

  private static final long T = 2 * HOUR / SPEED;

  /** Allowed lateness, in log time: late clicks (4 to 5 h late) are corrections, none droppable. */
  private static final long LATENESS = 6 * HOUR;

  private static final long MAX_DELAY = 500;

  /** Arrivals later than this in the log are sent at once at the end (slow conversions). */
  private static final long LOG_SPAN = 26 * HOUR;

  /**
   * Partitions per topic. Conversions, a few dozen a run, get one: a sparse partition holds the
   * watermark back by its gaps (it follows its second largest event time until idle).
   */
  private static int partitions(String topic) {
    return topic.equals("conversions") ? 1 : 3;
  }

  private static final Map<RecordType, String> TOPICS =
      Map.of(
          RecordType.IMPRESSION,
          "impressions",
          RecordType.CLICK,
          "clicks",
          RecordType.CONVERSION,
          "conversions");

  @Test
  void onFlinkUnderLiveTrafficNothingIsLostByTheClockAndFoldedLabelsEqualTheBatchLayer(
      @TempDir Path dir) throws Exception {
    GeneratorConfig config =
        GeneratorConfig.defaults()
            .withImpressionsPerDay(2_000)
            .withUsers(60)
            .withAds(25)
            .withAdvertisers(8)
            .withCtrMedian(0.12)
            .withConversionRate(0.2)
            .withConversionDelayMedian(Duration.ofMinutes(30))
            .withLateFraction(0.08)
            .withLateDelay(Duration.ofMinutes(240), Duration.ofMinutes(300))
            .withBadRecordRate(0.01)
            .withSeed(31)
            .withThreads(1);
    GeneratedLogs logs = LogGenerator.generate(config);
    List<ArrivalEvent> arrivals = new ArrayList<>(logs.events());
    arrivals.removeIf(e -> !TOPICS.containsKey(e.type()));
    arrivals.sort(
        Comparator.comparingLong(ArrivalEvent::arrivalTime).thenComparingLong(ArrivalEvent::seq));
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        RedisServerProcess redis = RedisServerProcess.start()) {
      for (String topic : TOPICS.values()) {
        kafka.createTopic(topic, partitions(topic));
      }
      kafka.createTopic("labels", 3);
      SpeedLayerOptions o =
          SpeedLayerPipeline.options(
              "--runner=FlinkRunner",
              "--flinkMaster=[local]",
              "--parallelism=2",
              "--streaming=true",
              "--bootstrapServers=" + kafka.bootstrapServers(),
              "--conversionsTopic=conversions",
              "--labelsTopic=labels",
              "--redisHost=" + redis.host(),
              "--redisPort=" + redis.port(),
              "--output=" + dir.resolve("speed"),
              "--maxDelay=" + MAX_DELAY + "ms",
              "--idleTimeout=1s",
              "--fileWindow=2s",
              "--buckets=16",
              "--qualityGate=false",
              "--progress=false",
              "--flinkConfDir=" + InMemoryFlinkMetrics.confDir(dir));
      scaled(o);
      InMemoryFlinkMetrics.reset();
      Pipeline p = SpeedLayerPipeline.pipeline(o);
      PipelineResult job = LiveRun.start(p);
      Thread.sleep(5_000); // the job's readers are up before the first event is due
      // Log time t0 (the generator's first day) is now: from here on, log and wall clock run
      // together.
      long t0 = config.startMillis();
      long base = System.currentTimeMillis();
      java.util.function.LongUnaryOperator clock = t -> base + (t - t0) / SPEED;
      long produced;
      Map<String, Long> counters;
      try {
        produced = produceLive(kafka, arrivals, clock, t0);
        long producedAt = System.currentTimeMillis();
        // Decided by the end: impressions whose t + T the watermark (the clock - maxDelay) passes.
        long decidedBefore = producedAt - MAX_DELAY - T - 5_000;
        long expectedDecided = expectedDecided(logs, clock, decidedBefore);
        kafka.consumeUntil(
            "labels", read -> decidedIn(read, decidedBefore) >= expectedDecided, 240_000, Map.of());
        Thread.sleep(
            8_000); // the last corrections and dead letters reach their files (--fileWindow=2s)
        counters = new TreeMap<>();
        for (RecordType t : TOPICS.keySet()) {
          String name = DeadLetters.counterName(t.typeName(), Reason.BAD_TIMESTAMP);
          counters.put(name, InMemoryFlinkMetrics.sum(DeadLetters.NAMESPACE, name));
        }
        for (String name :
            List.of(
                "state_entries",
                "state_pending",
                "state_tombstones",
                "state_early",
                "corrections")) {
          counters.put(name, InMemoryFlinkMetrics.sum(LabelRules.NAMESPACE, name));
        }
        System.out.printf(
            "SpeedLayerLiveIT: %d records produced; counters %s%n", produced, counters);
        verifyLabels(dir, kafka, logs, clock, decidedBefore, expectedDecided);
      } finally {
        job.cancel();
      }

      // No valid record was refused by the clock: BAD_TIMESTAMP only for the injected ones.
      for (RecordType t : TOPICS.keySet()) {
        assertThat(
            t + " BAD_TIMESTAMP",
            counters.getOrDefault(DeadLetters.counterName(t.typeName(), Reason.BAD_TIMESTAMP), 0L),
            equalTo(logs.truth().injected(t, Reason.BAD_TIMESTAMP)));
      }
      // State holds what is in flight: impressions within W + T + lateness of the watermark, not
      // all seen.
      long entries = counters.getOrDefault("state_entries", 0L);
      // In flight: the events of the last W + T + lateness (+ the wait and maxDelay), and every
      // clicked impression, which the conversion join keeps for 7 d / 1440.
      long end = System.currentTimeMillis();
      long inFlightBound =
          logs.events().stream()
                  .filter(
                      e ->
                          e.passesIngest()
                              && TOPICS.containsKey(e.type())
                              && clock.applyAsLong(e.eventTime())
                                  > end - (30 * MIN + 2 * HOUR + LATENESS) / SPEED - 20_000)
                  .count()
              + logs.truth().positives();
      long seen = logs.events().stream().filter(ArrivalEvent::passesIngest).count();
      System.out.printf(
          "SpeedLayerLiveIT: labeling state entries at the end %d; events within the last"
              + " W + T + lateness %d; valid events seen %d%n",
          entries, inFlightBound, seen);
      assertThat(entries, greaterThan(0L));
      assertThat(entries, lessThanOrEqualTo(inFlightBound));
      assertThat(entries, lessThan(seen / 5));

      // Redis equals the batch layer's features at the snapshot time of each key.
      ConsistencyReport.Options report =
          org.apache.beam.sdk.options.PipelineOptionsFactory.as(ConsistencyReport.Options.class);
      report.setFeatures(dir.resolve("batch/features") + "/**/*.parquet");
      report.setRedisHost(redis.host());
      report.setRedisPort(redis.port());
      report.setOutput(dir.resolve("consistency").toString());
      Map<String, Long> consistency = ConsistencyReport.run(report);
      System.out.printf("SpeedLayerLiveIT: Redis against the batch features: %s%n", consistency);
      // Every key matches, those that late clicks or re-dated clicks touched after their snapshot
      // included: the snapshots count the labeler's corrections. The one difference is by design
      // (streaming labels): a click that came before its late impression and waited T for it in
      // vain is an orphan in streaming, a positive in batch; its keys count one click less.
      java.util.Set<String> corrected = new java.util.HashSet<>();
      for (JsonNode c : TestFiles.jsonLines(dir.resolve("speed/corrections"))) {
        if ("clicked".equals(c.path("label").asText())) {
          corrected.add(c.get("impression_id").asText());
        }
      }
      java.util.Set<String> orphaned = new java.util.HashSet<>();
      for (JsonNode d : TestFiles.jsonLines(dir.resolve("speed/dead_letters"))) {
        if ("ORPHAN_CLICK".equals(d.path("reason").asText())) {
          orphaned.add(JSON.readTree(d.get("raw").asText()).get("impression_id").asText());
        }
      }
      java.util.Set<String> orphanKeys = keysOf(logs, orphaned);
      java.util.Set<String> correctedKeys = keysOf(logs, corrected);
      List<String> unexplained = new ArrayList<>();
      long correctedMatched = 0;
      for (JsonNode v : TestFiles.jsonLines(dir.resolve("consistency"))) {
        String key =
            v.get("batch").get("key_kind").asText() + ":" + v.get("batch").get("key").asText();
        boolean mismatched = v.get("verdict").asText().equals("mismatched");
        if (mismatched && !orphanKeys.contains(key)) {
          unexplained.add(v.toString());
        }
        if (mismatched && orphanKeys.contains(key)) {
          // Only clicks are missing: impressions agree, clicks are fewer.
          assertThat(
              v.toString(),
              v.get("served").get("impressions_24h").asLong(),
              equalTo(v.get("batch").get("impressions_24h").asLong()));
          assertThat(
              v.toString(),
              v.get("served").get("clicks_24h").asLong(),
              lessThan(v.get("batch").get("clicks_24h").asLong() + 1));
        }
      }
      for (String key : correctedKeys) {
        correctedMatched += orphanKeys.contains(key) ? 0 : 1;
      }
      System.out.printf(
          "SpeedLayerLiveIT: %d mismatched keys, all with a click orphaned in streaming"
              + " (%d such keys); %d keys touched by corrected clicks, %d of them without an orphan%n",
          consistency.get("mismatched"), orphanKeys.size(), correctedKeys.size(), correctedMatched);
      assertThat(unexplained, empty());
      assertThat("corrected clicks touch keys that must match", correctedMatched, greaterThan(0L));
      assertThat(consistency.toString(), consistency.get("missing"), equalTo(0L));
      assertThat(consistency.toString(), consistency.get("matched"), greaterThan(50L));
    }
  }

  /** kind:key of every entity that the given impressions count for. */
  private static java.util.Set<String> keysOf(
      GeneratedLogs logs, java.util.Set<String> impressionIds) {
    java.util.Set<String> keys = new java.util.HashSet<>();
    for (io.ctrbeam.schema.Impression i : logs.impressions()) {
      if (impressionIds.contains(i.getImpressionId())) {
        keys.add("user:" + i.getUserId());
        keys.add("ad:" + i.getAdId());
        keys.add("advertiser:" + i.getAdvertiserId());
        keys.add("user_category:" + i.getUserId() + "|" + i.getAdCategory());
      }
    }
    return keys;
  }

  /**
   * The streamed labels with their corrections folded in, against the batch layer over the same
   * lines.
   */
  private static void verifyLabels(
      Path dir,
      EmbeddedKafka kafka,
      GeneratedLogs logs,
      java.util.function.LongUnaryOperator clock,
      long decidedBefore,
      long expectedDecided)
      throws Exception {
    Map<String, List<TrainingExample>> streamed = new TreeMap<>();
    for (ConsumerRecord<String, String> r :
        kafka.consumeUntil("labels", read -> false, 3_000, Map.of())) {
      TrainingExample row = row(JSON.readTree(r.value()));
      streamed.computeIfAbsent(row.getImpressionId(), k -> new ArrayList<>()).add(row);
    }
    Map<String, List<LabelCorrection>> corrections = new HashMap<>();
    long late = 0;
    for (JsonNode c : TestFiles.jsonLines(dir.resolve("speed/corrections"))) {
      LabelCorrection lc = correction(c);
      corrections.computeIfAbsent(lc.getImpressionId(), k -> new ArrayList<>()).add(lc);
      late += "LATE_OUTCOME".equals(lc.getKind()) ? 1 : 0;
    }
    Map<String, String> batch = batchLabels(dir, logs, clock);
    java.util.Set<String> lateImpressions = new java.util.HashSet<>();
    for (ArrivalEvent e : logs.events(RecordType.IMPRESSION)) {
      if (e.passesIngest() && e.arrivalTime() - e.eventTime() > 2 * HOUR) {
        lateImpressions.add(((io.ctrbeam.schema.Impression) e.record()).getImpressionId());
      }
    }
    List<String> differ = new ArrayList<>();
    long compared = 0;
    long lateCompared = 0;
    for (Map.Entry<String, String> b : batch.entrySet()) {
      List<TrainingExample> rows = streamed.get(b.getKey());
      boolean decided = Long.parseLong(b.getValue().split("\\|")[0]) < decidedBefore;
      if (rows == null) {
        if (decided) {
          differ.add(b.getKey() + ": no streamed row; batch " + b.getValue());
        }
        continue;
      }
      List<TrainingExample> folded =
          FoldCorrections.fold(rows, corrections.getOrDefault(b.getKey(), List.of()));
      String s = label(folded.get(0));
      if (lateImpressions.contains(b.getKey())) {
        // Either its clicks came first and waited T for it (contract §2.1): orphans, and the row a
        // negative; or they came with it, and the row is the batch row.
        lateCompared++;
        String[] f = b.getValue().split("\\|");
        List<String> orphans =
            deadLettersOf(dir, b.getKey()).stream()
                .filter(d -> d.startsWith("ORPHAN_CLICK"))
                .toList();
        boolean orphaned =
            folded.get(0).getClicked() == 0 && (f[1].equals("0") || !orphans.isEmpty());
        if (!orphaned && !(folded.size() == 1 && s.equals(b.getValue()))) {
          differ.add(
              b.getKey()
                  + " (late impression): streamed+folded "
                  + s
                  + ", batch "
                  + b.getValue()
                  + "; dead letters "
                  + deadLettersOf(dir, b.getKey()));
        }
        continue;
      }
      if (decided || folded.get(0).getClicked() == 1) {
        compared++;
        if (folded.size() != 1 || !s.equals(b.getValue())) {
          differ.add(
              b.getKey()
                  + ": streamed+folded "
                  + s
                  + " ("
                  + folded.size()
                  + " rows), batch "
                  + b.getValue()
                  + "; its events "
                  + eventsOf(logs, b.getKey(), clock)
                  + "; dead letters "
                  + deadLettersOf(dir, b.getKey()));
        }
      }
    }
    for (ArrivalEvent e : logs.events(RecordType.CLICK)) {
      if (e.late() && e.passesIngest()) {
        String imp = ((io.ctrbeam.schema.Click) e.record()).getImpressionId();
        System.out.printf(
            "SpeedLayerLiveIT: late click on %s: batch %s, streamed %s, corrections %s, dead letters %s%n",
            imp,
            batch.get(imp),
            streamed.containsKey(imp)
                ? streamed.get(imp).stream().map(SpeedLayerLiveIT::label).toList()
                : null,
            corrections.get(imp),
            deadLettersOf(dir, imp));
      }
    }
    System.out.printf(
        "SpeedLayerLiveIT: %d streamed impressions compared with the batch layer (%d decided"
            + " expected), %d late impressions, %d late-click corrections, %d impressions updated%n",
        compared, expectedDecided, lateCompared, late, corrections.size());
    assertThat(differ, empty());
    assertThat(compared + lateCompared, greaterThan(expectedDecided * 9 / 10));
    assertThat("late clicks became corrections", late, greaterThan(0L));
  }

  private static List<String> eventsOf(
      GeneratedLogs logs, String impressionId, java.util.function.LongUnaryOperator clock) {
    return logs.events().stream()
        .filter(e -> e.rawLine() != null && e.rawLine().contains(impressionId))
        .map(
            e ->
                e.type()
                    + " t="
                    + clock.applyAsLong(e.eventTime())
                    + " arrival="
                    + clock.applyAsLong(e.arrivalTime())
                    + (e.late() ? " late" : "")
                    + (e.injected() == null ? "" : " " + e.injected()))
        .toList();
  }

  private static List<String> deadLettersOf(Path dir, String impressionId) throws Exception {
    return TestFiles.jsonLines(dir.resolve("speed/dead_letters")).stream()
        .filter(n -> n.toString().contains(impressionId))
        .map(n -> n.get("reason").asText() + " " + n.get("message").asText())
        .toList();
  }

  /**
   * event_time|clicked|converted|click_time|conversion_time of the batch rows, read with DuckDB.
   */
  private static Map<String, String> batchLabels(
      Path dir, GeneratedLogs logs, java.util.function.LongUnaryOperator clock) throws Exception {
    Path in = Files.createDirectories(dir.resolve("logs"));
    for (Map.Entry<RecordType, String> t : TOPICS.entrySet()) {
      Files.createDirectories(in.resolve(t.getValue()));
      List<String> shifted = logs.lines(t.getKey()).stream().map(l -> onClock(l, clock)).toList();
      Files.write(in.resolve(t.getValue() + "/part.jsonl"), shifted);
    }
    TrainingDataOptions batch = PipelineFixtures.directOptions();
    batch.setImpressions(in.resolve("impressions") + "/*.jsonl");
    batch.setClicks(in.resolve("clicks") + "/*.jsonl");
    batch.setConversions(in.resolve("conversions") + "/*.jsonl");
    batch.setOutput(dir.resolve("batch").toString());
    batch.setBuckets(8);
    batch.setTargetPositiveRate(0);
    batch.setQualityGate(false);
    scaled(batch);
    batch.setFeatureSnapshotsAt(snapshotTicks(logs, clock));
    TrainingDataPipeline.run(batch).waitUntilFinish();
    Map<String, String> out = new HashMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT impression_id, epoch_ms(event_time), clicked, converted, epoch_ms(click_time), epoch_ms(conversion_time)"
                    + " FROM read_parquet('"
                    + dir.resolve("batch/training")
                    + "/**/*.parquet', hive_partitioning=true)")) {
      while (r.next()) {
        out.put(
            r.getString(1),
            r.getLong(2)
                + "|"
                + r.getLong(3)
                + "|"
                + r.getLong(4)
                + "|"
                + r.getObject(5)
                + "|"
                + r.getObject(6));
      }
    }
    return out;
  }

  private static String label(TrainingExample r) {
    return r.getEventTime().toEpochMilli()
        + "|"
        + r.getClicked()
        + "|"
        + r.getConverted()
        + "|"
        + (r.getClickTime() == null ? null : r.getClickTime().toEpochMilli())
        + "|"
        + (r.getConversionTime() == null ? null : r.getConversionTime().toEpochMilli());
  }

  /** Impressions of the truth that pass ingest with t + T before {@code decidedBefore}. */
  private static long expectedDecided(
      GeneratedLogs logs, java.util.function.LongUnaryOperator clock, long decidedBefore) {
    return logs.events(RecordType.IMPRESSION).stream()
        .filter(e -> e.passesIngest() && clock.applyAsLong(e.eventTime()) < decidedBefore)
        .count();
  }

  /** Every duration of both layers, divided by {@link #SPEED}. */
  private static void scaled(CtrOptions o) {
    o.setAttributionWindow(30 * MIN / SPEED + "ms");
    o.setLabelWait(T + "ms");
    o.setConversionWindow(7 * 24 * HOUR / SPEED + "ms");
    o.setAllowedLateness(LATENESS / SPEED + "ms");
    o.setFeatureWindow(24 * HOUR / SPEED + "ms");
    o.setHalfLife(24 * HOUR / SPEED + "ms");
    if (o instanceof SpeedLayerOptions s) {
      s.setSnapshotPeriod(HOUR / SPEED + "ms");
    }
  }

  private static long decidedIn(List<ConsumerRecord<String, String>> read, long decidedBefore) {
    return read.stream()
        .filter(
            r -> {
              Matcher m = EVENT_TIME.matcher(r.value());
              return m.find() && Long.parseLong(m.group(1)) < decidedBefore;
            })
        .map(ConsumerRecord::key)
        .distinct()
        .count();
  }

  /**
   * Sends each event when the wall clock reaches its arrival time, with its event time on that
   * clock, round robin over the partitions; arrivals past {@link #LOG_SPAN} go at the end.
   */
  private static long produceLive(
      EmbeddedKafka kafka,
      List<ArrivalEvent> arrivals,
      java.util.function.LongUnaryOperator clock,
      long t0)
      throws Exception {
    long sent = 0;
    Map<String, Integer> next = new HashMap<>();
    try (var producer = kafka.producer()) {
      for (ArrivalEvent e : arrivals) {
        long due = clock.applyAsLong(Math.min(e.arrivalTime(), t0 + LOG_SPAN));
        long wait = due - System.currentTimeMillis();
        if (wait > 0) {
          producer.flush();
          Thread.sleep(wait);
        }
        String topic = TOPICS.get(e.type());
        int partition = next.merge(topic, 1, Integer::sum) % partitions(topic);
        producer.send(
            new org.apache.kafka.clients.producer.ProducerRecord<>(
                topic, partition, null, onClock(e.rawLine(), clock)));
        sent++;
      }
      producer.flush();
    }
    return sent;
  }

  /**
   * The line with its event_time on the test's clock; injected bad timestamps (before 2000, after
   * 2100) stay.
   */
  static String onClock(String line, java.util.function.LongUnaryOperator clock) {
    Matcher m = EVENT_TIME.matcher(line);
    if (!m.find()) {
      return line;
    }
    long t = Long.parseLong(m.group(1));
    if (t < Instant.parse("2000-01-01T00:00:00Z").toEpochMilli()
        || t >= Instant.parse("2100-01-01T00:00:00Z").toEpochMilli()) {
      return line;
    }
    return line.substring(0, m.start(1)) + clock.applyAsLong(t) + line.substring(m.end(1));
  }

  /**
   * Every snapshot period (1 h of log) on the test's clock, over the events and a little past them.
   */
  private static String snapshotTicks(
      GeneratedLogs logs, java.util.function.LongUnaryOperator clock) {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (ArrivalEvent e : logs.events()) {
      if (e.passesIngest()) {
        min = Math.min(min, clock.applyAsLong(e.eventTime()));
        max = Math.max(max, clock.applyAsLong(e.eventTime()));
      }
    }
    long period = HOUR / SPEED;
    StringJoiner ticks = new StringJoiner(",");
    for (long t = Math.floorDiv(min, period) * period + period;
        t <= max + 4 * period;
        t += period) {
      ticks.add(Instant.ofEpochMilli(t).toString());
    }
    return ticks.toString();
  }

  private static Instant time(JsonNode n, String field) {
    return n.hasNonNull(field) ? Instant.ofEpochMilli(n.get(field).asLong()) : null;
  }

  private static TrainingExample row(JsonNode n) {
    return TrainingExample.newBuilder()
        .setImpressionId(n.get("impression_id").asText())
        .setEventTime(time(n, "event_time"))
        .setUserId(n.get("user_id").asText())
        .setAdId(n.get("ad_id").asText())
        .setPosition(n.get("position").asInt())
        .setClicked(n.get("clicked").asInt())
        .setConverted(n.get("converted").asInt())
        .setClickTime(time(n, "click_time"))
        .setConversionTime(time(n, "conversion_time"))
        .setLabelTime(time(n, "label_time"))
        .setElapsedMs(n.get("elapsed_ms").asLong())
        .setLabelConfidence(n.get("label_confidence").asDouble())
        .setLabelKind(n.get("label_kind").asText())
        .setHourOfDay(n.get("hour_of_day").asInt())
        .setDayOfWeek(n.get("day_of_week").asInt())
        .build();
  }

  private static LabelCorrection correction(JsonNode n) {
    return LabelCorrection.newBuilder()
        .setImpressionId(n.get("impression_id").asText())
        .setLabel(n.get("label").asText())
        .setOldLabel(n.get("old_label").asInt())
        .setNewLabel(n.get("new_label").asInt())
        .setCorrectionTime(time(n, "correction_time"))
        .setImpressionTime(time(n, "impression_time"))
        .setOutcomeId(n.get("outcome_id").asText())
        .setLabelKind(n.get("label_kind").asText())
        .setDelayMs(n.hasNonNull("delay_ms") ? n.get("delay_ms").asLong() : null)
        .setKind(n.hasNonNull("kind") ? n.get("kind").asText() : null)
        .build();
  }
}
