package io.ctrbeam.label;

import io.ctrbeam.common.Buckets;
import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.label.LabelEvent.LabelEventCoder;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Impression;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Labels N synthetic impressions (~2% clicked, exponential delays) with the plain-Java baseline
 * (the shared rules over HashMaps) and with {@link LabelImpressions} on a Beam runner, in one
 * process, and prints events/s and the ratio.
 *
 * <pre>
 * mvn -o test-compile exec:java -Dexec.classpathScope=test \
 *   -DmainClass=io.ctrbeam.label.LabelBenchmark -Dexec.args="--impressions=100000 [--stateful=true]"
 * # Flink: exec:java's class loader hides Flink classes from the mini-cluster, so use plain java:
 * mvn -o -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=cp.txt
 * java -cp target/classes:target/test-classes:$(cat cp.txt) io.ctrbeam.label.LabelBenchmark \
 *   --impressions=100000 --runner=FlinkRunner --flinkMaster=[local] --parallelism=2
 * </pre>
 *
 * {@link LabelImpressions} runs twice and the second, warm run is timed. Then the same input is
 * labeled by {@link ObviousLabelDesign}, the comparison row, and only grouped once by impression_id
 * and once by the join's buckets (the sort any labeling on the runner needs).
 *
 * <p>Options of its own: --impressions, --clickRate, --buckets, --stateful, --mode; the rest go to
 * Beam's PipelineOptions (DirectRunner by default).
 */
public final class LabelBenchmark {
  private LabelBenchmark() {}

  private static final long T0 = java.time.Instant.parse("2026-01-05T00:00:00Z").toEpochMilli();
  private static final TupleTag<Impression> IMPS = new TupleTag<Impression>("imps") {};
  private static final TupleTag<Click> CLICKS = new TupleTag<Click>("clicks") {};

  /** Impression i: uniform over one day. */
  static Impression impression(long i) {
    Random rnd = new Random(i * 7919 + 1);
    return LabelFixtures.imp("i" + i, T0 + (long) (rnd.nextDouble() * 24 * 3_600_000L));
  }

  /** The click on impression i with probability clickRate, exponential delay of mean 5 min. */
  static Click click(long i, double clickRate) {
    Random rnd = new Random(i * 7919 + 1);
    long t = T0 + (long) (rnd.nextDouble() * 24 * 3_600_000L);
    if (rnd.nextDouble() >= clickRate) {
      return null;
    }
    long delay = 1 + (long) (-300_000 * Math.log(1 - rnd.nextDouble()));
    return LabelFixtures.click("c" + i, "i" + i, t + delay);
  }

  static final class GenerateFn extends DoFn<Long, Impression> {
    private final double clickRate;

    GenerateFn(double clickRate) {
      this.clickRate = clickRate;
    }

    @ProcessElement
    public void process(@Element Long i, MultiOutputReceiver out) {
      Impression imp = impression(i);
      out.get(IMPS)
          .outputWithTimestamp(imp, new org.joda.time.Instant(imp.getEventTime().toEpochMilli()));
      Click c = click(i, clickRate);
      if (c != null) {
        out.get(CLICKS)
            .outputWithTimestamp(c, new org.joda.time.Instant(c.getEventTime().toEpochMilli()));
      }
    }
  }

  public static void main(String[] args) throws Exception {
    int n = 100_000;
    double clickRate = 0.02;
    int buckets = 64;
    boolean stateful = false;
    LabelMode mode = LabelMode.WAIT;
    List<String> beamArgs = new ArrayList<>();
    for (String a : args) {
      if (a.startsWith("--impressions=")) {
        n = Integer.parseInt(a.substring(14));
      } else if (a.startsWith("--clickRate=")) {
        clickRate = Double.parseDouble(a.substring(12));
      } else if (a.startsWith("--buckets=")) {
        buckets = Integer.parseInt(a.substring(10));
      } else if (a.startsWith("--stateful=")) {
        stateful = Boolean.parseBoolean(a.substring(11));
      } else if (a.startsWith("--mode=")) {
        mode = LabelMode.valueOf(a.substring(7));
      } else {
        beamArgs.add(a);
      }
    }
    List<Impression> imps = new ArrayList<>(n);
    List<Click> clicks = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      imps.add(impression(i));
      Click c = click(i, clickRate);
      if (c != null) {
        clicks.add(c);
      }
    }
    long events = imps.size() + clicks.size();
    LabelImpressions t =
        LabelImpressions.create().withMode(mode).withBuckets(buckets).withStatefulInBatch(stateful);

