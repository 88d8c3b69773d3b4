package io.ctrbeam.serving;

import io.ctrbeam.schema.FeatureSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a {@link FeatureSnapshot} is laid out in Redis: one hash per entity at {@code
 * <prefix>:<key_kind>:<key>} (default prefix {@code ctr:feat}), e.g. {@code ctr:feat:user:u42} or
 * {@code ctr:feat:user_category:u42|sports}. Fields, all decimal strings: {@code as_of} (epoch
 * millis), {@code impressions_24h}, {@code clicks_24h}, {@code ctr_24h} (absent when null), {@code
 * decayed_impressions}, {@code decayed_clicks}, {@code decayed_ctr}. Doubles are written with
 * {@link Double#toString}, so they read back exactly.
 */
public final class RedisFeatureLayout {
  /** The default key prefix. */
  public static final String DEFAULT_PREFIX = "ctr:feat";

  public static final String AS_OF = "as_of";
  public static final String IMPRESSIONS_24H = "impressions_24h";
  public static final String CLICKS_24H = "clicks_24h";
  public static final String CTR_24H = "ctr_24h";
  public static final String DECAYED_IMPRESSIONS = "decayed_impressions";
  public static final String DECAYED_CLICKS = "decayed_clicks";
  public static final String DECAYED_CTR = "decayed_ctr";

  private RedisFeatureLayout() {}

  /** The Redis key of one entity. */
  public static String key(String prefix, String keyKind, String key) {
    return prefix + ":" + keyKind + ":" + key;
  }

  /** The hash fields of a snapshot except {@code as_of}, as alternating names and values. */
  static List<String> fieldsAfterAsOf(FeatureSnapshot s) {
    List<String> kv = new ArrayList<>(12);
    add(kv, IMPRESSIONS_24H, Long.toString(s.getImpressions24h()));
    add(kv, CLICKS_24H, Long.toString(s.getClicks24h()));
    if (s.getCtr24h() != null) {
      add(kv, CTR_24H, Double.toString(s.getCtr24h()));
    }
    add(kv, DECAYED_IMPRESSIONS, Double.toString(s.getDecayedImpressions()));
    add(kv, DECAYED_CLICKS, Double.toString(s.getDecayedClicks()));
    add(kv, DECAYED_CTR, Double.toString(s.getDecayedCtr()));
    return kv;
  }

  /** All hash fields of a snapshot. */
  public static Map<String, String> fields(FeatureSnapshot s) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(AS_OF, Long.toString(s.getAsOf().toEpochMilli()));
    List<String> kv = fieldsAfterAsOf(s);
    for (int i = 0; i < kv.size(); i += 2) {
      m.put(kv.get(i), kv.get(i + 1));
    }
    return m;
  }

  /** The snapshot a hash holds. */
  public static FeatureSnapshot fromFields(String keyKind, String key, Map<String, String> h) {
    String ctr = h.get(CTR_24H);
    return FeatureSnapshot.newBuilder()
        .setKeyKind(keyKind)
        .setKey(key)
        .setAsOf(Instant.ofEpochMilli(Long.parseLong(h.get(AS_OF))))
        .setImpressions24h(Long.parseLong(h.get(IMPRESSIONS_24H)))
        .setClicks24h(Long.parseLong(h.get(CLICKS_24H)))
        .setCtr24h(ctr == null ? null : Double.parseDouble(ctr))
        .setDecayedImpressions(Double.parseDouble(h.get(DECAYED_IMPRESSIONS)))
        .setDecayedClicks(Double.parseDouble(h.get(DECAYED_CLICKS)))
        .setDecayedCtr(Double.parseDouble(h.get(DECAYED_CTR)))
        .build();
  }

  private static void add(List<String> kv, String name, String value) {
    kv.add(name);
    kv.add(value);
  }
}
