package io.ctrbeam.features;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.apache.beam.sdk.coders.CustomCoder;

/**
 * The impressions and clicks of one key: the plain-Java feature state shared by the batch sweep and
 * the streaming state. Events after the {@code horizon} are kept sorted by time; older ones are
 * folded into decayed base sums (they can no longer fall in a window that is still asked for).
 * Clicks are de-duplicated by id among kept events. A {@link #retraction} id takes a click back
 * (weight −1): a label correction that moves a click earlier retracts it at its old time.
 */
public final class EntityHistory {
  /**
   * A decayed sum below this no longer matters (contract §3 parity is to 1e-9): 30 half-lives after
   * one event, 40 after a thousand.
   */
  public static final double NEGLIGIBLE = 1e-9;

  private final double lambda;
  private DecayedSum baseImps;
  private DecayedSum baseClicks;
  private DecayedSum allImps;
  private DecayedSum allClicks;
  private long maxTime = Long.MIN_VALUE;
  private long minTime = Long.MAX_VALUE;
  private long horizon = Long.MIN_VALUE;
  private long[] times = new long[4];
  private boolean[] isClick = new boolean[4];
  private String[] clickIds = new String[4];
  private int head;
  private int size;
  private long liveImps;
  private long liveClicks;
  private final Set<String> liveClickIds = new HashSet<>();

  public EntityHistory(double lambdaPerMs) {
    this.lambda = lambdaPerMs;
    this.baseImps = new DecayedSum(lambdaPerMs);
    this.baseClicks = new DecayedSum(lambdaPerMs);
    this.allImps = new DecayedSum(lambdaPerMs);
    this.allClicks = new DecayedSum(lambdaPerMs);
  }

  /** The id of an event that takes back the click {@code clickId} at the same time. */
  public static String retraction(String clickId) {
    return RETRACTION + clickId;
  }

  private static final char RETRACTION = '\u0000';

  /** +1, or −1 for a retraction. */
  private static double weight(String clickId) {
    return clickId != null && !clickId.isEmpty() && clickId.charAt(0) == RETRACTION ? -1 : 1;
  }

  /**
   * Adds one event; a click is identified by its id (the impression_id, or a {@link #retraction}).
   * Returns false for a duplicate click (same id as a kept click), which is not counted.
   */
  public boolean add(long t, boolean click, String clickId) {
    if (click && clickId != null && liveClickIds.contains(clickId)) {
      return false;
    }
    double w = click ? weight(clickId) : 1;
    (click ? allClicks : allImps).add(t, w);
    maxTime = Math.max(maxTime, t);
    minTime = Math.min(minTime, t);
    if (t <= horizon) {
      (click ? baseClicks : baseImps).add(t, w);
      return true;
    }
    insertSorted(t, click, clickId);
    return true;
  }

  private void insertSorted(long t, boolean click, String clickId) {
    if (size == times.length) {
      int n = Math.max(8, (size - head) * 2);
      long[] nt = new long[n];
      boolean[] nc = new boolean[n];
      String[] ni = new String[n];
      System.arraycopy(times, head, nt, 0, size - head);
      System.arraycopy(isClick, head, nc, 0, size - head);
      System.arraycopy(clickIds, head, ni, 0, size - head);
      times = nt;
      isClick = nc;
      clickIds = ni;
      size -= head;
      head = 0;
    }
    int pos = upperBound(t);
    System.arraycopy(times, pos, times, pos + 1, size - pos);
    System.arraycopy(isClick, pos, isClick, pos + 1, size - pos);
    System.arraycopy(clickIds, pos, clickIds, pos + 1, size - pos);
    times[pos] = t;
    isClick[pos] = click;
    clickIds[pos] = click ? clickId : null;
    size++;
    if (click) {
      liveClicks += (long) weight(clickId);
      if (clickId != null) {
        liveClickIds.add(clickId);
      }
    } else {
      liveImps++;
    }
  }

