package io.ctrbeam.serving;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.Buckets;
import io.ctrbeam.common.RecordJson;
import io.ctrbeam.schema.FeatureSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Online/offline consistency: compares the batch layer's feature snapshots with what the speed
 * layer serves from Redis. For each key in the batch table, Redis is read once: a key Redis lacks
 * is {@code missing}; otherwise the batch row with Redis's {@code as_of} is compared field by field
 * to a relative tolerance ({@code matched} or {@code mismatched}); a Redis value at a time the
 * batch table has no row for is {@code not_comparable}. Counts go to Beam Metrics in {@value
 * #NAMESPACE}; every key that is not matched comes out as a JSON line saying why.
 *
 * <p>Keys are hashed into buckets (one Beam key each), so Redis sees one read per entity.
 */
public final class CheckConsistency
    extends PTransform<PCollection<FeatureSnapshot>, PCollection<String>> {
  public static final String NAMESPACE = "ctrbeam.consistency";

  private final String host;
  private final int port;
  private final double tolerance;
  private final int buckets;

  private CheckConsistency(String host, int port, double tolerance, int buckets) {
    this.host = host;
    this.port = port;
    this.tolerance = tolerance;
    this.buckets = buckets;
  }

  /** Compares against the Redis at {@code host:port}, to 1e-9 relative, in 16 buckets. */
  public static CheckConsistency against(String host, int port) {
    checkArgument(host != null && !host.isEmpty(), "host must not be empty, got %s", host);
    checkArgument(port > 0, "port must be positive, got %s", port);
    return new CheckConsistency(host, port, 1e-9, 16);
  }

  /** The relative tolerance of a numeric field. */
  public CheckConsistency withTolerance(double relative) {
    checkArgument(relative >= 0, "tolerance must be >= 0, got %s", relative);
    return new CheckConsistency(host, port, relative, buckets);
  }

  /** The number of hash buckets (Beam keys). */
  public CheckConsistency withBuckets(int n) {
    checkArgument(n > 0, "buckets must be positive, got %s", n);
    return new CheckConsistency(host, port, tolerance, n);
  }

  @Override
  public PCollection<String> expand(PCollection<FeatureSnapshot> batch) {
    int b = buckets;
    return batch
        .apply(
            "KeyByBucket",
            WithKeys.of((FeatureSnapshot s) -> Buckets.of(entity(s), b))
                .withKeyType(TypeDescriptors.integers()))
        .setCoder(KvCoder.of(VarIntCoder.of(), AvroCoder.specific(FeatureSnapshot.class)))
        .apply("GroupByBucket", GroupByKey.create())
        .apply("CompareWithRedis", ParDo.of(new CompareFn(host, port, tolerance)));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("redis", host + ":" + port))
        .add(DisplayData.item("tolerance", tolerance))
        .add(DisplayData.item("buckets", buckets));
  }

  static String entity(FeatureSnapshot s) {
    return s.getKeyKind() + "|" + s.getKey();
  }

  /** True when two values agree to {@code tol} relative (nulls agree only with nulls). */
  static boolean close(Double a, Double b, double tol) {
    if (a == null || b == null) {
      return Objects.equals(a, b);
    }
    double scale = Math.max(Math.abs(a), Math.abs(b));
    return Math.abs(a - b) <= tol * scale;
  }

  /** The first field on which two snapshots disagree, or null. */
  static String firstDifference(FeatureSnapshot batch, FeatureSnapshot served, double tol) {
    if (batch.getImpressions24h() != served.getImpressions24h()) {
      return "impressions_24h";
    }
    if (batch.getClicks24h() != served.getClicks24h()) {
      return "clicks_24h";
    }
    if (!close(batch.getCtr24h(), served.getCtr24h(), tol)) {
      return "ctr_24h";
    }
    if (!close(batch.getDecayedImpressions(), served.getDecayedImpressions(), tol)) {
      return "decayed_impressions";
    }
    if (!close(batch.getDecayedClicks(), served.getDecayedClicks(), tol)) {
      return "decayed_clicks";
    }
    if (!close(batch.getDecayedCtr(), served.getDecayedCtr(), tol)) {
      return "decayed_ctr";
    }
    return null;
  }

  static final class CompareFn extends DoFn<KV<Integer, Iterable<FeatureSnapshot>>, String> {
    private final String host;
    private final int port;
    private final double tolerance;
    private final Counter matched = Metrics.counter(NAMESPACE, "matched");
    private final Counter mismatched = Metrics.counter(NAMESPACE, "mismatched");
    private final Counter missing = Metrics.counter(NAMESPACE, "missing");
    private final Counter notComparable = Metrics.counter(NAMESPACE, "not_comparable");
    private transient RedisFeatureReader redis;

    CompareFn(String host, int port, double tolerance) {
      this.host = host;
      this.port = port;
      this.tolerance = tolerance;
    }

    @Setup
    public void setup() {
      redis = RedisFeatureReader.connect(host, port);
    }

    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<FeatureSnapshot>> bucket, OutputReceiver<String> out) {
      Map<String, List<FeatureSnapshot>> byEntity = new LinkedHashMap<>();
      for (FeatureSnapshot s : bucket.getValue()) {
        byEntity.computeIfAbsent(entity(s), k -> new ArrayList<>()).add(s);
      }
      for (List<FeatureSnapshot> rows : byEntity.values()) {
        FeatureSnapshot any = rows.get(0);
        Optional<FeatureSnapshot> served = redis.read(any.getKeyKind(), any.getKey());
        if (served.isEmpty()) {
          missing.inc();
          out.output(verdict("missing", any, null, null));
          continue;
        }
        FeatureSnapshot s = served.get();
        FeatureSnapshot atSameTime =
            rows.stream().filter(r -> r.getAsOf().equals(s.getAsOf())).findFirst().orElse(null);
        if (atSameTime == null) {
          notComparable.inc();
          out.output(verdict("not_comparable", any, s, "as_of"));
          continue;
        }
        String diff = firstDifference(atSameTime, s, tolerance);
        if (diff == null) {
          matched.inc();
        } else {
          mismatched.inc();
          out.output(verdict("mismatched", atSameTime, s, diff));
        }
      }
    }

    private static String verdict(
        String what, FeatureSnapshot batch, FeatureSnapshot served, String field) {
      return "{\"verdict\":\""
          + what
          + "\",\"field\":"
          + (field == null ? "null" : "\"" + field + "\"")
          + ",\"batch\":"
          + RecordJson.allFields(batch)
          + ",\"served\":"
          + (served == null ? "null" : RecordJson.allFields(served))
          + "}";
    }

    @Teardown
    public void teardown() {
      if (redis != null) {
        redis.close();
      }
    }
  }
}
