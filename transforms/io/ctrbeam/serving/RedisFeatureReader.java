package io.ctrbeam.serving;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.schema.FeatureSnapshot;
import java.util.Map;
import java.util.Optional;
import redis.clients.jedis.Jedis;

/**
 * Reads features back from the Redis hot tier ({@link RedisFeatureLayout}) with plain Jedis: for
 * tests, the consistency report and ad-hoc checks. Not thread-safe; close it.
 */
public final class RedisFeatureReader implements AutoCloseable {
  private final Jedis jedis;
  private final String keyPrefix;

  private RedisFeatureReader(Jedis jedis, String keyPrefix) {
    this.jedis = jedis;
    this.keyPrefix = keyPrefix;
  }

  /** Connects to {@code host:port} with the default key prefix. */
  public static RedisFeatureReader connect(String host, int port) {
    return connect(host, port, RedisFeatureLayout.DEFAULT_PREFIX);
  }

  /** Connects to {@code host:port}, reading keys under {@code keyPrefix}. */
  public static RedisFeatureReader connect(String host, int port, String keyPrefix) {
    checkArgument(keyPrefix != null && !keyPrefix.isEmpty(), "keyPrefix must not be empty");
    return new RedisFeatureReader(new Jedis(host, port), keyPrefix);
  }

  /** The features stored for one entity, if any. */
  public Optional<FeatureSnapshot> read(String keyKind, String key) {
    Map<String, String> h = jedis.hgetAll(RedisFeatureLayout.key(keyPrefix, keyKind, key));
    if (h == null || h.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(RedisFeatureLayout.fromFields(keyKind, key, h));
  }

  /** The raw hash fields of one entity (empty when absent). */
  public Map<String, String> rawFields(String keyKind, String key) {
    return jedis.hgetAll(RedisFeatureLayout.key(keyPrefix, keyKind, key));
  }

  /** Remaining time to live in millis; -2 when the key is absent, -1 when it has no TTL. */
  public long ttlMillis(String keyKind, String key) {
    return jedis.pttl(RedisFeatureLayout.key(keyPrefix, keyKind, key));
  }

  @Override
  public void close() {
    jedis.close();
  }
}