    LabelBaseline.label(t, mode, LabelImpressions.DEFAULT_LAMBDA_PER_MS, imps, clicks, null);
    long b0 = System.nanoTime();
    LabelBaseline.Collect base =
        LabelBaseline.label(t, mode, LabelImpressions.DEFAULT_LAMBDA_PER_MS, imps, clicks, null);
    double baseSec = (System.nanoTime() - b0) / 1e9;
    double baseRate = events / baseSec;
    System.out.printf(
        "baseline  plain Java: %d events (%d impressions, %d clicks) in %.3f s = %.0f events/s, %d rows%n",
        events, imps.size(), clicks.size(), baseSec, baseRate, base.rows.size());

    PipelineOptions o = PipelineOptionsFactory.fromArgs(beamArgs.toArray(new String[0])).create();
    Pipeline p = Pipeline.create(o);
    // Generated inside the pipeline: a Create of 100k elements is re-serialized per bundle on
    // Direct.
    PCollectionTuple gen =
        p.apply("Sequence", GenerateSequence.from(0).to(n))
            .apply(
                "Generate",
                ParDo.of(new GenerateFn(clickRate)).withOutputTags(IMPS, TupleTagList.of(CLICKS)));
    LabelInputs.of(
            gen.get(IMPS).setCoder(AvroCoder.of(Impression.class)),
            gen.get(CLICKS).setCoder(AvroCoder.of(Click.class)))
        .apply("Label", t);
    // Twice, the second timed: the first pays the JVM's and the runner's warm-up, which the
    // comparison rows after it would not.
    long w0 = System.nanoTime();
    p.run().waitUntilFinish();
    System.out.printf(
        "LabelImpressions, first (cold) run: %.3f s%n", (System.nanoTime() - w0) / 1e9);
    long p0 = System.nanoTime();
    PipelineResult r = p.run();
    r.waitUntilFinish();
    double beamSec = (System.nanoTime() - p0) / 1e9;
    double beamRate = events / beamSec;
    long pos = LabelFixtures.counter(r, LabelRules.NAMESPACE, "clicked_positive");
    long neg = LabelFixtures.counter(r, LabelRules.NAMESPACE, "clicked_negative");
    System.out.printf(
        "beam %s%s buckets=%d: %.3f s = %.0f events/s, %d rows (%d positive), ratio to baseline %.4f%n",
        o.getRunner().getSimpleName(),
        stateful ? " stateful" : " GBK",
        buckets,
        beamSec,
        beamRate,
        pos + neg,
        pos,
        beamRate / baseRate);
    System.out.printf(
        "dead letters counted: orphan=%d outside=%d%n",
        LabelFixtures.counter(r, DeadLetters.NAMESPACE, "click_ORPHAN_CLICK"),
        LabelFixtures.counter(r, DeadLetters.NAMESPACE, "click_CLICK_OUTSIDE_WINDOW"));

