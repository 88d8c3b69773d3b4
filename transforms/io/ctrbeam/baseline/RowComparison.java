package io.ctrbeam.baseline;

import io.ctrbeam.schema.TrainingExample;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * Row-by-row comparison of two sets of training rows over every field: counts, an order-independent
 * checksum per side, and the rows that differ. Doubles agree within 1e-9 relative (the parity bound
 * of the features); every other field must be equal.
 */
public final class RowComparison implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final double REL = 1e-9;
  private static final Schema SCHEMA = TrainingExample.getClassSchema();

  public final long expectedRows;
  public final long actualRows;
  public final long expectedChecksum;
  public final long actualChecksum;
  public final long mismatchedRows;
  public final List<String> examples;

  private RowComparison(long e, long a, long ec, long ac, long mismatched, List<String> examples) {
    this.expectedRows = e;
    this.actualRows = a;
    this.expectedChecksum = ec;
    this.actualChecksum = ac;
    this.mismatchedRows = mismatched;
    this.examples = examples;
  }

  /** True when both sides hold the same rows. */
  public boolean correct() {
    return expectedRows == actualRows && mismatchedRows == 0;
  }

  /**
   * Compares rows by (impression_id, clicked, label_kind), field by field; holds the expected rows'
   * values only, so both sides may be read lazily.
   */
  public static RowComparison of(
      Iterable<? extends IndexedRecord> expected, Iterable<? extends IndexedRecord> actual) {
    Map<String, Object[]> want = new HashMap<>();
    long ec = 0;
    long expectedRows = 0;
    for (IndexedRecord r : expected) {
      Object[] v = values(r);
      want.put(key(v), v);
      ec += checksum(v);
      expectedRows++;
    }
    long ac = 0;
    long actualRows = 0;
    long mismatched = 0;
    List<String> examples = new ArrayList<>();
    for (IndexedRecord r : actual) {
      Object[] v = values(r);
      ac += checksum(v);
      actualRows++;
      Object[] w = want.remove(key(v));
      String diff = w == null ? "unexpected row " + key(v) : diff(w, v);
      if (diff != null) {
        mismatched++;
        if (examples.size() < 5) {
          examples.add(diff);
        }
      }
    }
    mismatched += want.size();
    for (String k : want.keySet()) {
      if (examples.size() >= 10) {
        break;
      }
      examples.add("missing row " + k);
    }
    return new RowComparison(expectedRows, actualRows, ec, ac, mismatched, examples);
  }

  private static String key(Object[] v) {
    return v[SCHEMA.getField("impression_id").pos()]
        + "|"
        + v[SCHEMA.getField("clicked").pos()]
        + "|"
        + v[SCHEMA.getField("label_kind").pos()];
  }

  /** The field values by schema position, normalized: strings, epoch millis, string lists. */
  private static Object[] values(IndexedRecord r) {
    Object[] v = new Object[SCHEMA.getFields().size()];
    Schema s = r.getSchema();
    for (Schema.Field f : SCHEMA.getFields()) {
      Schema.Field g = s.getField(f.name());
      v[f.pos()] = g == null ? null : normalize(r.get(g.pos()));
    }
    return v;
  }

  private static Object normalize(Object o) {
    if (o instanceof CharSequence c) {
      return c.toString();
    }
    if (o instanceof Instant i) {
      return i.toEpochMilli();
    }
    if (o instanceof Integer i) {
      return i.longValue();
    }
    if (o instanceof Float f) {
      return f.doubleValue();
    }
    if (o instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object x : l) {
        out.add(normalize(x));
      }
      return out;
    }
    return o;
  }

  private static String diff(Object[] want, Object[] got) {
    for (int i = 0; i < want.length; i++) {
      if (!same(want[i], got[i])) {
        return key(want)
            + ": "
            + SCHEMA.getFields().get(i).name()
            + " expected "
            + want[i]
            + " got "
            + got[i];
      }
    }
    return null;
  }

  private static boolean same(Object a, Object b) {
    if (a instanceof Double x && b instanceof Double y) {
      return x.equals(y) || Math.abs(x - y) <= REL * Math.max(Math.abs(x), Math.abs(y)) + 1e-300;
    }
    return Objects.equals(a, b);
  }

  /** A row hash with doubles rounded to 6 significant digits, summed over rows. */
  private static long checksum(Object[] v) {
    long h = 1;
    for (Object o : v) {
      Object c = o instanceof Double d ? round6(d) : o;
      h = 31 * h + Objects.hashCode(c);
    }
    return h * 0x9E3779B97F4A7C15L;
  }

  private static long round6(double d) {
    if (d == 0 || !Double.isFinite(d)) {
      return Double.doubleToLongBits(d);
    }
    int exp = (int) Math.floor(Math.log10(Math.abs(d)));
    return Math.round(d * Math.pow(10, 5 - exp)) * 31 + exp;
  }
}
