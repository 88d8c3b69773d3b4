package io.ctrbeam.quality;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Drift bins of one field and the shares of a data set in them. Numeric: {@code edges} e0 < e1 < …
 * give bins {@code (-inf, e0), [e0, e1), …, [ek, +inf)}; categorical: {@code categories} then
 * {@code other}. Both end with a {@code null} bin. A profile's own bins are frozen when it is used
 * as a reference; {@code exact} says whether {@code counts} are exact or read off a sketch.
 */
public record Bins(double[] edges, List<String> categories, long[] counts, long n, boolean exact)
    implements Serializable {

  public static Bins numeric(double[] edges, long[] counts, long n, boolean exact) {
    return new Bins(edges, null, counts, n, exact);
  }

  public static Bins categorical(List<String> categories, long[] counts, long n, boolean exact) {
    return new Bins(null, List.copyOf(categories), counts, n, exact);
  }

  @JsonIgnore
  public boolean isNumeric() {
    return edges != null;
  }

  public int size() {
    return (isNumeric() ? edges.length + 1 : categories.size() + 1) + 1;
  }

  /** The same bins with other counts. */
  public Bins withCounts(long[] newCounts, long newN, boolean isExact) {
    return new Bins(edges, categories, newCounts, newN, isExact);
  }

  /** The bin of a numeric value (null goes to the last bin). */
  public int indexOf(Double v) {
    if (v == null) {
      return size() - 1;
    }
    int i = Arrays.binarySearch(edges, v);
    // Found: the bin that starts at edge i is i + 1; not found: insertion point ip gives bin ip.
    return i >= 0 ? i + 1 : -i - 1;
  }

  /** The bin of a category (unseen categories go to "other", null to the last bin). */
  public int indexOf(String v) {
    if (v == null) {
      return size() - 1;
    }
    int i = categories.indexOf(v);
    return i >= 0 ? i : categories.size();
  }

  /** Shares of n (counts / n); all zeros when n is 0. */
  public double[] shares() {
    double[] s = new double[counts.length];
    for (int i = 0; i < s.length && n > 0; i++) {
      s[i] = (double) counts[i] / n;
    }
    return s;
  }

  /** Human labels of the bins, in order. */
  @JsonProperty(value = "labels", access = JsonProperty.Access.READ_ONLY)
  public List<String> labels() {
    List<String> out = new ArrayList<>();
    if (isNumeric() && edges.length == 0) {
      out.add("(any value)");
    } else if (isNumeric()) {
      out.add("< " + fmt(edges[0]));
      for (int i = 0; i + 1 < edges.length; i++) {
        out.add("[" + fmt(edges[i]) + ", " + fmt(edges[i + 1]) + ")");
      }
      out.add(">= " + fmt(edges[edges.length - 1]));
    } else {
      out.addAll(categories);
      out.add("(other)");
    }
    out.add("(null)");
    return out;
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15
        ? Long.toString((long) d)
        : String.format("%.4g", d);
  }
}
