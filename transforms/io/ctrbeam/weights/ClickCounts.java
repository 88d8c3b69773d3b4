package io.ctrbeam.weights;

import java.io.Serializable;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Impressions and clicks per (context, position, ad): the whole input of the propensity estimators,
 * small enough to fit in one element (positions × ads × contexts cells). Mutable only while it is
 * an accumulator of {@link CountClicks}.
 */
public final class ClickCounts implements Serializable {
  /** The context of every row when examination is estimated per position only. */
  public static final String ALL = "*";

  /** The context of a row without a device. */
  public static final String UNKNOWN_DEVICE = "unknown";

  /** The context a row is counted under when examination is estimated per device. */
  public static String deviceContext(String device) {
    return device == null || device.isEmpty() ? UNKNOWN_DEVICE : device;
  }

  /** One cell of the aggregate. */
  public record Cell(String context, int position, String ad)
      implements Serializable, Comparable<Cell> {
    private static final Comparator<Cell> ORDER =
        Comparator.comparing(Cell::context)
            .thenComparingInt(Cell::position)
            .thenComparing(Cell::ad);

    @Override
    public int compareTo(Cell o) {
      return ORDER.compare(this, o);
    }
  }

  private final Map<Cell, long[]> cells = new HashMap<>();

  /** Adds {@code impressions} impressions with {@code clicks} clicks to a cell. */
  public ClickCounts add(String context, int position, String ad, long impressions, long clicks) {
    long[] c = cells.computeIfAbsent(new Cell(context, position, ad), k -> new long[2]);
    c[0] += impressions;
    c[1] += clicks;
    return this;
  }

  /** Adds every cell of {@code other}. */
  public ClickCounts addAll(ClickCounts other) {
    other.cells.forEach((k, v) -> add(k.context(), k.position(), k.ad(), v[0], v[1]));
    return this;
  }

  /** The cells in a fixed order (context, position, ad), so every fit iterates alike. */
  public TreeMap<Cell, long[]> sorted() {
    TreeMap<Cell, long[]> out = new TreeMap<>();
    cells.forEach((k, v) -> out.put(k, v.clone()));
    return out;
  }

  /** The same counts with every context merged into {@link #ALL}. */
  public ClickCounts withoutContext() {
    ClickCounts out = new ClickCounts();
    cells.forEach((k, v) -> out.add(ALL, k.position(), k.ad(), v[0], v[1]));
    return out;
  }

  public int size() {
    return cells.size();
  }

  Map<Cell, long[]> cells() {
    return cells;
  }

  public long impressions() {
    return cells.values().stream().mapToLong(v -> v[0]).sum();
  }

  public long clicks() {
    return cells.values().stream().mapToLong(v -> v[1]).sum();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ClickCounts)) {
      return false;
    }
    Map<Cell, long[]> a = sorted();
    Map<Cell, long[]> b = ((ClickCounts) o).sorted();
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    return a.entrySet().stream()
        .allMatch(e -> java.util.Arrays.equals(e.getValue(), b.get(e.getKey())));
  }

  @Override
  public int hashCode() {
    return Objects.hash(cells.size(), impressions(), clicks());
  }

  @Override
  public String toString() {
    return "ClickCounts{cells="
        + cells.size()
        + ", impressions="
        + impressions()
        + ", clicks="
        + clicks()
        + "}";
  }
}
