package io.ctrbeam.weights;

import java.nio.charset.StandardCharsets;

/**
 * A hash of a string that every JVM, runner and layer computes alike: FNV-1a (64 bit) over the
 * UTF-8 bytes, mixed with a seed by SplitMix64's finalizer. Not {@code String.hashCode} (32 bits,
 * poorly spread in the low bits) and not {@code Random}.
 */
public final class StableHash {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private StableHash() {}

  /** FNV-1a 64 of the UTF-8 bytes of {@code s}. */
  public static long fnv1a64(String s) {
    long h = FNV_OFFSET;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= FNV_PRIME;
    }
    return h;
  }

  /** SplitMix64's finalizer: a bijection that spreads every input bit over the output. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** A uniform number in [0, 1) from {@code id} and {@code seed}. */
  public static double unit(long seed, String id) {
    return (mix(fnv1a64(id) ^ mix(seed)) >>> 11) * 0x1.0p-53;
  }
}
