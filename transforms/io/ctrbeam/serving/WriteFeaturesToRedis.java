package io.ctrbeam.serving;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.schema.FeatureSnapshot;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.joda.time.Duration;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * Writes each key's current features to Redis, the hot tier of the speed layer (contract §3).
 *
 * <p>Key layout (see {@link RedisFeatureLayout}): one hash per entity at {@code
 * ctr:feat:<key_kind>:<key>} with fields {@code as_of} (epoch millis), {@code impressions_24h},
 * {@code clicks_24h}, {@code ctr_24h} (absent when null), {@code decayed_impressions}, {@code
 * decayed_clicks}, {@code decayed_ctr}; the whole hash expires after the TTL (default 48 h),
 * renewed by every write.
 *
 * <p>An older snapshot never overwrites a newer one: a Lua script compares {@code as_of} with the
 * stored one and writes only when it is not older (an equal {@code as_of} rewrites, so a
 * redelivered bundle is idempotent); the hash is replaced whole, so a field that became null
 * disappears. Writes are pipelined, {@link #withBatchSize} a round trip. Metrics in namespace
 * {@value #METRICS_NAMESPACE}: {@code written}, {@code stale_skipped}.
 */
public final class WriteFeaturesToRedis extends PTransform<PCollection<FeatureSnapshot>, PDone> {
  public static final String METRICS_NAMESPACE = "ctrbeam.redis";

  /** KEYS[1] = hash key; ARGV = as_of, ttl millis, then field/value pairs. 1 written, 0 stale. */
  static final String GUARDED_WRITE =
      "local cur = redis.call('HGET', KEYS[1], 'as_of')\n"
          + "if cur and tonumber(cur) > tonumber(ARGV[1]) then return 0 end\n"
          + "redis.call('DEL', KEYS[1])\n"
          + "redis.call('HSET', KEYS[1], 'as_of', ARGV[1], unpack(ARGV, 3))\n"
          + "redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
          + "return 1\n";

  private final String host;
  private final int port;
  private final String keyPrefix;
  private final Duration ttl;
  private final int batchSize;

  private WriteFeaturesToRedis(
      String host, int port, String keyPrefix, Duration ttl, int batchSize) {
    this.host = host;
    this.port = port;
    this.keyPrefix = keyPrefix;
    this.ttl = ttl;
    this.batchSize = batchSize;
  }

  /** Writes to the Redis server at {@code host:port}. */
  public static WriteFeaturesToRedis to(String host, int port) {
    checkArgument(host != null && !host.isEmpty(), "host must not be empty");
    checkArgument(port > 0 && port < 65536, "port out of range: %s", port);
    return new WriteFeaturesToRedis(
        host, port, RedisFeatureLayout.DEFAULT_PREFIX, Duration.standardHours(48), 500);
  }

  /** How long a key lives after its last write; default 48 h. */
  public WriteFeaturesToRedis withTtl(Duration ttl) {
    checkArgument(ttl != null && ttl.getMillis() > 0, "ttl must be > 0, got %s", ttl);
    return new WriteFeaturesToRedis(host, port, keyPrefix, ttl, batchSize);
  }

  /** The key prefix; default {@code ctr:feat}. */
  public WriteFeaturesToRedis withKeyPrefix(String keyPrefix) {
    checkArgument(keyPrefix != null && !keyPrefix.isEmpty(), "keyPrefix must not be empty");
    return new WriteFeaturesToRedis(host, port, keyPrefix, ttl, batchSize);
  }

  /** Writes per pipelined round trip; default 500. */
  public WriteFeaturesToRedis withBatchSize(int batchSize) {
    checkArgument(batchSize > 0, "batchSize must be > 0, got %s", batchSize);
    return new WriteFeaturesToRedis(host, port, keyPrefix, ttl, batchSize);
  }

  @Override
  public PDone expand(PCollection<FeatureSnapshot> input) {
    input.apply(
        "GuardedHashWrites",
        ParDo.of(new WriteFn(host, port, keyPrefix, ttl.getMillis(), batchSize)));
    return PDone.in(input.getPipeline());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("redis", host + ":" + port))
        .add(DisplayData.item("keyPrefix", keyPrefix))
        .add(DisplayData.item("ttl", ttl))
        .add(DisplayData.item("batchSize", batchSize));
  }

  private static final class WriteFn extends DoFn<FeatureSnapshot, Void> {
    private final Counter written = Metrics.counter(METRICS_NAMESPACE, "written");
    private final Counter staleSkipped = Metrics.counter(METRICS_NAMESPACE, "stale_skipped");
    private final String host;
    private final int port;
    private final String keyPrefix;
    private final String ttlMillis;
    private final int batchSize;
    private transient Jedis jedis;
    private transient Pipeline pipeline;
    private transient String sha;
    private transient List<Response<Object>> pending;

    WriteFn(String host, int port, String keyPrefix, long ttlMillis, int batchSize) {
      this.host = host;
      this.port = port;
      this.keyPrefix = keyPrefix;
      this.ttlMillis = Long.toString(ttlMillis);
      this.batchSize = batchSize;
    }

    @Setup
    public void setup() {
      jedis = new Jedis(host, port);
    }

    @StartBundle
    public void startBundle() {
      // Loaded per bundle so that a restarted server never answers NOSCRIPT.
      sha = jedis.scriptLoad(GUARDED_WRITE);
      pipeline = jedis.pipelined();
      pending = new ArrayList<>(batchSize);
    }

    @ProcessElement
    public void process(@Element FeatureSnapshot s) {
      List<String> args = new ArrayList<>(14);
      args.add(Long.toString(s.getAsOf().toEpochMilli()));
      args.add(ttlMillis);
      args.addAll(RedisFeatureLayout.fieldsAfterAsOf(s));
      String key = RedisFeatureLayout.key(keyPrefix, s.getKeyKind(), s.getKey());
      pending.add(pipeline.evalsha(sha, List.of(key), args));
      if (pending.size() >= batchSize) {
        flush();
      }
    }

    @FinishBundle
    public void finishBundle() {
      flush();
    }

    private void flush() {
      pipeline.sync();
      for (Response<Object> r : pending) {
        if (((Number) r.get()).longValue() == 1L) {
          written.inc();
        } else {
          staleSkipped.inc();
        }
      }
      pending.clear();
    }

    @Teardown
    public void teardown() {
      if (jedis != null) {
        jedis.close();
      }
    }
  }
}
