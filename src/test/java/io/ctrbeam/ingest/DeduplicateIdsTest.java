package io.ctrbeam.ingest;

import static io.ctrbeam.ingest.IngestFixtures.CLOCK;
import static io.ctrbeam.ingest.IngestFixtures.T0;
import static io.ctrbeam.ingest.ParseRecordsTest.impression;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ctrbeam.common.Buckets;
import io.ctrbeam.common.RecordJson;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.testing.TestPipelineExtension;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class DeduplicateIdsTest {
  private static final long MIN = 60_000L;
  private static final long HOUR = 60 * MIN;
  private static final AvroCoder<Impression> CODER = AvroCoder.of(Impression.class);

  private static TimestampedValue<Impression> at(Impression imp) {
    return TimestampedValue.of(imp, new Instant(imp.getEventTime().toEpochMilli()));
  }

  private static String kept(Impression imp) {
    return RecordJson.toJson(imp) + "@" + imp.getEventTime().toEpochMilli();
  }

  private static String dup(Impression imp) {
    return "DUPLICATE_ID|DeduplicateIds|null|"
        + RecordJson.toJson(imp)
        + "|"
        + imp.getEventTime().toEpochMilli();
  }

  private static void assertOutput(
      IngestResult<Impression> result, String suffix, List<String> kept, List<String> dead) {
    PAssert.that(
            result
                .records()
                .apply("Render" + suffix, ParDo.of(new IngestFixtures.WithTimestampFn<>())))
        .containsInAnyOrder(kept);
    PAssert.that(
            result
                .deadLetters()
                .apply("Describe" + suffix, ParDo.of(new IngestFixtures.DescribeFn())))
        .containsInAnyOrder(dead);
  }

  @Test
  void boundedKeepsTheEarliestOfEachHorizonWithADeterministicTieBreak(TestPipeline p)
      throws Exception {
    Impression a1 = impression("a", T0 + 10 * MIN, 1, null);
    Impression a0 = impression("a", T0, 1, null);
    Impression tieX = impression("t", T0, 1, "FR");
    Impression tieY = impression("t", T0, 2, "FR");
    Impression b = impression("b", T0, 1, null);
    Impression c0 = impression("c", T0, 1, null);
    Impression c1 = impression("c", T0 + HOUR, 1, null);
    boolean xFirst =
        Arrays.compareUnsigned(
                CoderUtils.encodeToByteArray(CODER, tieX),
                CoderUtils.encodeToByteArray(CODER, tieY))
            < 0;
    Impression tieKept = xFirst ? tieX : tieY;
    Impression tieDup = xFirst ? tieY : tieX;
    List<String> keep = List.of(kept(a0), kept(tieKept), kept(b), kept(c0), kept(c1));
    List<String> dead = List.of(dup(a1), dup(tieDup));

    DeduplicateIds<Impression> dedup =
        DeduplicateIds.impressions().withHorizon(Duration.standardHours(1)).withBuckets(4);
    List<TimestampedValue<Impression>> data =
        new ArrayList<>(List.of(at(a1), at(tieX), at(b), at(a0), at(c1), at(tieY), at(c0)));
    IngestResult<Impression> forward =
        p.apply("Forward", Create.timestamped(data).withCoder(CODER)).apply("DedupForward", dedup);
    java.util.Collections.reverse(data);
    IngestResult<Impression> backward =
        p.apply("Backward", Create.timestamped(data).withCoder(CODER))
            .apply("DedupBackward", dedup);
    assertOutput(forward, "Forward", keep, dead);
    assertOutput(backward, "Backward", keep, dead);
    p.run().waitUntilFinish();
  }

  /** Horizon 1 h in the streaming tests. */
  private static DeduplicateIds<Impression> streamingDedup() {
    return DeduplicateIds.impressions().withHorizon(Duration.standardHours(1));
  }

  @Test
  void streamingOnTimeDuplicateIsRefused(TestPipeline p) {
    Impression first = impression("a", T0, 1, null);
    Impression again = impression("a", T0 + 2 * MIN, 2, null);
    TestStream<Impression> events =
        TestStream.create(CODER)
            .advanceWatermarkTo(new Instant(T0))
            .addElements(at(first))
            .advanceWatermarkTo(new Instant(T0 + MIN))
            .addElements(at(again))
            .advanceWatermarkToInfinity();
    assertOutput(
        p.apply(events).apply(streamingDedup()), "", List.of(kept(first)), List.of(dup(again)));
    p.run().waitUntilFinish();
  }

  /** Once the watermark passes the first record's event time + horizon, the id is new again. */
  @Test
  void streamingSameIdAfterTheHorizonIsNotADuplicate(TestPipeline p) {
    Impression first = impression("a", T0, 1, null);
    Impression later = impression("a", T0 + HOUR + 5 * MIN, 1, null);
    Impression laterDup = impression("a", T0 + HOUR + 6 * MIN, 3, null);
    TestStream<Impression> events =
        TestStream.create(CODER)
            .advanceWatermarkTo(new Instant(T0))
            .addElements(at(first))
            .advanceWatermarkTo(new Instant(T0 + HOUR + 2 * MIN))
            .addElements(at(later))
            .addElements(at(laterDup))
            .advanceWatermarkToInfinity();
    assertOutput(
        p.apply(events).apply(streamingDedup()),
        "",
        List.of(kept(first), kept(later)),
        List.of(dup(laterDup)));
    p.run().waitUntilFinish();
  }

  /** A duplicate behind the watermark is refused while its id is still remembered. */
  @Test
  void streamingLateDuplicateWithinTheHorizonIsRefused(TestPipeline p) {
    Impression first = impression("a", T0 + 10 * MIN, 1, null);
    Impression late = impression("a", T0 + 20 * MIN, 2, null);
    TestStream<Impression> events =
        TestStream.create(CODER)
            .advanceWatermarkTo(new Instant(T0))
            .addElements(at(first))
            .advanceWatermarkTo(new Instant(T0 + 40 * MIN))
            .addElements(at(late))
            .advanceWatermarkToInfinity();
    assertOutput(
        p.apply(events).apply(streamingDedup()), "", List.of(kept(first)), List.of(dup(late)));
    p.run().waitUntilFinish();
  }

  /**
   * Documented limit: after the GC timer collected an id (the watermark passed its expiry), a late
   * duplicate of it is no longer recognised. The bounded dedup would refuse it.
   */
  @Test
  void streamingLateDuplicateAfterCollectionIsNotRecognised(TestPipeline p) {
    Impression first = impression("a", T0, 1, null);
    Impression late = impression("a", T0 + 5 * MIN, 2, null);
    TestStream<Impression> events =
        TestStream.create(CODER)
            .advanceWatermarkTo(new Instant(T0))
            .addElements(at(first))
            .advanceWatermarkTo(new Instant(T0 + 2 * HOUR))
            .addElements(at(late))
            .advanceWatermarkToInfinity();
    assertOutput(
        p.apply(events).apply(streamingDedup()), "", List.of(kept(first), kept(late)), List.of());
    p.run().waitUntilFinish();
  }

  /** First arrival wins in streaming: an out-of-order duplicate keeps the one that came first. */
  @Test
  void streamingFirstArrivalWinsOverEarlierEventTime(TestPipeline p) {
    Impression first = impression("a", T0 + 10 * MIN, 1, null);
    Impression earlier = impression("a", T0 + 5 * MIN, 2, null);
    TestStream<Impression> events =
        TestStream.create(CODER).addElements(at(first), at(earlier)).advanceWatermarkToInfinity();
    assertOutput(
        p.apply(events).apply(streamingDedup()), "", List.of(kept(first)), List.of(dup(earlier)));
    p.run().waitUntilFinish();
  }

  /** In event-time order and within the watermark's horizon, batch and streaming agree. */
  @Test
  void boundedAndStreamingAgree(TestPipeline p) {
    List<Impression> ordered = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      ordered.add(impression("id" + (i % 7), T0 + i * 5 * MIN, 1 + i % 3, null));
    }
    List<String> keep = new ArrayList<>();
    List<String> dead = new ArrayList<>();
    java.util.Map<String, Long> keptAt = new java.util.HashMap<>();
    for (Impression imp : ordered) {
      long t = imp.getEventTime().toEpochMilli();
      Long k = keptAt.get(imp.getImpressionId());
      if (k != null && t < k + HOUR) {
        dead.add(dup(imp));
      } else {
        keptAt.put(imp.getImpressionId(), t);
        keep.add(kept(imp));
      }
    }
    assertTrue(!dead.isEmpty() && keep.size() > 7, "the data has duplicates and expiries");

    List<TimestampedValue<Impression>> timestamped = new ArrayList<>();
    ordered.forEach(imp -> timestamped.add(at(imp)));
    IngestResult<Impression> batch =
        p.apply("Batch", Create.timestamped(timestamped).withCoder(CODER))
            .apply("DedupBatch", streamingDedup());
    TestStream.Builder<Impression> stream = TestStream.create(CODER);
    for (Impression imp : ordered) {
      stream =
          stream
              .addElements(at(imp))
              .advanceWatermarkTo(new Instant(imp.getEventTime().toEpochMilli()));
    }
    IngestResult<Impression> streaming =
        p.apply("Stream", stream.advanceWatermarkToInfinity())
            .apply("DedupStream", streamingDedup());
    assertOutput(batch, "Batch", keep, dead);
    assertOutput(streaming, "Stream", keep, dead);
    p.run().waitUntilFinish();
  }

  /**
   * Bounded, from files: a refused click carries its file, line and the exact line as read; a
   * refused impression its file and line, and (impressions carry no raw text) its §1 JSON line.
   * Kept clicks keep their provenance for the labeler; kept impressions leave without it.
   */
  @Test
  void boundedDuplicatesCarryTheirFileLineAndRawLine(TestPipeline p, @TempDir Path tmp)
      throws Exception {
    String c1 = "{\"click_id\":\"c1\",\"impression_id\":\"i1\",\"event_time\":" + (T0 + MIN) + "}";
    String c2 =
        "{\"click_id\":\"c2\",\"impression_id\":\"i1\",\"event_time\":" + (T0 + 2 * MIN) + "}";
    String c1Again =
        "{ \"event_time\": "
            + (T0 + 3 * MIN)
            + ", \"impression_id\": \"i1\",  \"click_id\": \"c1\" }";
    String i1 = IngestFixtures.impressionJson("i1", T0, 1, "US");
    String i1Again =
        "{\"position\": 2, \"impression_id\": \"i1\", \"event_time\": "
            + (T0 + MIN)
            + ", \"user_id\": \"u1\", \"ad_id\": \"a1\"}";
    String clicks =
        IngestFixtures.writeLines(tmp.resolve("clicks.jsonl"), c1, c2, c1Again).toString();
    String imps = IngestFixtures.writeLines(tmp.resolve("imps.jsonl"), i1, i1Again).toString();

    IngestResult<Click> c =
        p.apply("ReadClicks", ReadRawRecords.from(clicks).withFormat(Format.JSONL))
            .apply("IngestClicks", IngestRecords.clicks().withClock(CLOCK).withDedupBuckets(2));
    IngestResult<Impression> i =
        p.apply("ReadImps", ReadRawRecords.from(imps).withFormat(Format.JSONL))
            .apply("IngestImps", IngestRecords.impressions().withClock(CLOCK).withDedupBuckets(2));

    PAssert.that(c.deadLetters().apply("DescribeClicks", ParDo.of(new IngestFixtures.DescribeFn())))
        .containsInAnyOrder("DUPLICATE_ID|" + clicks + "|3|" + c1Again + "|" + (T0 + 3 * MIN));
    String i1AgainSpec =
        "{\"impression_id\":\"i1\",\"event_time\":"
            + (T0 + MIN)
            + ",\"user_id\":\"u1\",\"ad_id\":\"a1\","
            + "\"position\":2,\"advertiser_id\":null,\"ad_category\":null,\"device\":null,"
            + "\"country\":null,\"request_id\":null}";
    PAssert.that(i.deadLetters().apply("DescribeImps", ParDo.of(new IngestFixtures.DescribeFn())))
        .containsInAnyOrder("DUPLICATE_ID|" + imps + "|2|" + i1AgainSpec + "|" + (T0 + MIN));
    PAssert.that(
            c.records().apply("ClickProvenance", ParDo.of(new IngestFixtures.ProvenanceFn<>())))
        .containsInAnyOrder(clicks + "|1|" + c1 + "|null", clicks + "|2|" + c2 + "|null");
    PAssert.that(i.records().apply("ImpProvenance", ParDo.of(new IngestFixtures.ProvenanceFn<>())))
        .containsInAnyOrder("null|null|null|null");
    p.run().waitUntilFinish();
  }

  /**
   * Streaming, from Kafka-like records: a refused click carries its topic-partition and offset and
   * its raw input as read, a JSON line or an Avro payload.
   */
  @Test
  void streamingDuplicatesCarryTheirTopicPartitionOffsetAndRawInput(TestPipeline p)
      throws Exception {
    String first =
        "{\"click_id\":\"c1\",\"impression_id\":\"i1\",\"event_time\":" + (T0 + MIN) + "}";
    byte[] avroAgain =
        AvroPayloads.encode(
            Click.newBuilder()
                .setClickId("c1")
                .setImpressionId("i1")
                .setEventTime(java.time.Instant.ofEpochMilli(T0 + 2 * MIN))
                .build());
    String jsonAgain =
        "{\"impression_id\": \"i1\", \"click_id\": \"c1\", \"event_time\": " + (T0 + 3 * MIN) + "}";
    TestStream<RawRecord> events =
        TestStream.create(AvroCoder.of(RawRecord.class))
            .advanceWatermarkTo(new Instant(T0))
            .addElements(
                TimestampedValue.of(
                    new RawRecord("clicks-3", 41L, first, null), new Instant(T0 + MIN)))
            .advanceWatermarkTo(new Instant(T0 + MIN))
            .addElements(
                TimestampedValue.of(
                    new RawRecord("clicks-3", 42L, null, ByteBuffer.wrap(avroAgain)),
                    new Instant(T0 + 2 * MIN)),
                TimestampedValue.of(
                    new RawRecord("clicks-3", 43L, jsonAgain, null), new Instant(T0 + 3 * MIN)))
            .advanceWatermarkToInfinity();
    IngestResult<Click> c =
        p.apply(events)
            .apply(
                IngestRecords.clicks()
                    .withClock(CLOCK)
                    .withDedupHorizon(Duration.standardHours(1)));
    PAssert.that(c.deadLetters().apply("Describe", ParDo.of(new IngestFixtures.DescribeFn())))
        .containsInAnyOrder(
            "DUPLICATE_ID|clicks-3|42|" + IngestFixtures.base64(avroAgain) + "|" + (T0 + 2 * MIN),
            "DUPLICATE_ID|clicks-3|43|" + jsonAgain + "|" + (T0 + 3 * MIN));
    PAssert.that(c.records().apply("Provenance", ParDo.of(new IngestFixtures.ProvenanceFn<>())))
        .containsInAnyOrder("clicks-3|41|" + first + "|null");
    p.run().waitUntilFinish();
  }

  @Test
  void idsSpreadOverAtMostTheConfiguredBuckets() {
    for (int buckets : new int[] {1, 8, 64}) {
      Set<Integer> seen = new HashSet<>();
      for (int i = 0; i < 20_000; i++) {
        int b = Buckets.of("imp-" + i, buckets);
        assertTrue(b >= 0 && b < buckets);
        seen.add(b);
      }
      assertTrue(seen.size() == buckets, "all " + buckets + " buckets used, got " + seen.size());
    }
  }

  /** The keyed collection inside the dedup holds at most {@code buckets} distinct keys. */
  @Test
  @SuppressWarnings("unchecked")
  void dedupKeysByAtMostTheConfiguredBuckets(TestPipeline p) {
    List<TimestampedValue<Impression>> data = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      data.add(at(impression("imp-" + i, T0 + i, 1, null)));
    }
    IngestResult<Impression> result =
        p.apply(Create.timestamped(data).withCoder(CODER))
            .apply("Dedup", DeduplicateIds.impressions().withBuckets(8));
    List<org.apache.beam.sdk.values.PCollection<?>> keyed = new ArrayList<>();
    p.traverseTopologically(
        new org.apache.beam.sdk.Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(
              org.apache.beam.sdk.runners.TransformHierarchy.Node node) {
            if (node.getFullName().equals("Dedup/BucketById")) {
              node.getOutputs()
                  .values()
                  .forEach(v -> keyed.add((org.apache.beam.sdk.values.PCollection<?>) v));
            }
            return CompositeBehavior.ENTER_TRANSFORM;
          }
        });
    org.apache.beam.sdk.values.PCollection<org.apache.beam.sdk.values.KV<Integer, Impression>>
        byBucket =
            (org.apache.beam.sdk.values.PCollection<
                    org.apache.beam.sdk.values.KV<Integer, Impression>>)
                keyed.get(0);
    PAssert.thatSingleton(
            byBucket
                .apply(org.apache.beam.sdk.transforms.Keys.create())
                .apply(org.apache.beam.sdk.transforms.Distinct.create())
                .apply("CountKeys", org.apache.beam.sdk.transforms.Count.globally()))
        .isEqualTo(8L);
    PAssert.thatSingleton(
            result.records().apply("CountRecords", org.apache.beam.sdk.transforms.Count.globally()))
        .isEqualTo(500L);
    p.run().waitUntilFinish();
  }

  /**
   * A GC firing reads only the ids due (issue 8, defect 7): 600 ids one second apart, all in ONE
   * bucket and all in before the watermark moves, then the watermark walks past every expiry. With
   * a 1 h horizon the GC slices are 2.5 s wide, so a firing reads at most 3 ids, and each id is
   * read once in all: not the bucket's 600 per firing.
   */
  @Test
  void aGcFiringReadsOnlyTheIdsDue(TestPipeline p) {
    int n = 600;
    TestStream.Builder<Impression> b = TestStream.create(CODER).advanceWatermarkTo(new Instant(T0));
    List<String> kept = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Impression imp = impression("imp-" + i, T0 + i * 1000L, 1, null);
      b = b.addElements(at(imp));
      kept.add(kept(imp));
    }
    for (long wm = T0 + HOUR; wm <= T0 + HOUR + n * 1000L + 20_000; wm += 20_000) {
      b = b.advanceWatermarkTo(new Instant(wm));
    }
    // Each id again after its expiry: a new horizon, so kept again (its entry was collected).
    for (int i = 0; i < n; i += 100) {
      Impression again = impression("imp-" + i, T0 + HOUR + i * 1000L + 1, 2, null);
      b = b.addElements(at(again));
      kept.add(kept(again));
    }
    assertOutput(
        p.apply(b.advanceWatermarkToInfinity()).apply(streamingDedup().withBuckets(1)),
        "",
        kept,
        List.of());
    PipelineResult res = p.run();
    res.waitUntilFinish();
    DistributionResult d = null;
    for (MetricResult<DistributionResult> m :
        res.metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(
                        MetricNameFilter.named(IngestMetrics.NAMESPACE, "dedup_gc_ids_per_firing"))
                    .build())
            .getDistributions()) {
      d = m.getAttempted();
    }
    assertTrue(d != null, "no dedup_gc_ids_per_firing");
    System.out.printf(
        "dedup GC: %d firings, at most %d ids read per firing, %d in all%n",
        d.getCount(), d.getMax(), d.getSum());
    assertTrue(d.getMax() <= 3, "at most 3 ids per firing, got " + d.getMax());
    assertEquals(n + n / 100, d.getSum(), "each kept id is read by one firing");
  }

  @Test
  void optionsRejectBadValues() {
    assertThrows(IllegalArgumentException.class, () -> DeduplicateIds.impressions().withBuckets(0));
    assertThrows(
        IllegalArgumentException.class, () -> DeduplicateIds.clicks().withHorizon(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> DeduplicateIds.of(RecordKind.USER_PROFILE));
  }
}
