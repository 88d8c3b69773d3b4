package io.ctrbeam.baseline;

import io.ctrbeam.features.FeatureParams;
import java.util.Arrays;

/**
 * Point-in-time features of one key kind over a whole data set, in one sorted pass: events and
 * queries are sorted by (key, time), and each query sees the events of its key strictly before its
 * time. The window counts use a trailing pointer; the decayed sums are carried forward with one
 * exponential per step. No Beam, no per-key objects: parallel primitive arrays.
 */
final class PointInTimeSweep {
  private final FeatureParams params;
  private int[] eventKey = new int[1024];
  private long[] eventTime = new long[1024];
  private boolean[] eventClick = new boolean[1024];
  private int events;

  PointInTimeSweep(FeatureParams params) {
    this.params = params;
  }

  /** Adds an impression (click = false) or click event of key id {@code key}. */
  void addEvent(int key, long time, boolean click) {
    if (events == eventKey.length) {
      int n = events * 2;
      eventKey = Arrays.copyOf(eventKey, n);
      eventTime = Arrays.copyOf(eventTime, n);
      eventClick = Arrays.copyOf(eventClick, n);
    }
    eventKey[events] = key;
    eventTime[events] = time;
    eventClick[events] = click;
    events++;
  }

  /**
   * Answers queries {@code (queryKey[i], queryTime[i])}; a negative key has no features. Returns,
   * per query, {imps24h, clicks24h, decayedImps, decayedClicks} in {@code out[4 * i ...]}.
   */
  double[] answer(int[] queryKey, long[] queryTime) {
    int[] eo = order(eventKey, eventTime, events);
    int[] qo = order(queryKey, queryTime, queryKey.length);
    double[] out = new double[4 * queryKey.length];
    double lambda = params.lambdaPerMs();
    long window = params.windowMillis();
    int e = 0;
    int tail = 0;
    int curKey = Integer.MIN_VALUE;
    long winImps = 0;
    long winClicks = 0;
    double dImps = 0;
    double dClicks = 0;
    long at = 0;
    for (int qi : qo) {
      int k = queryKey[qi];
      long t = queryTime[qi];
      if (k < 0) {
        out[4 * qi] = Double.NaN;
        continue;
      }
      if (k != curKey) {
        while (e < events && eventKey[eo[e]] < k) {
          e++;
        }
        tail = e;
        curKey = k;
        winImps = winClicks = 0;
        dImps = dClicks = 0;
        at = Long.MIN_VALUE;
      }
      while (e < events && eventKey[eo[e]] == k && eventTime[eo[e]] < t) {
        int ev = eo[e];
        if (at != Long.MIN_VALUE) {
          double f = Math.exp(-lambda * (eventTime[ev] - at));
          dImps *= f;
          dClicks *= f;
        }
        at = eventTime[ev];
        if (eventClick[ev]) {
          dClicks += 1;
          winClicks++;
        } else {
          dImps += 1;
          winImps++;
        }
        e++;
      }
      while (tail < e && eventTime[eo[tail]] <= t - window) {
        if (eventClick[eo[tail]]) {
          winClicks--;
        } else {
          winImps--;
        }
        tail++;
      }
      double f = at == Long.MIN_VALUE ? 0 : Math.exp(-lambda * (t - at));
      out[4 * qi] = winImps;
      out[4 * qi + 1] = winClicks;
      out[4 * qi + 2] = dImps * f;
      out[4 * qi + 3] = dClicks * f;
    }
    return out;
  }

  private static final int INDEX_BITS = 25;
  private static final int TIME_BITS = 38;

  /**
   * Indices sorted by (key, time): a primitive sort of (time, index) packed in a long, then a
   * stable counting sort by key. Up to 2^25 elements over 2^38 ms (8 years).
   */
  private static int[] order(int[] key, long[] time, int n) {
    if (n >= 1 << INDEX_BITS) {
      throw new IllegalArgumentException("the baseline sorts at most 2^25 elements, got " + n);
    }
    long min = Long.MAX_VALUE;
    int maxKey = -1;
    for (int i = 0; i < n; i++) {
      min = Math.min(min, time[i]);
      maxKey = Math.max(maxKey, key[i]);
    }
    long[] packed = new long[n];
    for (int i = 0; i < n; i++) {
      long rel = time[i] - min;
      if (rel >>> TIME_BITS != 0) {
        throw new IllegalArgumentException("the baseline covers at most 2^38 ms of event time");
      }
      packed[i] = rel << INDEX_BITS | i;
    }
    Arrays.sort(packed);
    int[] start = new int[maxKey + 3];
    for (int i = 0; i < n; i++) {
      start[key[i] + 2]++;
    }
    for (int k = 1; k < start.length; k++) {
      start[k] += start[k - 1];
    }
    int[] out = new int[n];
    for (long p : packed) {
      int i = (int) (p & ((1 << INDEX_BITS) - 1));
      out[start[key[i] + 1]++] = i;
    }
    return out;
  }
}
