package io.ctrbeam.features;

import static io.ctrbeam.features.FeatureScenario.H;
import static io.ctrbeam.features.FeatureScenario.MIN;
import static io.ctrbeam.features.FeatureScenario.T0;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.lessThan;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.ReadableState;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

/**
 * Bytes written to state per event of a hot key (one event every 30 s, 5% clicks, for 30 h): the
 * old layout rewrote the key's whole 26 h history (one MapState value) on every event; the {@link
 * EntityStore} rewrites one small entry and one time slice. Every state write is encoded with the
 * state's own coder and counted.
 */
class EntityStoreBytesTest {
  static final FeatureParams P = AddPointInTimeFeaturesTest.P;
  static final long RETENTION = 2 * H;

  /** A counter of encoded bytes written. */
  static final class Bytes {
    long n;

    <T> byte[] encode(Coder<T> coder, T value) {
      try {
        byte[] b = CoderUtils.encodeToByteArray(coder, value);
        n += b.length;
        return b;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    static <T> T decode(Coder<T> coder, byte[] b) {
      try {
        return b == null ? null : CoderUtils.decodeFromByteArray(coder, b);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  static <T> ReadableState<T> readable(T value) {
    return new ReadableState<T>() {
      @Override
      public T read() {
        return value;
      }

      @Override
      public ReadableState<T> readLater() {
        return this;
      }
    };
  }

  /** A MapState that stores encoded values and counts the bytes of each put. */
  @SuppressWarnings("unchecked")
  static <K, V> MapState<K, V> mapState(Coder<V> coder, Bytes bytes) {
    Map<K, byte[]> m = new HashMap<>();
    return (MapState<K, V>)
        Proxy.newProxyInstance(
            MapState.class.getClassLoader(),
            new Class<?>[] {MapState.class},
            (proxy, method, args) -> {
              switch (method.getName()) {
                case "put":
                  m.put((K) args[0], bytes.encode(coder, (V) args[1]));
                  return null;
                case "get":
                  return readable(Bytes.decode(coder, m.get(args[0])));
                case "remove":
                  m.remove(args[0]);
                  return null;
                case "clear":
                  m.clear();
                  return null;
                default:
                  throw new UnsupportedOperationException(method.getName());
              }
            });
  }

  @SuppressWarnings("unchecked")
  static ValueState<Long> valueState(Bytes bytes) {
    Long[] v = new Long[1];
    return (ValueState<Long>)
        Proxy.newProxyInstance(
            ValueState.class.getClassLoader(),
            new Class<?>[] {ValueState.class},
            (proxy, method, args) -> {
              switch (method.getName()) {
                case "write":
                  v[0] = (Long) args[0];
                  bytes.encode(VarLongCoder.of(), v[0]);
                  return null;
                case "read":
                  return v[0];
                case "clear":
                  v[0] = null;
                  return null;
                case "readLater":
                  return proxy;
                default:
                  throw new UnsupportedOperationException(method.getName());
              }
            });
  }

  static Timer timer() {
    return (Timer)
        Proxy.newProxyInstance(
            Timer.class.getClassLoader(),
            new Class<?>[] {Timer.class},
            (proxy, method, args) -> method.getReturnType() == Timer.class ? proxy : null);
  }

  static TimerMap timerMap() {
    Timer t = timer();
    return (TimerMap)
        Proxy.newProxyInstance(
            TimerMap.class.getClassLoader(),
            new Class<?>[] {TimerMap.class},
            (proxy, method, args) -> method.getName().equals("get") ? t : null);
  }

  @Test
  void hotKeyWritesASliceAndAnEntryNotItsHistory() {
    CountFeaturesLookup logic = new CountFeaturesLookup(KeyKind.USER, P);
    EntityStore<String, EntityHistory> store =
        new EntityStore<>(logic, logic.sliceMillis(), logic.idleExpiryMillis(RETENTION));
    Bytes after = new Bytes();
    EntityStore.Bucket<String, EntityHistory> b =
        new EntityStore.Bucket<>(
            mapState(new EntityEntry.EntryCoder<>(logic.stateCoder()), after),
            mapState(store.sliceCoder(), after),
            mapState(KvCoder.of(VarLongCoder.of(), VarLongCoder.of()), after),
            mapState(ListCoder.of(StringUtf8Coder.of()), after),
            valueState(after),
            timerMap(),
            Long.MIN_VALUE);
    Bytes before = new Bytes();
    MapState<String, EntityHistory> old = mapState(logic.stateCoder(), before);

    long end = T0 + 30 * H;
    long steadyFrom = end - 4 * H;
    long beforeSteady = 0;
    long afterSteady = 0;
    long steadyEvents = 0;
    int k = 0;
    for (long t = T0; t < end; t += 30_000, k++) {
      String click = k % 20 == 0 ? "imp-" + k : null;
      long fired = t - MIN;
      long foldTo = logic.horizonFor(fired - RETENTION);
      long b0 = before.n;
      long a0 = after.n;
      // The old StreamFn.process: read the history, add, compact, write it all back.
      EntityHistory h = old.get("hot").read();
      h = logic.add(h == null ? logic.newState() : h, t, click);
      old.put("hot", logic.compact(h, foldTo));
      store.add(b, "hot", t, click, foldTo);
      if (t >= steadyFrom) {
        beforeSteady += before.n - b0;
        afterSteady += after.n - a0;
        steadyEvents++;
      }
    }
    double perEventBefore = (double) beforeSteady / steadyEvents;
    double perEventAfter = (double) afterSteady / steadyEvents;
    System.out.printf(
        "hot key, 1 event / 30 s: state bytes written per event %.0f before (whole history), %.0f after (entry + slice)%n",
        perEventBefore, perEventAfter);
    assertThat(perEventAfter * 20, lessThan(perEventBefore));

    // Both layouts hold the same features.
    long q = end + MIN;
    FeatureValues a = store.read(b, "hot").valuesAt(q, false, P);
    FeatureValues o = old.get("hot").read().valuesAt(q, false, P);
    assertThat(
        Math.abs(a.impressions24h - o.impressions24h) + Math.abs(a.clicks24h - o.clicks24h),
        lessThan(1L));
    FeatureAssertions.assertClose(o.decayedImpressions, a.decayedImpressions, "decayed imps");
    FeatureAssertions.assertClose(o.decayedClicks, a.decayedClicks, "decayed clicks");
  }
}
