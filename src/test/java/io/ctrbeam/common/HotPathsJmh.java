package io.ctrbeam.common;

import io.ctrbeam.features.DecayedSum;
import io.ctrbeam.ingest.JsonRecordParser;
import io.ctrbeam.ingest.RecordKind;
import io.ctrbeam.label.BatchLabeler;
import io.ctrbeam.label.LabelImpressions;
import io.ctrbeam.label.LabelMode;
import io.ctrbeam.label.LabelRows;
import io.ctrbeam.label.LabelRules;
import io.ctrbeam.label.Outcome;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.util.CoderUtils;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH microbenchmarks of the pieces the profile found hot: row coders, JSON parsing, the labeling
 * step per element, and the decayed-sum merge of the features.
 *
 * <pre>
 * mvn -o -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=cp.txt
 * java -cp target/classes:target/test-classes:$(cat cp.txt) org.openjdk.jmh.Main 'io.ctrbeam.common.HotPathsJmh' -f 1 -wi 2 -i 3
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class HotPathsJmh {
  private static final long T0 = 1_750_000_000_000L;
  private final Coder<TrainingExample> fast = TrainingRows.CODER;
  private final Coder<TrainingExample> avro = AvroCoder.specific(TrainingExample.class);
  private final JsonRecordParser<Impression> parser =
      new JsonRecordParser<>(RecordKind.IMPRESSION, Instant.now());
  private TrainingExample row;
  private byte[] fastBytes;
  private byte[] avroBytes;
  private String line;
  private List<TrainingExample> rows;
  private List<Outcome> clicks;
  private final LabelRules rules = LabelImpressions.create().clickRules();

  @Setup
  public void setup() throws Exception {
    Impression i =
        Impression.newBuilder()
            .setImpressionId("imp_00017_0001146")
            .setEventTime(Instant.ofEpochMilli(T0))
            .setUserId("user_004211")
            .setAdId("ad_00731")
            .setPosition(3)
            .setAdvertiserId("adv_0042")
            .setAdCategory("sports")
            .setDevice("mobile")
            .setCountry("US")
            .setRequestId("req_1146")
            .build();
    row = LabelRows.toRow(i, LabelMode.WAIT);
    row.setUserDecayedCtr(0.0213);
    row.setUserImpressions24h(17L);
    fastBytes = CoderUtils.encodeToByteArray(fast, row);
    avroBytes = CoderUtils.encodeToByteArray(avro, row);
    line =
        "{\"impression_id\":\"imp_00017_0001146\",\"event_time\":"
            + T0
            + ",\"user_id\":\"user_004211\","
            + "\"ad_id\":\"ad_00731\",\"position\":3,\"advertiser_id\":\"adv_0042\",\"ad_category\":\"sports\","
            + "\"device\":\"mobile\",\"country\":\"US\",\"request_id\":\"req_1146\"}";
    rows = new ArrayList<>();
    clicks = new ArrayList<>();
    for (int k = 0; k < 1000; k++) {
      Impression imp =
          Impression.newBuilder(i)
              .setImpressionId("i" + k)
              .setEventTime(Instant.ofEpochMilli(T0 + k * 1000L))
              .build();
      rows.add(LabelRows.toRow(imp, LabelMode.WAIT));
      if (k % 50 == 0) {
        clicks.add(
            Outcome.of(
                Click.newBuilder()
                    .setClickId("c" + k)
                    .setImpressionId("i" + k)
                    .setEventTime(Instant.ofEpochMilli(T0 + k * 1000L + 60_000))
                    .build()));
      }
    }
  }

  @Benchmark
  public byte[] encodeRowFast() throws Exception {
    return CoderUtils.encodeToByteArray(fast, row);
  }

  @Benchmark
  public byte[] encodeRowAvro() throws Exception {
    return CoderUtils.encodeToByteArray(avro, row);
  }

  @Benchmark
  public TrainingExample decodeRowFast() throws Exception {
    return CoderUtils.decodeFromByteArray(fast, fastBytes);
  }

  @Benchmark
  public TrainingExample decodeRowAvro() throws Exception {
    return CoderUtils.decodeFromByteArray(avro, avroBytes);
  }

  @Benchmark
  public Impression parseImpressionJson() {
    return parser.parseOrNull(line);
  }

  /** One bucket of 1,000 impressions and 20 clicks through the bounded labeling step. */
  @Benchmark
  public int labelBucketOf1000() {
    Count sink = new Count();
    BatchLabeler l = new BatchLabeler(rules);
    for (TrainingExample r : rows) {
      l.addPrimary(r, sink);
    }
    for (Outcome o : clicks) {
      l.addOutcome(o);
    }
    l.finish(sink);
    return sink.n;
  }

  /** The features' combine: 1,000 decayed sums merged, as partial sums from many bundles are. */
  @Benchmark
  public double mergeDecayedSums() {
    DecayedSum total = DecayedSum.withHalfLifeMillis(86_400_000L);
    for (int k = 0; k < 1000; k++) {
      total.merge(DecayedSum.withHalfLifeMillis(86_400_000L).add(T0 + k * 60_000L, 1.0));
    }
    return total.valueAt(T0 + 1000 * 60_000L);
  }

  private static final class Count extends LabelRules.RowsOnlySink {
    int n;

    @Override
    public void example(TrainingExample r, long ts) {
      n++;
    }
  }
}