  /** First kept index whose time is > t. */
  private int upperBound(long t) {
    int lo = head;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (times[mid] <= t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** First kept index whose time is >= t. */
  private int lowerBound(long t) {
    return t == Long.MIN_VALUE ? head : upperBound(t - 1);
  }

  /** Folds every kept event with time <= h into the base sums. */
  public void compact(long h) {
    if (h <= horizon) {
      return;
    }
    horizon = h;
    while (head < size && times[head] <= h) {
      if (isClick[head]) {
        double w = weight(clickIds[head]);
        baseClicks.add(times[head], w);
        liveClicks -= (long) w;
        if (clickIds[head] != null) {
          liveClickIds.remove(clickIds[head]);
        }
      } else {
        baseImps.add(times[head], 1.0);
        liveImps--;
      }
      clickIds[head] = null;
      head++;
    }
  }

  /** True when values as of t are exact: nothing that could fall in (t − window, t] was folded. */
  public boolean exactAt(long t, long windowMillis) {
    return horizon <= t - windowMillis;
  }

  /**
   * The time after which both decayed sums stay below {@link #NEGLIGIBLE}, or Long.MIN_VALUE when
   * they already are (at their anchors).
   */
  public long negligibleAfter() {
    long t = Long.MIN_VALUE;
    for (DecayedSum s : new DecayedSum[] {allImps, allClicks}) {
      if (!s.isEmpty() && s.valueAtAnchor() > NEGLIGIBLE) {
        double ms = Math.log(s.valueAtAnchor() / NEGLIGIBLE) / lambda;
        t = Math.max(t, s.anchorMillis() + (long) Math.ceil(ms));
      }
    }
    return t;
  }

  /** True when no event was ever added. */
  public boolean isEmpty() {
    return allImps.isEmpty() && allClicks.isEmpty();
  }

  /** True when some event is at or before t (inclusive) or before t (exclusive). */
  public boolean hasEventBefore(long t, boolean inclusive) {
    return inclusive ? minTime <= t : minTime < t;
  }

  /**
   * Features as of t over events before t ({@code inclusive} false: point in time, window (t − w,
   * t)) or at or before t ({@code inclusive} true: snapshots, window (t − w, t]).
   */
  public FeatureValues valuesAt(long t, boolean inclusive, FeatureParams p) {
    int from = upperBound(t - p.windowMillis);
    int to = inclusive ? upperBound(t) : lowerBound(t);
    long imps;
    long clicks;
    if (from == head && to == size) {
      imps = liveImps;
      clicks = liveClicks;
    } else {
      imps = 0;
      clicks = 0;
      for (int i = from; i < to; i++) {
        if (isClick[i]) {
          clicks += (long) weight(clickIds[i]);
        } else {
          imps++;
        }
      }
    }
    double dImps;
    double dClicks;
    if (inclusive ? maxTime <= t : maxTime < t) {
      dImps = allImps.valueAt(t);
      dClicks = allClicks.valueAt(t);
    } else {
      DecayedSum si = baseImps.copy();
      DecayedSum sc = baseClicks.copy();
      for (int i = head; i < to; i++) {
        if (isClick[i]) {
          sc.add(times[i], weight(clickIds[i]));
        } else {
          si.add(times[i], 1.0);
        }
      }
      dImps = si.valueAt(t);
      dClicks = sc.valueAt(t);
    }
    return new FeatureValues(p, imps, clicks, dImps, dClicks);
  }

  int keptEvents() {
    return size - head;
  }

  /** Encodes the history; λ is fixed by the coder. */
  public static final class Coder extends CustomCoder<EntityHistory> {
    private final double lambda;

    public Coder(double lambdaPerMs) {
      this.lambda = lambdaPerMs;
    }

    @Override
    public void encode(EntityHistory h, OutputStream os) throws IOException {
      DataOutputStream out = new DataOutputStream(os);
      DecayedSumCoder.write(h.baseImps, out);
      DecayedSumCoder.write(h.baseClicks, out);
      DecayedSumCoder.write(h.allImps, out);
      DecayedSumCoder.write(h.allClicks, out);
      out.writeLong(h.maxTime);
      out.writeLong(h.minTime);
      out.writeLong(h.horizon);
      out.writeInt(h.size - h.head);
      for (int i = h.head; i < h.size; i++) {
        out.writeLong(h.times[i]);
        out.writeBoolean(h.isClick[i]);
        String id = h.clickIds[i];
        out.writeBoolean(id != null);
        if (id != null) {
          out.writeUTF(id);
        }
      }
      out.flush();
    }

    @Override
    public EntityHistory decode(InputStream is) throws IOException {
      DataInputStream in = new DataInputStream(is);
      EntityHistory h = new EntityHistory(lambda);
      h.baseImps = DecayedSumCoder.read(in);
      h.baseClicks = DecayedSumCoder.read(in);
      h.allImps = DecayedSumCoder.read(in);
      h.allClicks = DecayedSumCoder.read(in);
      h.maxTime = in.readLong();
      h.minTime = in.readLong();
      h.horizon = in.readLong();
      int n = in.readInt();
      h.times = new long[Math.max(4, n)];
      h.isClick = new boolean[Math.max(4, n)];
      h.clickIds = new String[Math.max(4, n)];
      for (int i = 0; i < n; i++) {
        long t = in.readLong();
        boolean c = in.readBoolean();
        String id = in.readBoolean() ? in.readUTF() : null;
        h.insertSorted(t, c, id);
      }
      return h;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Coder && ((Coder) o).lambda == lambda;
    }

    @Override
    public int hashCode() {
      return Double.hashCode(lambda);
    }
  }

  @Override
  public String toString() {
    return "EntityHistory{kept="
        + Arrays.toString(Arrays.copyOfRange(times, head, size))
        + ", horizon="
        + horizon
        + "}";
  }
}
