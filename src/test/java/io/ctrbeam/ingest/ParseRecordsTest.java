package io.ctrbeam.ingest;

import static io.ctrbeam.ingest.IngestFixtures.CLOCK;
import static io.ctrbeam.ingest.IngestFixtures.T0;
import static io.ctrbeam.ingest.IngestFixtures.base64;
import static io.ctrbeam.ingest.IngestFixtures.impressionJson;

import io.ctrbeam.common.RecordJson;
import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.schema.UserProfile;
import io.ctrbeam.testing.TestPipelineExtension;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class ParseRecordsTest {
  private static final long FUTURE = CLOCK.toEpochMilli() + 3600_000L + 1;
  private static final long BEFORE_2000 = 946_684_799_999L;

  @Test
  void everyReasonInJsonLines(TestPipeline p, @TempDir Path tmp) throws Exception {
    String[] lines = {
      impressionJson("i1", T0, 1, "US"),
      "{\"impression_id\":\"i2\",",
      "{\"impression_id\":\"i3\",\"event_time\":" + T0 + ",\"ad_id\":\"a1\",\"position\":2}",
      "{\"impression_id\":\"i4\",\"event_time\":"
          + T0
          + ",\"user_id\":null,\"ad_id\":\"a1\",\"position\":2}",
      "{\"impression_id\":\"i5\",\"event_time\":\"soon\",\"user_id\":\"u1\",\"ad_id\":\"a1\",\"position\":1}",
      impressionJson("i6", BEFORE_2000, 1, null),
      impressionJson("i7", FUTURE, 1, null),
      impressionJson("i8", T0, 0, null),
      impressionJson("i9", T0, 1, "us"),
      impressionJson("i10", CLOCK.toEpochMilli() + 3600_000L, 3, null),
      impressionJson("i11", T0, 1, "USA"),
      "[1,2]",
    };
    Path file = IngestFixtures.writeLines(tmp.resolve("imps.jsonl"), lines);
    String src = file.toString();

    IngestResult<Impression> result =
        p.apply(ReadRawRecords.from(src).withFormat(Format.JSONL))
            .apply(ParseRecords.impressions().withClock(CLOCK));

    PAssert.that(result.deadLetters().apply(ParDo.of(new IngestFixtures.DescribeFn())))
        .containsInAnyOrder(
            "PARSE_ERROR|" + src + "|2|" + lines[1] + "|null",
            "MISSING_FIELD|" + src + "|3|" + lines[2] + "|" + T0,
            "MISSING_FIELD|" + src + "|4|" + lines[3] + "|" + T0,
            "BAD_TIMESTAMP|" + src + "|5|" + lines[4] + "|null",
            "BAD_TIMESTAMP|" + src + "|6|" + lines[5] + "|" + BEFORE_2000,
            "BAD_TIMESTAMP|" + src + "|7|" + lines[6] + "|" + FUTURE,
            "BAD_POSITION|" + src + "|8|" + lines[7] + "|" + T0,
            "BAD_COUNTRY|" + src + "|9|" + lines[8] + "|" + T0,
            "BAD_COUNTRY|" + src + "|11|" + lines[10] + "|" + T0,
            "PARSE_ERROR|" + src + "|12|" + lines[11] + "|null");
    long atLimit = CLOCK.toEpochMilli() + 3600_000L;
    PAssert.that(result.records().apply(ParDo.of(new IngestFixtures.WithTimestampFn<>())))
        .containsInAnyOrder(
            RecordJson.toJson(impression("i1", T0, 1, "US")) + "@" + T0,
            RecordJson.toJson(impression("i10", atLimit, 3, null)) + "@" + atLimit);
    p.run().waitUntilFinish();
  }

  /** A writer schema looser than contract §1, so that Avro files can break every rule. */
  static final Schema LOOSE =
      SchemaBuilder.record("LooseImpression")
          .namespace("test")
          .fields()
          .name("impression_id")
          .type()
          .unionOf()
          .nullType()
          .and()
          .stringType()
          .endUnion()
          .nullDefault()
          .name("event_time")
          .type()
          .unionOf()
          .nullType()
          .and()
          .longType()
          .and()
          .stringType()
          .endUnion()
          .nullDefault()
          .name("user_id")
          .type()
          .unionOf()
          .nullType()
          .and()
          .stringType()
          .endUnion()
          .nullDefault()
          .name("ad_id")
          .type()
          .unionOf()
          .nullType()
          .and()
          .stringType()
          .endUnion()
          .nullDefault()
          .name("position")
          .type()
          .unionOf()
          .nullType()
          .and()
          .intType()
          .and()
          .stringType()
          .endUnion()
          .nullDefault()
          .name("country")
          .type()
          .unionOf()
          .nullType()
          .and()
          .stringType()
          .endUnion()
          .nullDefault()
          .endRecord();

  static GenericRecord loose(
      String id, Object eventTime, String user, Object position, String country) {
    GenericData.Record r = new GenericData.Record(LOOSE);
    r.put("impression_id", id);
    r.put("event_time", eventTime);
    r.put("user_id", user);
    r.put("ad_id", "a1");
    r.put("position", position);
    r.put("country", country);
    return r;
  }

  @Test
  void everyReasonInAvroFiles(TestPipeline p, @TempDir Path tmp) throws Exception {
    List<GenericRecord> records = new ArrayList<>();
    records.add(loose("i1", T0, "u1", 1, "US"));
    records.add(loose("i2", T0, "u1", "top", null));
    records.add(loose("i3", T0, null, 1, null));
    records.add(loose("i4", "soon", "u1", 1, null));
    records.add(loose("i5", BEFORE_2000, "u1", 1, null));
    records.add(loose("i6", FUTURE, "u1", 1, null));
    records.add(loose("i7", T0, "u1", -1, null));
    records.add(loose("i8", T0, "u1", 1, "u1"));
    records.add(loose(null, T0, "u1", 1, null));
    Path file = IngestFixtures.writeAvro(tmp.resolve("imps.avro"), LOOSE, records);
    String src = file.toString();
    String[] raw = new String[records.size()];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = base64(AvroPayloads.encode(records.get(i)));
    }
    ReadRawRecords read = ReadRawRecords.from(src);

    IngestResult<Impression> result =
        p.apply(read)
            .apply(
                ParseRecords.impressions()
                    .withClock(CLOCK)
                    .withWriterSchemas(read.writerSchemas(p.getOptions())));

    PAssert.that(result.deadLetters().apply(ParDo.of(new IngestFixtures.DescribeFn())))
        .containsInAnyOrder(
            "PARSE_ERROR|" + src + "|2|" + raw[1] + "|" + T0,
            "MISSING_FIELD|" + src + "|3|" + raw[2] + "|" + T0,
            "BAD_TIMESTAMP|" + src + "|4|" + raw[3] + "|null",
            "BAD_TIMESTAMP|" + src + "|5|" + raw[4] + "|" + BEFORE_2000,
            "BAD_TIMESTAMP|" + src + "|6|" + raw[5] + "|" + FUTURE,
            "BAD_POSITION|" + src + "|7|" + raw[6] + "|" + T0,
            "BAD_COUNTRY|" + src + "|8|" + raw[7] + "|" + T0,
            "MISSING_FIELD|" + src + "|9|" + raw[8] + "|" + T0);
    PAssert.that(result.records().apply(ParDo.of(new IngestFixtures.WithTimestampFn<>())))
        .containsInAnyOrder(RecordJson.toJson(impression("i1", T0, 1, "US")) + "@" + T0);
    p.run().waitUntilFinish();
  }

  @Test
  void avroPayloadsInTheSpecSchemaNeedNoRegistrationAndGarbageIsAParseError(TestPipeline p)
      throws Exception {
    Impression good = impression("k1", T0, 2, "DE");
    byte[] encoded = AvroPayloads.encode(good);
    byte[] unknown = AvroPayloads.encode(loose("k2", T0, "u1", 1, null));
    byte[] garbage = {1, 2, 3};
    PCollection<RawRecord> raw =
        p.apply(
            Create.of(
                    new RawRecord("topic-0", 7L, null, ByteBuffer.wrap(encoded)),
                    new RawRecord("topic-0", 8L, null, ByteBuffer.wrap(unknown)),
                    new RawRecord("topic-0", 9L, null, ByteBuffer.wrap(garbage)),
                    new RawRecord("topic-0", 10L, null, null))
                .withCoder(AvroCoder.of(RawRecord.class)));
    IngestResult<Impression> result = raw.apply(ParseRecords.impressions().withClock(CLOCK));
    // Parsed records carry their source and offset; impressions no raw text.
    Impression parsed =
        Impression.newBuilder(good).setSource("topic-0").setSourceOffset(7L).build();
    PAssert.that(result.records()).containsInAnyOrder(parsed);
    PAssert.that(result.deadLetters().apply(ParDo.of(new IngestFixtures.DescribeFn())))
        .containsInAnyOrder(
            "PARSE_ERROR|topic-0|8|" + base64(unknown) + "|null",
            "PARSE_ERROR|topic-0|9|" + base64(garbage) + "|null",
            "PARSE_ERROR|topic-0|10|null|null");
    p.run().waitUntilFinish();
  }

  @Test
  void otherRecordTypesParseAndCheckTheirRequiredFields(TestPipeline p) {
    String click = "{\"click_id\":\"c1\",\"impression_id\":\"i1\",\"event_time\":" + T0 + "}";
    String conv =
        "{\"conversion_id\":\"v1\",\"impression_id\":\"i1\",\"event_time\":"
            + T0
            + ",\"value\":2.5}";
    String profile =
        "{\"user_id\":\"u1\",\"updated_at\":" + T0 + ",\"interests\":[\"cars\",\"golf\"]}";
    String ad = "{\"ad_id\":\"a1\",\"updated_at\":" + T0 + ",\"category\":\"shoes\"}";
    String bad = "{\"updated_at\":" + T0 + "}";

    IngestResult<Click> clicks =
        p.apply("Clicks", texts(click, bad))
            .apply("Parseclicks", ParseRecords.clicks().withClock(CLOCK));
    IngestResult<Conversion> convs =
        p.apply("Convs", texts(conv, bad))
            .apply("Parseconversions", ParseRecords.conversions().withClock(CLOCK));
    IngestResult<UserProfile> profiles =
        p.apply("Profiles", texts(profile, bad))
            .apply("ParseuserProfiles", ParseRecords.userProfiles().withClock(CLOCK));
    IngestResult<AdMetadata> ads =
        p.apply("Ads", texts(ad, bad))
            .apply("ParseadMetadata", ParseRecords.adMetadata().withClock(CLOCK));

    Instant t0 = Instant.ofEpochMilli(T0);
    // Clicks and conversions carry their source, offset and the line as read.
    PAssert.that(clicks.records())
        .containsInAnyOrder(new Click("c1", "i1", t0, null, null, "kafka", 1L, click, null));
    PAssert.that(convs.records())
        .containsInAnyOrder(new Conversion("v1", "i1", t0, 2.5, "kafka", 1L, conv, null));
    PAssert.that(profiles.records())
        .containsInAnyOrder(new UserProfile("u1", t0, null, null, List.of("cars", "golf")));
    PAssert.that(ads.records()).containsInAnyOrder(new AdMetadata("a1", t0, null, "shoes"));
    String missingEventTime = "MISSING_FIELD|kafka|2|" + bad + "|null";
    String missingId = "MISSING_FIELD|kafka|2|" + bad + "|" + T0;
    PAssert.that(
            clicks.deadLetters().apply("DescribeClicks", ParDo.of(new IngestFixtures.DescribeFn())))
        .containsInAnyOrder(missingEventTime);
    PAssert.that(
            convs.deadLetters().apply("DescribeConvs", ParDo.of(new IngestFixtures.DescribeFn())))
        .containsInAnyOrder(missingEventTime);
    PAssert.that(
            profiles
                .deadLetters()
                .apply("DescribeProfiles", ParDo.of(new IngestFixtures.DescribeFn())))
        .containsInAnyOrder(missingId);
    PAssert.that(ads.deadLetters().apply("DescribeAds", ParDo.of(new IngestFixtures.DescribeFn())))
        .containsInAnyOrder(missingId);
    p.run().waitUntilFinish();
  }

  /** Kafka-like input is stamped later than its event time: the record moves back to it. */
  @Test
  void streamingRecordStampedAfterItsEventTimeGetsItsEventTime(TestPipeline p) {
    org.joda.time.Instant arrival = new org.joda.time.Instant(T0 + 60_000);
    TestStream<RawRecord> stream =
        TestStream.create(AvroCoder.of(RawRecord.class))
            .advanceWatermarkTo(new org.joda.time.Instant(T0 - 1000))
            .addElements(
                org.apache.beam.sdk.values.TimestampedValue.of(
                    new RawRecord("imps-0", 41L, impressionJson("s1", T0, 1, null), null), arrival),
                org.apache.beam.sdk.values.TimestampedValue.of(
                    new RawRecord("imps-0", 42L, "oops", null), arrival))
            .advanceWatermarkToInfinity();
    IngestResult<Impression> result =
        p.apply(stream).apply(ParseRecords.impressions().withClock(CLOCK));
    PAssert.that(result.records().apply(ParDo.of(new IngestFixtures.WithTimestampFn<>())))
        .containsInAnyOrder(RecordJson.toJson(impression("s1", T0, 1, null)) + "@" + T0);
    PAssert.that(result.deadLetters().apply(ParDo.of(new IngestFixtures.DescribeFn())))
        .containsInAnyOrder("PARSE_ERROR|imps-0|42|oops|null");
    p.run().waitUntilFinish();
  }

  /**
   * The streaming clock moves: the graph is built at P - 2 h, the records are parsed at P. An event
   * time of P + 30 min is valid; one of P + 2 h is still refused. A clock frozen at graph build
   * would refuse both.
   */
  @Test
  void streamingJudgesTheFutureAgainstProcessingTimeNotGraphBuildTime(TestPipeline p) {
    long built = System.currentTimeMillis();
    long parsedAt = built + 2 * 3_600_000L;
    TestStream<RawRecord> stream =
        TestStream.create(AvroCoder.of(RawRecord.class))
            .addElements(
                new RawRecord(
                    "imps-0", 1L, impressionJson("soon", parsedAt + 30 * 60_000L, 1, null), null),
                new RawRecord(
                    "imps-0", 2L, impressionJson("far", parsedAt + 2 * 3_600_000L, 1, null), null))
            .advanceWatermarkToInfinity();
    ParseRecords<Impression> parse =
        ParseRecords.impressions().withLiveClock(new FixedClock(parsedAt));
    IngestResult<Impression> result = p.apply(stream).apply(parse);
    PAssert.that(result.records().apply(ParDo.of(new IngestFixtures.IdFn())))
        .containsInAnyOrder("soon");
    PAssert.that(result.deadLetters().apply("Reasons", ParDo.of(new IngestFixtures.ReasonFn())))
        .containsInAnyOrder("BAD_TIMESTAMP");
    p.run().waitUntilFinish();
  }

  @Test
  void batchJudgesTheFutureAgainstTheRunsStart(TestPipeline p) {
    long now = System.currentTimeMillis();
    IngestResult<Impression> result =
        p.apply(texts(impressionJson("late", now + 2 * 3_600_000L, 1, null)))
            .apply(ParseRecords.impressions().withLiveClock(new FixedClock(now + 10 * 3_600_000L)));
    PAssert.that(result.records()).empty();
    PAssert.that(result.deadLetters().apply("Reasons", ParDo.of(new IngestFixtures.ReasonFn())))
        .containsInAnyOrder("BAD_TIMESTAMP");
    p.run().waitUntilFinish();
  }

  private static final class FixedClock implements ProcessingClock {
    private final long now;

    FixedClock(long now) {
      this.now = now;
    }

    @Override
    public long nowMillis() {
      return now;
    }
  }

  private static Create.Values<RawRecord> texts(String... lines) {
    List<RawRecord> raw = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      raw.add(new RawRecord("kafka", (long) i + 1, lines[i], null));
    }
    return Create.of(raw).withCoder(AvroCoder.of(RawRecord.class));
  }

  static Impression impression(String id, long t, int position, String country) {
    return Impression.newBuilder()
        .setImpressionId(id)
        .setEventTime(Instant.ofEpochMilli(t))
        .setUserId("u1")
        .setAdId("a1")
        .setPosition(position)
        .setCountry(country)
        .build();
  }
}
