package io.ctrbeam.features;

import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * N examples (default 100k) through {@link AddPointInTimeFeatures} on the DirectRunner (bounded)
 * against a plain-Java sweep over the same data in the same process, with the same per-entity
 * feature code.
 *
 * <pre>
 * mvn -o -q test-compile exec:java -DmainClass=io.ctrbeam.features.FeaturesBenchmark \
 *   -Dexec.classpathScope=test -Dexec.args="100000 64"
 * </pre>
 *
 * <p>A third argument {@code plain} runs the plain-Java sweep only.
 */
public final class FeaturesBenchmark {
  private FeaturesBenchmark() {}

  static FeatureScenario synthetic(int n, long seed) {
    Random r = new Random(seed);
    FeatureScenario s = new FeatureScenario();
    long span = 7 * 24 * FeatureScenario.H;
    for (int k = 0; k < n; k++) {
      long t = FeatureScenario.T0 + (long) (r.nextDouble() * span);
      int ad = r.nextInt(500);
      Long click = r.nextDouble() < 0.02 ? t + 1000 + r.nextInt(30 * 60_000) : null;
      s.add("i" + k, t, "u" + r.nextInt(5000), "a" + ad, "v" + (ad % 50), "c" + (ad % 20), click);
    }
    return s;
  }

  /** The plain-Java baseline: per kind, group by key, sort, sweep; returns a checksum. */
  static double plainJava(FeatureScenario s, FeatureParams p) {
    double checksum = 0;
    for (KeyKind kind : KeyKind.values()) {
      Map<String, List<AsOfElement<String>>> byKey = new HashMap<>();
      for (Impression i : s.impressions) {
        String key = kind.keyOf(i);
        if (key != null) {
          byKey
              .computeIfAbsent(key, x -> new ArrayList<>())
              .add(AsOfElement.event(key, i.getEventTime().toEpochMilli(), null));
        }
      }
      for (TrainingExample e : s.examples) {
        String key = kind.keyOf(e);
        if (key == null) {
          continue;
        }
        List<AsOfElement<String>> l = byKey.computeIfAbsent(key, x -> new ArrayList<>());
        if (e.getClicked() == 1) {
          l.add(AsOfElement.event(key, e.getClickTime().toEpochMilli(), e.getImpressionId()));
        }
        l.add(
            AsOfElement.query(
                key, e.getImpressionId(), e.getEventTime().toEpochMilli(), Long.MIN_VALUE));
      }
      for (List<AsOfElement<String>> items : byKey.values()) {
        items.sort(BucketedAsOf.order(false));
        EntityHistory h = new EntityHistory(p.lambdaPerMs);
        for (AsOfElement<String> i : items) {
          if (i.isQuery()) {
            h.compact(i.time - p.windowMillis);
            FeatureValues v = h.valuesAt(i.time, false, p);
            checksum += v.impressions24h + v.decayedCtr;
          } else {
            h.add(i.time, i.event != null, i.event);
          }
        }
      }
    }
    return checksum;
  }

  /** Counts outputs with a metric. */
  static final class CountFn extends DoFn<TrainingExample, Void> {
    private final Counter out = Metrics.counter(FeaturesBenchmark.class, "examples_out");

    @ProcessElement
    public void process(@Element TrainingExample e) {
      out.inc();
    }
  }

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int buckets = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    FeatureScenario s = synthetic(n, 42);
    FeatureParams p =
        new FeatureParams(
            24 * FeatureScenario.H,
            24 * FeatureScenario.H,
            FeatureParams.DEFAULT_ALPHA,
            FeatureParams.DEFAULT_BETA);

    plainJava(s, p); // warm-up
    long t0 = System.nanoTime();
    double checksum = plainJava(s, p);
    double javaSec = (System.nanoTime() - t0) / 1e9;
    if (args.length > 2 && args[2].equals("plain")) {
      System.out.printf("plain-java sweep: %.3f s for %d examples%n", javaSec, s.examples.size());
      return;
    }

    Pipeline pipeline =
        Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    PCollection<Impression> imps =
        pipeline.apply(
            "Impressions", Create.of(s.impressions).withCoder(AvroCoder.of(Impression.class)));
    pipeline
        .apply("Examples", Create.of(s.examples).withCoder(AvroCoder.of(TrainingExample.class)))
        .apply("AddFeatures", AddPointInTimeFeatures.from(imps).withBuckets(buckets))
        .apply("Count", ParDo.of(new CountFn()));
    long t1 = System.nanoTime();
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    double beamSec = (System.nanoTime() - t1) / 1e9;
    long outCount = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(FeaturesBenchmark.class, "examples_out"))
                    .build())
            .getCounters()) {
      outCount += c.getAttempted();
    }
    System.out.printf(
        "examples=%d buckets=%d out=%d%nplain-java sweep: %.3f s (%.0f examples/s, checksum %.3f)%n"
            + "DirectRunner AddPointInTimeFeatures: %.2f s (%.0f examples/s)%nratio Beam/plain: %.0fx%n",
        s.examples.size(),
        buckets,
        outCount,
        javaSec,
        s.examples.size() / javaSec,
        checksum,
        beamSec,
        s.examples.size() / beamSec,
        beamSec / javaSec);
  }
}