    // The comparison row: the obvious design (one key, state and timer per impression), same input.
    Pipeline q = Pipeline.create(o);
    PCollectionTuple gen2 =
        q.apply("Sequence", GenerateSequence.from(0).to(n))
            .apply(
                "Generate",
                ParDo.of(new GenerateFn(clickRate)).withOutputTags(IMPS, TupleTagList.of(CLICKS)));
    ObviousLabelDesign.inputs(
            gen2.get(IMPS).setCoder(AvroCoder.of(Impression.class)),
            gen2.get(CLICKS).setCoder(AvroCoder.of(Click.class)))
        .apply("LabelObviously", new ObviousLabelDesign(t.clickRules().windowMs(), 2 * 3_600_000L));
    long q0 = System.nanoTime();
    PipelineResult qr = q.run();
    qr.waitUntilFinish();
    double obviousSec = (System.nanoTime() - q0) / 1e9;
    long obviousPos = LabelFixtures.counter(qr, ObviousLabelDesign.NAMESPACE, "positive");
    System.out.printf(
        "obvious design (key, state, timer per impression): %.3f s = %.0f events/s, %d positive%s%n",
        obviousSec,
        events / obviousSec,
        obviousPos,
        obviousPos == pos ? "" : " (DIFFERS from LabelImpressions)");
    System.out.printf("LabelImpressions / obvious design = %.2f%n", obviousSec / beamSec);

    // The floors of any labeling on this runner: the same events grouped once, and nothing else
    // (no state, no timer, no row written); by impression_id, and by LabelImpressions' buckets.
    double floorSec = floor(o, n, clickRate, 0);
    double bucketFloorSec = floor(o, n, clickRate, buckets);
    System.out.printf(
        "floor (one GroupByKey of the same events by impression_id, nothing else): %.3f s = %.0f"
            + " events/s; obvious design / floor = %.2f, LabelImpressions / floor = %.2f%n",
        floorSec, events / floorSec, floorSec / obviousSec, floorSec / beamSec);
    System.out.printf(
        "floor (one GroupByKey of the same events by %d buckets of impression_id, nothing else):"
            + " %.3f s = %.0f events/s; LabelImpressions / this floor = %.2f%n",
        buckets, bucketFloorSec, events / bucketFloorSec, bucketFloorSec / beamSec);
  }

  /** Seconds to group the benchmark's events once, by impression_id or (buckets > 0) its bucket. */
  private static double floor(PipelineOptions o, int n, double clickRate, int buckets) {
    Pipeline f = Pipeline.create(o);
    PCollectionTuple gen =
        f.apply("Sequence", GenerateSequence.from(0).to(n))
            .apply(
                "Generate",
                ParDo.of(new GenerateFn(clickRate)).withOutputTags(IMPS, TupleTagList.of(CLICKS)));
    PCollection<KV<String, LabelEvent>> events =
        ObviousLabelDesign.inputs(
                gen.get(IMPS).setCoder(AvroCoder.of(Impression.class)),
                gen.get(CLICKS).setCoder(AvroCoder.of(Click.class)))
            .apply("FlattenEvents", Flatten.pCollections());
    if (buckets > 0) {
      events
          .apply(
              "KeyByBucket",
              WithKeys.of((KV<String, LabelEvent> e) -> Buckets.of(e.getKey(), buckets)))
          .setCoder(
              KvCoder.of(VarIntCoder.of(), KvCoder.of(StringUtf8Coder.of(), LabelEventCoder.of())))
          .apply("GroupByBucket", GroupByKey.create())
          .apply("CountGroups", ParDo.of(new CountGroupsFn<>()));
    } else {
      events
          .apply("GroupByImpression", GroupByKey.create())
          .apply("CountGroups", ParDo.of(new CountGroupsFn<>()));
    }
    long f0 = System.nanoTime();
    PipelineResult fr = f.run();
    fr.waitUntilFinish();
    double sec = (System.nanoTime() - f0) / 1e9;
    if (LabelFixtures.counter(fr, "floor", "groups") == 0) {
      throw new IllegalStateException("the floor run grouped nothing");
    }
    return sec;
  }

  static final class CountGroupsFn<K, V> extends DoFn<KV<K, Iterable<V>>, Void> {
    private final Counter groups = Metrics.counter("floor", "groups");

    @ProcessElement
    public void process() {
      groups.inc();
    }
  }
}
