package io.ctrbeam.common;

/**
 * The hash bucket of an id: every bucketed join, dedup and sweep keys by this, so a bounded number
 * of Beam keys stands for any number of ids (PROBE.md: DirectRunner pays per key).
 */
public final class Buckets {
  private Buckets() {}

  /** The bucket of {@code id} among {@code buckets}, in {@code [0, buckets)}. */
  public static int of(String id, int buckets) {
    return Math.floorMod(id.hashCode(), buckets);
  }
}
