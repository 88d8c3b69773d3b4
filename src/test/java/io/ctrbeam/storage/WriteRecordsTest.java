package io.ctrbeam.storage;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.Reason;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.FeatureSnapshot;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.TestPipelineExtension;
import io.ctrbeam.testing.TestSnapshots;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class WriteRecordsTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final int N = 90;

  @TempDir Path tmp;

  @Test
  void boundedParquetIsHivePartitionedAndReadsBackWithDuckDb(TestPipeline p) throws Exception {
    String out = tmp.resolve("training").toString();
    List<TrainingExample> in = SampleRecords.examples(N);
    p.apply(Create.of(in).withCoder(AvroCoder.of(TrainingExample.class)))
        .apply("WriteTrainingData", WriteTrainingData.to(out));
    p.run().waitUntilFinish();

    assertThat(partitionCounts(out, ".parquet"), equalTo(expectedPartitionCounts(in)));
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement()) {
      String src = "read_parquet('" + out + "/**/*.parquet', hive_partitioning=true)";
      ResultSet rs =
          s.executeQuery(
              "SELECT count(*), count(DISTINCT impression_id), sum(clicked),"
                  + " count(*) FILTER (WHERE country = 'unknown') FROM "
                  + src);
      rs.next();
      assertThat(rs.getLong(1), equalTo((long) N));
      assertThat(rs.getLong(2), equalTo((long) N));
      assertThat(rs.getLong(3), equalTo(in.stream().filter(e -> e.getClicked() == 1).count()));
      assertThat(rs.getLong(4), equalTo(in.stream().filter(e -> e.getCountry() == null).count()));

      rs =
          s.executeQuery(
              "SELECT epoch_ms(event_time), epoch_ms(click_time), user_ctr_24h, user_interests,"
                  + " CAST(date AS VARCHAR), hour, weight FROM "
                  + src
                  + " WHERE impression_id = 'imp-0010'");
      rs.next();
      TrainingExample e10 = in.get(10);
      assertThat(rs.getLong(1), equalTo(e10.getEventTime().toEpochMilli()));
      assertThat(rs.getLong(2), equalTo(e10.getClickTime().toEpochMilli()));
      assertThat(rs.getDouble(3), equalTo(0.25));
      assertThat(rs.getString(4), equalTo("[sports, news]"));
      assertThat(rs.getString(5), equalTo("2024-03-05"));
      assertThat(rs.getInt(6), equalTo(1));
      assertThat(rs.getDouble(7), equalTo(1.5));

      // Snappy, as ParquetIO.sink writes, in every column chunk of every file
      rs =
          s.executeQuery(
              "SELECT count(*), count(*) FILTER (WHERE compression = 'SNAPPY') FROM parquet_metadata('"
                  + out
                  + "/**/*.parquet')");
      rs.next();
      assertThat(rs.getLong(1) > 0, is(true));
      assertThat(rs.getLong(2), equalTo(rs.getLong(1)));
    }
  }

  @Test
  void parquetReadsBackWithParquetIo(TestPipeline write, TestPipeline read) {
    String out = tmp.resolve("training").toString();
    List<TrainingExample> in = SampleRecords.examples(30);
    write
        .apply(Create.of(in).withCoder(AvroCoder.of(TrainingExample.class)))
        .apply("WriteTrainingData", WriteTrainingData.to(out).withNumShards(2));
    write.run().waitUntilFinish();

    org.apache.avro.Schema schema = TrainingExample.getClassSchema();
    PCollection<String> rows =
        read.apply(FileIO.match().filepattern(out + "/**.parquet"))
            .apply(FileIO.readMatches())
            .apply(ParquetIO.readFiles(schema).withAvroDataModel(GenericData.get()))
            .apply(
                MapElements.into(TypeDescriptors.strings()).via(WriteRecordsTest::idTimeCountry));
    PAssert.that(rows)
        .containsInAnyOrder(
            in.stream()
                .map(
                    e ->
                        e.getImpressionId()
                            + "@"
                            + e.getEventTime().toEpochMilli()
                            + "@"
                            + e.getCountry())
                .collect(Collectors.toList()));
    read.run().waitUntilFinish();
  }

  private static String idTimeCountry(GenericRecord r) {
    return r.get("impression_id") + "@" + r.get("event_time") + "@" + r.get("country");
  }

  @Test
  void avroAndJsonLinesArePartitionedTheSameWay(TestPipeline p) throws Exception {
    String avroOut = tmp.resolve("avro").toString();
    String jsonOut = tmp.resolve("json").toString();
    List<TrainingExample> in = SampleRecords.examples(N);
    PCollection<TrainingExample> examples =
        p.apply(Create.of(in).withCoder(AvroCoder.of(TrainingExample.class)));
    examples.apply("WriteAvro", WriteTrainingData.to(avroOut).withFormat(FileFormat.AVRO));
    examples.apply("WriteJson", WriteTrainingData.to(jsonOut).withFormat(FileFormat.JSONL));
    p.run().waitUntilFinish();

    Map<String, Long> expected = expectedPartitionCounts(in);
    assertThat(partitionCounts(avroOut, ".avro"), equalTo(expected));
    assertThat(partitionCounts(jsonOut, ".jsonl"), equalTo(expected));

    List<String> ids = new ArrayList<>();
    for (Path f : files(avroOut, ".avro")) {
      try (DataFileReader<GenericRecord> r =
          new DataFileReader<>(f.toFile(), new GenericDatumReader<>())) {
        r.forEach(g -> ids.add(g.get("impression_id") + "@" + g.get("event_time")));
      }
    }
    List<String> jsonIds = new ArrayList<>();
    for (Path f : files(jsonOut, ".jsonl")) {
      for (String line : Files.readAllLines(f)) {
        JsonNode j = MAPPER.readTree(line);
        jsonIds.add(j.get("impression_id").asText() + "@" + j.get("event_time").asLong());
      }
    }
    String[] want =
        in.stream()
            .map(e -> e.getImpressionId() + "@" + e.getEventTime().toEpochMilli())
            .toArray(String[]::new);
    assertThat(ids, containsInAnyOrder(want));
    assertThat(jsonIds, containsInAnyOrder(want));
  }

  @Test
  void targetRecordsPerFileSpreadsAPartitionOverFiles(TestPipeline p) throws Exception {
    String out = tmp.resolve("sized").toString();
    List<TrainingExample> in = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      in.add(SampleRecords.example("big-" + i, SampleRecords.T0 + i, "FR", 0));
    }
    p.apply(Create.of(in).withCoder(AvroCoder.of(TrainingExample.class)))
        .apply("WriteTrainingData", WriteTrainingData.to(out).withTargetRecordsPerFile(50));
    p.run().waitUntilFinish();

    List<Path> files = files(out, ".parquet");
    assertThat(files.size(), allOf(greaterThanOrEqualTo(3), lessThanOrEqualTo(4)));
    assertThat(
        partitionCounts(out, ".parquet"),
        equalTo(Map.of("date=2024-03-05/hour=00/country=FR", 200L)));
  }

  @Test
  void unboundedInputIsWrittenPerFixedWindowAndMatchesBatch(TestPipeline p) throws Exception {
    String out = tmp.resolve("stream").toString();
    List<TrainingExample> in = SampleRecords.examples(N);
    p.apply(hourly(in))
        .apply(
            "WriteTrainingData",
            WriteTrainingData.to(out).withFixedWindows(Duration.standardHours(1)).withNumShards(1));
    p.run().waitUntilFinish();

    // Batch and streaming give the same rows in the same partitions.
    assertThat(partitionCounts(out, ".parquet"), equalTo(expectedPartitionCounts(in)));
    List<Path> files = files(out, ".parquet");
    assertThat(files.size(), equalTo(expectedPartitionCounts(in).size()));
    assertThat(
        files.stream().allMatch(f -> f.getFileName().toString().startsWith("part-2024-03-05T")),
        equalTo(true));
  }

  @Test
  void unboundedTargetRecordsPerFileCountsPerWindow(TestPipeline p) throws Exception {
    String out = tmp.resolve("stream-sized").toString();
    List<TrainingExample> in = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      in.add(
          SampleRecords.example(
              "w" + i, SampleRecords.T0 + (i / 40) * 3_600_000L + i * 1_000L, "FR", 0));
    }
    writeWindowedAtTenAFile(p, in, out, Duration.standardHours(1));

    assertThat(
        partitionCounts(out, ".parquet"),
        equalTo(
            Map.of(
                "date=2024-03-05/hour=00/country=FR",
                40L,
                "date=2024-03-05/hour=01/country=FR",
                40L)));
    for (String hour : List.of("00", "01")) {
      long files =
          files(out, ".parquet").stream()
              .filter(f -> f.toString().contains("hour=" + hour))
              .count();
      // 40 records at 10 a file: 4 files by hash, fewer only if a hash bucket stays empty.
      assertThat(files, allOf(greaterThanOrEqualTo(2L), lessThanOrEqualTo(4L)));
    }
  }

  @Test
  void aPartitionSpanningTwoWindowsIsSizedPerWindow(TestPipeline p) throws Exception {
    String out = tmp.resolve("stream-split").toString();
    List<TrainingExample> in = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      in.add(SampleRecords.example("m" + i, SampleRecords.T0 + i * 60_000L, "FR", 0));
    }
    writeWindowedAtTenAFile(p, in, out, Duration.standardMinutes(30));

    assertThat(
        partitionCounts(out, ".parquet"),
        equalTo(Map.of("date=2024-03-05/hour=00/country=FR", 60L)));
    // 30 records per window at 10 a file: at most 3 files each. Counted over the whole partition
    // (60), each window would spread over 6.
    assertThat(
        (long) files(out, ".parquet").size(),
        allOf(greaterThanOrEqualTo(4L), lessThanOrEqualTo(6L)));
  }

  @Test
  void unboundedInputWithoutWindowsIsRefused(TestPipeline p) {
    p.enableAbandonedNodeEnforcement(false);
    TestStream<TrainingExample> stream =
        TestStream.create(AvroCoder.of(TrainingExample.class))
            .addElements(SampleRecords.example("x", SampleRecords.T0, "US", 0))
            .advanceWatermarkToInfinity();
    PCollection<TrainingExample> in = p.apply(stream);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> in.apply("WriteTrainingData", WriteTrainingData.to(tmp.toString())));
    assertThat(e.getMessage().contains("withFixedWindows"), equalTo(true));
  }

  @Test
  void featureSnapshotsArePartitionedByDateOfAsOf(TestPipeline p) throws Exception {
    String out = tmp.resolve("features").toString();
    List<FeatureSnapshot> in =
        List.of(
            TestSnapshots.snapshot("user", "u1", SampleRecords.T0 + 1, 10, 2),
            TestSnapshots.snapshot("ad", "a1", SampleRecords.T0 + 86_400_000L, 0, 0),
            TestSnapshots.snapshot("user", "u2", SampleRecords.T0 + 86_400_000L + 5, 4, 1));
    p.apply(Create.of(in).withCoder(AvroCoder.of(FeatureSnapshot.class)))
        .apply("WriteFeatures", WriteFeatureSnapshots.to(out));
    p.run().waitUntilFinish();

    assertThat(
        partitionCounts(out, ".parquet"),
        equalTo(Map.of("date=2024-03-05", 1L, "date=2024-03-06", 2L)));
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement()) {
      ResultSet rs =
          s.executeQuery(
              "SELECT key, epoch_ms(as_of), ctr_24h, CAST(date AS VARCHAR) FROM read_parquet('"
                  + out
                  + "/**/*.parquet', hive_partitioning=true) ORDER BY key");
      List<String> rows = new ArrayList<>();
      while (rs.next()) {
        rows.add(
            rs.getString(1) + "|" + rs.getLong(2) + "|" + rs.getObject(3) + "|" + rs.getString(4));
      }
      assertThat(
          rows,
          equalTo(
              List.of(
                  "a1|" + (SampleRecords.T0 + 86_400_000L) + "|null|2024-03-06",
                  "u1|" + (SampleRecords.T0 + 1) + "|0.2|2024-03-05",
                  "u2|" + (SampleRecords.T0 + 86_400_005L) + "|0.25|2024-03-06")));
    }
  }

  @Test
  void deadLettersGoBesideTheOutputAsJsonLines(TestPipeline p) throws Exception {
    String out = tmp.resolve("run/training").toString();
    DeadLetter a =
        DeadLetters.of("click", Reason.ORPHAN_CLICK, "no impression", "f.jsonl", 3L, "{}", 5L);
    DeadLetter b =
        DeadLetters.ofBytes("impression", Reason.PARSE_ERROR, "bad", "t-0", 9L, new byte[] {7});
    p.apply(Create.of(a, b).withCoder(AvroCoder.of(DeadLetter.class)))
        .apply("WriteDeadLetters", WriteJsonLines.deadLettersBeside(out));
    p.run().waitUntilFinish();

    Path dir = tmp.resolve("run/dead_letters");
    List<String> reasons = new ArrayList<>();
    for (Path f : files(dir.toString(), ".jsonl")) {
      assertThat(f.getParent(), equalTo(dir));
      for (String line : Files.readAllLines(f)) {
        JsonNode j = MAPPER.readTree(line);
        reasons.add(
            j.get("reason").asText()
                + "/"
                + j.get("source_offset").asLong()
                + "/"
                + j.get("raw_bytes").asText(null));
      }
    }
    assertThat(reasons, containsInAnyOrder("ORPHAN_CLICK/3/null", "PARSE_ERROR/9/Bw=="));
    assertThat(
        WriteJsonLines.sibling("gs://b/x/out/", "dead_letters"), equalTo("gs://b/x/dead_letters/"));
    assertThat(WriteJsonLines.sibling("out", "dead_letters"), equalTo("dead_letters/"));
  }

  // The examples hour by hour from T0, the watermark passing each hour's end after it.
  /** Streams {@code in} hour by hour and writes it in fixed windows at 10 records a file. */
  private static void writeWindowedAtTenAFile(
      TestPipeline p, List<TrainingExample> in, String out, Duration window) {
    p.apply(hourly(in))
        .apply(
            "WriteTrainingData",
            WriteTrainingData.to(out).withFixedWindows(window).withTargetRecordsPerFile(10));
    p.run().waitUntilFinish();
  }

  private static TestStream<TrainingExample> hourly(List<TrainingExample> in) {
    TestStream.Builder<TrainingExample> stream =
        TestStream.create(AvroCoder.of(TrainingExample.class));
    Map<Long, List<TimestampedValue<TrainingExample>>> byHour = new TreeMap<>();
    for (TrainingExample e : in) {
      long t = e.getEventTime().toEpochMilli();
      byHour
          .computeIfAbsent((t - SampleRecords.T0) / 3_600_000L, h -> new ArrayList<>())
          .add(TimestampedValue.of(e, new Instant(t)));
    }
    for (Map.Entry<Long, List<TimestampedValue<TrainingExample>>> hour : byHour.entrySet()) {
      List<TimestampedValue<TrainingExample>> batch = hour.getValue();
      stream =
          stream
              .addElements(
                  batch.get(0), batch.subList(1, batch.size()).toArray(TimestampedValue[]::new))
              .advanceWatermarkTo(new Instant(SampleRecords.T0 + (hour.getKey() + 1) * 3_600_000L));
    }
    return stream.advanceWatermarkToInfinity();
  }

  // Rows per partition folder, counted from the written files.
  private static Map<String, Long> partitionCounts(String out, String suffix) throws Exception {
    Map<String, Long> counts = new TreeMap<>();
    Path root = Path.of(out);
    for (Path f : files(out, suffix)) {
      String partition = root.relativize(f.getParent()).toString();
      counts.merge(partition, rows(f, suffix), Long::sum);
    }
    return counts;
  }

  private static long rows(Path f, String suffix) throws Exception {
    if (suffix.equals(".jsonl")) {
      return Files.readAllLines(f).size();
    }
    if (suffix.equals(".avro")) {
      long n = 0;
      try (DataFileReader<GenericRecord> r =
          new DataFileReader<>(f.toFile(), new GenericDatumReader<>())) {
        for (GenericRecord ignored : r) {
          n++;
        }
      }
      return n;
    }
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM read_parquet('" + f + "')")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Map<String, Long> expectedPartitionCounts(List<TrainingExample> in) {
    return in.stream()
        .collect(
            Collectors.groupingBy(
                e -> Partitions.dateHourCountry(e.getEventTime(), e.getCountry()),
                TreeMap::new,
                Collectors.counting()));
  }

  private static List<Path> files(String dir, String suffix) throws IOException {
    try (Stream<Path> walk = Files.walk(Path.of(dir))) {
      return walk.filter(f -> f.getFileName().toString().endsWith(suffix))
          .filter(f -> !f.toString().contains(".temp"))
          .collect(Collectors.toList());
    }
  }
}
