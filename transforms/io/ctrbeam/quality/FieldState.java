package io.ctrbeam.quality;

import io.ctrbeam.common.Reason;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.datasketches.common.ArrayOfStringsSerDe;
import org.apache.datasketches.frequencies.ItemsSketch;
import org.apache.datasketches.hll.Union;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;

/**
 * The mergeable state of one field inside {@link ProfileFn}: exact counts and range, and the
 * sketches (made on the first value that needs them). Written by {@link ProfileAccumulatorCoder}.
 */
final class FieldState {
  static final ArrayOfStringsSerDe SERDE = new ArrayOfStringsSerDe();
  private static final int REASONS = Reason.values().length;

  long nonNull;
  long nulls;
  long[] invalid = new long[REASONS];
  double min = Double.POSITIVE_INFINITY;
  double max = Double.NEGATIVE_INFINITY;
  double sum;
  Union hll;
  KllDoublesSketch kll;
  ItemsSketch<String> items;

  /** Counts on the reference's bins, or null without a reference. */
  long[] onReference;

  void merge(FieldState o) {
    nonNull += o.nonNull;
    nulls += o.nulls;
    for (int i = 0; i < REASONS; i++) {
      invalid[i] += o.invalid[i];
    }
    min = Math.min(min, o.min);
    max = Math.max(max, o.max);
    sum += o.sum;
    if (o.hll != null) {
      if (hll == null) {
        hll = o.hll;
      } else {
        hll.update(o.hll.getResult());
      }
    }
    if (o.kll != null) {
      if (kll == null) {
        kll = o.kll;
      } else {
        kll.merge(o.kll);
      }
    }
    if (o.items != null) {
      items = items == null ? o.items : items.merge(o.items);
    }
    if (o.onReference != null) {
      if (onReference == null) {
        onReference = o.onReference.clone();
      } else {
        for (int i = 0; i < onReference.length; i++) {
          onReference[i] += o.onReference[i];
        }
      }
    }
  }

  void write(DataOutputStream out) throws IOException {
    out.writeLong(nonNull);
    out.writeLong(nulls);
    for (long c : invalid) {
      out.writeLong(c);
    }
    out.writeDouble(min);
    out.writeDouble(max);
    out.writeDouble(sum);
    bytes(out, hll == null ? null : hll.toCompactByteArray());
    bytes(out, kll == null ? null : kll.toByteArray());
    bytes(out, items == null ? null : items.toByteArray(SERDE));
    out.writeInt(onReference == null ? -1 : onReference.length);
    if (onReference != null) {
      for (long c : onReference) {
        out.writeLong(c);
      }
    }
  }

  static FieldState read(DataInputStream in) throws IOException {
    FieldState s = new FieldState();
    s.nonNull = in.readLong();
    s.nulls = in.readLong();
    for (int i = 0; i < REASONS; i++) {
      s.invalid[i] = in.readLong();
    }
    s.min = in.readDouble();
    s.max = in.readDouble();
    s.sum = in.readDouble();
    byte[] b = bytes(in);
    s.hll = b == null ? null : Union.heapify(b);
    b = bytes(in);
    s.kll = b == null ? null : KllDoublesSketch.heapify(Memory.wrap(b));
    b = bytes(in);
    s.items = b == null ? null : ItemsSketch.getInstance(Memory.wrap(b), SERDE);
    int n = in.readInt();
    if (n >= 0) {
      s.onReference = new long[n];
      for (int i = 0; i < n; i++) {
        s.onReference[i] = in.readLong();
      }
    }
    return s;
  }

  private static void bytes(DataOutputStream out, byte[] b) throws IOException {
    out.writeInt(b == null ? -1 : b.length);
    if (b != null) {
      out.write(b);
    }
  }

  private static byte[] bytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
