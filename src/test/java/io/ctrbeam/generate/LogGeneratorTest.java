package io.ctrbeam.generate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.both;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.in;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.common.Reason;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogGeneratorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long YEAR_2000 = 946_684_800_000L;
  private static final Pattern COUNTRY = Pattern.compile("[A-Z]{2}");
  private static final Reason[] INGEST = {
    Reason.PARSE_ERROR,
    Reason.MISSING_FIELD,
    Reason.BAD_TIMESTAMP,
    Reason.BAD_POSITION,
    Reason.BAD_COUNTRY,
    Reason.DUPLICATE_ID
  };

  /** Two days, drift from day 1, 5% bad records: every defect shows up several times. */
  static final GeneratorConfig CONFIG =
      GeneratorConfig.defaults()
          .withUsers(3_000)
          .withAds(400)
          .withAdvertisers(40)
          .withDays(2)
          .withImpressionsPerDay(30_000)
          .withBadRecordRate(0.05)
          .withLateFraction(0.01)
          .withDriftFromDay(1)
          .withSeed(7);

  private static GeneratedLogs logs;

  @BeforeAll
  static void generate() {
    logs = LogGenerator.generate(CONFIG);
  }

  @Test
  void sameSeedGivesSameRecordsAndOtherSeedDoesNot() {
    GeneratedLogs again = LogGenerator.generate(CONFIG.withThreads(1));
    for (RecordType t : RecordType.values()) {
      assertThat(again.lines(t), equalTo(logs.lines(t)));
    }
    assertThat(again.truth().toJson(), equalTo(logs.truth().toJson()));
    GeneratedLogs other = LogGenerator.generate(CONFIG.withSeed(8));
    assertThat(
        other.lines(RecordType.IMPRESSION).equals(logs.lines(RecordType.IMPRESSION)), is(false));
  }

  @Test
  void writtenFilesAreByteIdenticalWhateverTheThreadCount(@TempDir Path dir) throws IOException {
    GeneratorConfig c = CONFIG.withImpressionsPerDay(5_000).withDays(1);
    LogGenerator.write(c.withThreads(1), dir.resolve("a"), LogGenerator.formats("both"));
    LogGenerator.write(c.withThreads(3), dir.resolve("b"), LogGenerator.formats("both"));
    Map<String, byte[]> a = readTree(dir.resolve("a"));
    Map<String, byte[]> b = readTree(dir.resolve("b"));
    assertThat(b.keySet(), equalTo(a.keySet()));
    assertThat(a.keySet().stream().anyMatch(p -> p.endsWith(".avro")), is(true));
    for (String p : a.keySet()) {
      assertThat(
          p,
          new String(b.get(p), StandardCharsets.ISO_8859_1),
          equalTo(new String(a.get(p), StandardCharsets.ISO_8859_1)));
    }
  }

  @Test
  void everyInjectedReasonAppearsWithItsStatedCount() {
    GroundTruth truth = logs.truth();
    Map<RecordType, Map<Reason, Integer>> found = new EnumMap<>(RecordType.class);
    Set<String> impressionIds = new HashSet<>();
    Map<String, Long> impressionTime = new HashMap<>();
    List<JsonNode> goodClicks = new ArrayList<>();
    for (RecordType t : RecordType.values()) {
      Map<Reason, Integer> counts = new EnumMap<>(Reason.class);
      Set<String> seen = new HashSet<>();
      for (String line : logs.lines(t)) {
        Reason r = ingestReason(t, line, seen);
        if (r != null) {
          counts.merge(r, 1, Integer::sum);
        } else if (t == RecordType.IMPRESSION) {
          JsonNode n = parse(line);
          impressionIds.add(n.get("impression_id").asText());
          impressionTime.put(n.get("impression_id").asText(), n.get("event_time").asLong());
        } else if (t == RecordType.CLICK) {
          goodClicks.add(parse(line));
        }
      }
      found.put(t, counts);
    }
    // Labeling reasons, recomputed from the clicks that pass ingest.
    Map<Reason, Integer> clicks = found.get(RecordType.CLICK);
    for (JsonNode c : goodClicks) {
      Long t = impressionTime.get(c.get("impression_id").asText());
      if (t == null) {
        clicks.merge(Reason.ORPHAN_CLICK, 1, Integer::sum);
      } else if (c.get("event_time").asLong() <= t) {
        clicks.merge(Reason.CLICK_BEFORE_IMPRESSION, 1, Integer::sum);
      }
    }
    for (RecordType t : RecordType.values()) {
      for (Reason r : Reason.values()) {
        assertThat(
            t + " " + r, (long) found.get(t).getOrDefault(r, 0), equalTo(truth.injected(t, r)));
      }
    }
    for (Reason r : INGEST) {
      assertThat("impression " + r, truth.injected(RecordType.IMPRESSION, r), greaterThan(0L));
    }
    for (Reason r :
        new Reason[] {
          Reason.PARSE_ERROR,
          Reason.MISSING_FIELD,
          Reason.BAD_TIMESTAMP,
          Reason.DUPLICATE_ID,
          Reason.ORPHAN_CLICK,
          Reason.CLICK_BEFORE_IMPRESSION
        }) {
      assertThat("click " + r, truth.injected(RecordType.CLICK, r), greaterThan(0L));
    }
    assertThat(truth.injected(RecordType.CONVERSION, Reason.PARSE_ERROR), greaterThan(0L));
    assertThat(truth.injected(RecordType.USER_PROFILE), greaterThan(0L));
    // Injected impressions are extra records: no valid impression id is made bad.
    assertThat(impressionIds.size(), equalTo((int) truth.impressions()));
    assertThat((long) impressionIds.size(), equalTo(CONFIG.totalImpressions()));
  }

  /**
   * The contract §6 ingest reason of one line, or null when it is valid; checked independently of
   * the generator.
   */
  private static Reason ingestReason(RecordType t, String line, Set<String> seenIds) {
    JsonNode n;
    try {
      n = JSON.readTree(line);
    } catch (IOException e) {
      return Reason.PARSE_ERROR;
    }
    for (String f : t.requiredFields()) {
      if (n.get(f) == null || n.get(f).isNull()) {
        return Reason.MISSING_FIELD;
      }
    }
    JsonNode time = n.get(t.timeField());
    if (!time.isIntegralNumber()
        || time.asLong() < YEAR_2000
        || time.asLong() > System.currentTimeMillis() + Duration.ofHours(1).toMillis()) {
      return Reason.BAD_TIMESTAMP;
    }
    if (t == RecordType.IMPRESSION) {
      if (n.get("position").asInt() < 1) {
        return Reason.BAD_POSITION;
      }
      JsonNode country = n.get("country");
      if (country != null && !country.isNull() && !COUNTRY.matcher(country.asText()).matches()) {
        return Reason.BAD_COUNTRY;
      }
    }
    if (t == RecordType.IMPRESSION || t == RecordType.CLICK) {
      if (!seenIds.add(n.get(t.requiredFields()[0]).asText())) {
        return Reason.DUPLICATE_ID;
      }
    }
    return null;
  }

  private static JsonNode parse(String line) {
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new AssertionError(line, e);
    }
  }

  @Test
  void truthLabelsFollowTheSpecRecomputedFromTheRecords() {
    GroundTruth truth = logs.truth();
    long w = CONFIG.windowMs();
    Map<String, Impression> imps = new HashMap<>();
    for (Impression i : logs.impressions()) {
      assertThat("unique valid impression ids", imps.put(i.getImpressionId(), i) == null, is(true));
    }
    Map<String, Long> first = new HashMap<>();
    Map<String, Integer> inWindow = new HashMap<>();
    long before = 0;
    long outside = 0;
    long afterHorizon = 0;
    long orphans = 0;
    for (Click c : logs.clicks()) {
      Impression i = imps.get(c.getImpressionId());
      if (i == null) {
        orphans++;
        continue;
      }
      long d = c.getEventTime().toEpochMilli() - i.getEventTime().toEpochMilli();
      if (d <= 0) {
        before++;
      } else if (d > w) {
        outside++;
        afterHorizon += d > CONFIG.horizonMs() ? 1 : 0;
      } else {
        first.merge(i.getImpressionId(), c.getEventTime().toEpochMilli(), Math::min);
        inWindow.merge(i.getImpressionId(), 1, Integer::sum);
      }
    }
    Map<String, Long> converted = new HashMap<>();
    for (Conversion cv : logs.conversions()) {
      Long f = first.get(cv.getImpressionId());
      long t = cv.getEventTime().toEpochMilli();
      if (f != null && t > f && t - f <= CONFIG.conversionWindowMs()) {
        converted.put(cv.getImpressionId(), t);
      }
    }
    assertThat(truth.labels().size(), equalTo(imps.size()));
    for (Impression i : imps.values()) {
      ExpectedLabel l = truth.labels().get(i.getImpressionId());
      String id = i.getImpressionId();
      assertThat(id, l.clicked(), equalTo(first.containsKey(id)));
      assertThat(id, l.clickTime(), equalTo(first.get(id)));
      assertThat(id, l.converted(), equalTo(converted.containsKey(id)));
      assertThat(id, l.conversionTime(), equalTo(converted.get(id)));
      assertThat(id, l.position(), equalTo(i.getPosition()));
    }
    long duplicates = inWindow.values().stream().mapToLong(n -> n - 1).sum();
    assertThat(truth.positives(), equalTo((long) first.size()));
    assertThat(truth.negatives(), equalTo((long) (imps.size() - first.size())));
    assertThat(truth.duplicateClicks(), equalTo(duplicates));
    assertThat(truth.clicksBeforeImpression(), equalTo(before));
    assertThat(truth.clicksOutsideWindow(), equalTo(outside));
    assertThat(truth.clicksAfterHorizon(), equalTo(afterHorizon));
    assertThat(truth.orphanClicks(), equalTo(orphans));
    assertThat(truth.conversionsAttributed(), equalTo((long) converted.size()));
    assertThat(truth.validClicks(), equalTo((long) logs.clicks().size()));
    assertThat(duplicates, greaterThan(0L));
    assertThat(truth.conversionsAttributed(), greaterThan(0L));
  }

  @Test
  void topPositionsHaveHigherCtrAndBetterAds() {
    GroundTruth truth = logs.truth();
    int p = CONFIG.positions();
    double[] shown = new double[p + 1];
    double[] trueCtr = new double[p + 1];
    double[] clicked = new double[p + 1];
    for (Impression i : logs.impressions()) {
      int pos = i.getPosition();
      shown[pos]++;
      trueCtr[pos] += truth.adCtr().get(i.getAdId());
      clicked[pos] += truth.labels().get(i.getImpressionId()).clicked() ? 1 : 0;
    }
    double ctr1 = clicked[1] / shown[1];
    double ctrLast = clicked[p] / shown[p];
    assertThat(ctr1, greaterThan(2 * clicked[5] / shown[5]));
    assertThat(clicked[5] / shown[5], greaterThan(ctrLast));
    // Better ads sit higher: the mean true CTR falls with the position.
    for (int q = 2; q <= p; q++) {
      assertThat("position " + q, trueCtr[q] / shown[q], lessThan(trueCtr[q - 1] / shown[q - 1]));
    }
    assertThat(truth.meanTrueCtr(1), closeTo(trueCtr[1] / shown[1], 1e-12));
    // So the naive propensity CTR_p / CTR_1 underestimates the true examination probability.
    assertThat(ctrLast / ctr1, lessThan(0.8 * truth.examinationProbability(p)));
    assertThat(truth.examinationProbability(1), equalTo(1.0));
  }

  @Test
  void clickDelaysHaveAHeavyTailPastWAndT() {
    GroundTruth truth = logs.truth();
    double pastW = (double) truth.clicksOutsideWindow() / truth.validClicks();
    assertThat(pastW, both(greaterThan(0.005)).and(lessThan(0.10)));
    assertThat(truth.clicksAfterHorizon(), greaterThan(0L));
    assertThat(truth.clicksAfterHorizon(), lessThan(truth.clicksOutsideWindow()));
  }

  @Test
  void arrivalsRespectTheDisorderBoundExceptTheLateFraction() {
    long bound = CONFIG.disorderBoundMs();
    long late = 0;
    long maxEvent = 0;
    long previousArrival = 0;
    for (ArrivalEvent e : logs.events()) {
      long d = e.arrivalTime() - e.eventTime();
      assertThat(e.arrivalTime(), greaterThanOrEqualTo(previousArrival));
      previousArrival = e.arrivalTime();
      if (e.late()) {
        late++;
        assertThat(
            d,
            both(greaterThan(CONFIG.lateMinMs() - 1)).and(lessThanOrEqualTo(CONFIG.lateMaxMs())));
      } else {
        assertThat(e.toString(), d, both(greaterThan(-1L)).and(lessThanOrEqualTo(bound)));
        // Seen in arrival order, an on-time record is never more than the bound behind the newest
        // event.
        assertThat(e.toString(), maxEvent - e.eventTime(), lessThanOrEqualTo(bound));
        maxEvent = Math.max(maxEvent, e.eventTime());
      }
    }
    double fraction = (double) late / logs.events().size();
    assertThat(
        fraction,
        both(greaterThan(CONFIG.lateFraction() / 2)).and(lessThan(CONFIG.lateFraction() * 2)));
    assertThat(late, equalTo(logs.truth().lateRecords()));
  }

  @Test
  void driftShiftsDevicesAndRaisesCtrFromItsDay() {
    long dayOne = CONFIG.startMillis() + Duration.ofDays(1).toMillis();
    long[] mobile = new long[2];
    long[] total = new long[2];
    long[] positives = new long[2];
    for (Impression i : logs.impressions()) {
      int d = i.getEventTime().toEpochMilli() < dayOne ? 0 : 1;
      total[d]++;
      mobile[d] += "mobile".equals(i.getDevice()) ? 1 : 0;
      positives[d] += logs.truth().labels().get(i.getImpressionId()).clicked() ? 1 : 0;
    }
    assertThat((double) mobile[1] / total[1], greaterThan((double) mobile[0] / total[0] + 0.1));
    assertThat(
        (double) positives[1] / total[1], greaterThan((double) positives[0] / total[0] * 1.1));
  }

  @Test
  void filesAreReadableAsJsonLinesAndAvro(@TempDir Path dir) throws IOException {
    GeneratorConfig c = CONFIG.withImpressionsPerDay(4_000);
    WriteResult r = LogGenerator.write(c, dir, LogGenerator.formats("both"));
    GeneratedLogs mem = LogGenerator.generate(c);
    Set<String> impressionFields =
        Set.of(
            "impression_id",
            "event_time",
            "user_id",
            "ad_id",
            "position",
            "advertiser_id",
            "ad_category",
            "device",
            "country",
            "request_id");
    for (RecordType t : RecordType.values()) {
      List<String> lines = new ArrayList<>();
      List<SpecificRecord> avro = new ArrayList<>();
      for (Path f : files(dir.resolve(t.directory()))) {
        assertThat(
            f.toString(),
            dir.relativize(f)
                .toString()
                .matches(
                    t.directory()
                        + "/date=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/part-00000\\.(jsonl|avro)"),
            is(true));
        if (f.toString().endsWith(".jsonl")) {
          lines.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
        } else {
          try (DataFileReader<SpecificRecord> in =
              new DataFileReader<>(f.toFile(), new SpecificDatumReader<>(LogGenerator.schema(t)))) {
            in.forEach(avro::add);
          }
        }
      }
      // Files in path order are the records in arrival order, as in memory.
      assertThat(t.toString(), lines, equalTo(mem.lines(t)));
      List<SpecificRecord> expected =
          mem.events(t).stream()
              .filter(e -> e.record() != null)
              .map(ArrivalEvent::record)
              .collect(Collectors.toList());
      assertThat(t.toString(), avro, equalTo(expected));
      assertThat((long) lines.size(), equalTo(r.truth().records(t)));
    }
    int parsed = 0;
    for (String line : mem.lines(RecordType.IMPRESSION)) {
      JsonNode n;
      try {
        n = JSON.readTree(line);
      } catch (IOException e) {
        continue;
      }
      parsed++;
      Set<String> names = new HashSet<>();
      n.fieldNames().forEachRemaining(names::add);
      assertThat(names, everyItem(in(impressionFields)));
      if (n.has("event_time") && n.get("event_time").isNumber()) {
        assertThat(n.get("event_time").isIntegralNumber(), is(true));
      }
    }
    assertThat(parsed, greaterThan(0));
    assertThat(mem.impressions().get(0).getSchema(), equalTo(Impression.getClassSchema()));
    JsonNode truth = JSON.readTree(dir.resolve("ground_truth.json").toFile());
    assertThat(truth.at("/expected_labeling/positives").asLong(), equalTo(mem.truth().positives()));
    assertThat(
        truth.at("/injected/impression/DUPLICATE_ID").asLong(),
        equalTo(mem.truth().injected(RecordType.IMPRESSION, Reason.DUPLICATE_ID)));
    assertThat(truth.at("/examination_probability/2").asDouble(), equalTo(c.examination(2)));
    List<String> labels = Files.readAllLines(dir.resolve("truth/labels.jsonl"));
    List<String> expectedLabels =
        mem.truth().labels().values().stream()
            .map(ExpectedLabel::toJson)
            .collect(Collectors.toList());
    assertThat(labels, equalTo(expectedLabels));
  }

  @Test
  void lateRecordsLandInLaterArrivalHourPartitions(@TempDir Path dir) throws IOException {
    GeneratorConfig c = CONFIG.withImpressionsPerDay(2_000).withDays(1).withLateFraction(0.05);
    LogGenerator.write(c, dir, LogGenerator.formats("jsonl"));
    List<Path> hours = files(dir.resolve("impressions"));
    // Impressions are made in 24 event hours; late ones land in up to 6 more.
    assertThat(hours.size(), greaterThan(24));
    for (Path f : hours) {
      String hour = f.getParent().getFileName().toString().substring("hour=".length());
      String date = f.getParent().getParent().getFileName().toString().substring("date=".length());
      long start =
          java.time.LocalDateTime.parse(date + "T" + hour + ":00")
                  .toEpochSecond(java.time.ZoneOffset.UTC)
              * 1000;
      for (String line : Files.readAllLines(f)) {
        JsonNode n;
        try {
          n = JSON.readTree(line);
        } catch (IOException e) {
          continue;
        }
        if (n.has("event_time")
            && n.get("event_time").isIntegralNumber()
            && n.get("event_time").asLong() > YEAR_2000
            && n.get("event_time").asLong() < System.currentTimeMillis()) {
          assertThat(f + " " + line, n.get("event_time").asLong(), lessThan(start + 3_600_000L));
        }
      }
    }
  }

  @Test
  void optionsAreValidated() {
    assertThrows(IllegalArgumentException.class, () -> GeneratorConfig.defaults().withPositions(0));
    assertThrows(
        IllegalArgumentException.class, () -> GeneratorConfig.defaults().withBadRecordRate(1.5));
    assertThrows(
        IllegalArgumentException.class,
        () -> GeneratorConfig.defaults().withWindow(Duration.ofHours(3)));
    assertThrows(
        IllegalArgumentException.class,
        () -> GeneratorConfig.defaults().withExaminationProbabilities(1.0, 0.0));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            LogGenerator.generate(GeneratorConfig.defaults().withAds(5).withImpressionsPerDay(10)));
    GeneratorConfig c = GeneratorConfig.defaults().withExaminationProbabilities(1.0, 0.5, 0.25);
    assertThat(c.positions(), equalTo(3));
    assertThat(c.examination(3), equalTo(0.25));
    assertThat(GeneratorConfig.defaults().examination(4), equalTo(1 / Math.pow(4, 0.8)));
  }

  static List<Path> files(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
    }
  }

  private static Map<String, byte[]> readTree(Path root) throws IOException {
    Map<String, byte[]> m = new TreeMap<>();
    for (Path f : files(root)) {
      m.put(root.relativize(f).toString(), Files.readAllBytes(f));
    }
    return m;
  }
}
