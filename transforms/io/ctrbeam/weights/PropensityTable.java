package io.ctrbeam.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Examination propensity P̂(examine | position[, device]) relative to the top position, by both
 * estimators, with the counts behind them and which entries fell back. Immutable; the propensity
 * rows look up is that of {@link #estimator()}.
 *
 * <p>Lookup: the entry of (device, position) when the table is per device and that entry has its
 * own estimate, else the all-device ({@value ClickCounts#ALL}) entry; a position deeper than the
 * table takes the deepest entry.
 */
public final class PropensityTable implements Serializable {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One (context, position) entry. */
  public record Entry(
      String context,
      int position,
      long impressions,
      long clicks,
      double naive,
      double em,
      Fallback fallback)
      implements Serializable {
    public double value(Estimator e) {
      return e == Estimator.NAIVE ? naive : em;
    }
  }

  private final Estimator estimator;
  private final String source;
  private final int emIterations;
  private final boolean emConverged;
  // context -> position -> entry
  private final TreeMap<String, TreeMap<Integer, Entry>> entries;

  PropensityTable(
      Estimator estimator, String source, int emIterations, boolean emConverged, List<Entry> list) {
    this.estimator = estimator;
    this.source = source;
    this.emIterations = emIterations;
    this.emConverged = emConverged;
    this.entries = new TreeMap<>();
    for (Entry e : list) {
      entries.computeIfAbsent(e.context(), k -> new TreeMap<>()).put(e.position(), e);
    }
    if (!entries.containsKey(ClickCounts.ALL)) {
      throw new IllegalArgumentException(
          "a propensity table needs all-device (\"*\") entries, got contexts " + entries.keySet());
    }
  }

  /** A table that corrects nothing: every position 1.0. */
  public static PropensityTable uniform() {
    return new PropensityTable(
        Estimator.NAIVE,
        "uniform",
        0,
        true,
        List.of(new Entry(ClickCounts.ALL, 1, 0, 0, 1.0, 1.0, Fallback.NO_CLICKS)));
  }

  /** The same table, looking up the other estimator. */
  public PropensityTable using(Estimator e) {
    return new PropensityTable(e, source, emIterations, emConverged, entries());
  }

  public Estimator estimator() {
    return estimator;
  }

  /** Where the table came from: {@code estimated} or the file it was read from. */
  public String source() {
    return source;
  }

  public int emIterations() {
    return emIterations;
  }

  public boolean emConverged() {
    return emConverged;
  }

  /** The propensity of a row: see the class comment for the lookup order. Always in (0, 1]. */
  public double propensity(String device, int position) {
    Entry e = entry(device, position);
    return e.value(estimator);
  }

  /** The entry a row at (device, position) uses. */
  public Entry entry(String device, int position) {
    TreeMap<Integer, Entry> byDevice =
        entries.get(device == null ? ClickCounts.UNKNOWN_DEVICE : device);
    if (byDevice != null) {
      Entry e = at(byDevice, position);
      if (e != null && e.fallback() != Fallback.ALL_DEVICES) {
        return e;
      }
    }
    return at(entries.get(ClickCounts.ALL), position);
  }

  private static Entry at(TreeMap<Integer, Entry> byPosition, int position) {
    Map.Entry<Integer, Entry> e = byPosition.floorEntry(position);
    return e == null ? byPosition.firstEntry().getValue() : e.getValue();
  }

  /** True when {@code position} is deeper than every entry of the all-device table. */
  public boolean beyondTable(int position) {
    return position > entries.get(ClickCounts.ALL).lastKey();
  }

  /** All entries, by context then position. */
  public List<Entry> entries() {
    List<Entry> out = new ArrayList<>();
    entries.values().forEach(m -> out.addAll(m.values()));
    return Collections.unmodifiableList(out);
  }

  /** Clicks / impressions over the all-device entries (0 without impressions). */
  public double positiveRate() {
    long n = 0;
    long k = 0;
    for (Entry e : entries.get(ClickCounts.ALL).values()) {
      n += e.impressions();
      k += e.clicks();
    }
    return n == 0 ? 0.0 : (double) k / n;
  }

  /** The all-device entries by position. */
  public List<Entry> positions() {
    return List.copyOf(entries.get(ClickCounts.ALL).values());
  }

  /** {@code context:position} of every entry that fell back, with the reason. */
  public List<String> fallbacks() {
    List<String> out = new ArrayList<>();
    for (Entry e : entries()) {
      if (e.fallback() != Fallback.NONE) {
        out.add(e.context() + ":" + e.position() + "=" + e.fallback());
      }
    }
    return out;
  }

  /**
   * The table as JSON: {@link #fromJson} reads it back, and a hand-written file needs only context,
   * position, propensity.
   */
  public String toJson() {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("estimator", estimator.name().toLowerCase(Locale.ROOT));
    root.put("source", source);
    root.put("em_iterations", emIterations);
    root.put("em_converged", emConverged);
    ArrayNode fb = root.putArray("fallbacks");
    fallbacks().forEach(fb::add);
    ArrayNode rows = root.putArray("propensities");
    for (Entry e : entries()) {
      ObjectNode r = rows.addObject();
      r.put("context", e.context());
      r.put("position", e.position());
      r.put("impressions", e.impressions());
      r.put("clicks", e.clicks());
      r.put("naive", e.naive());
      r.put("em", e.em());
      r.put("propensity", e.value(estimator));
      r.put("fallback", e.fallback().name());
    }
    try {
      return MAPPER.writeValueAsString(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads a table written by {@link #toJson}. Each row needs {@code position} and {@code
   * propensity} in (0, 1]; {@code context} defaults to {@code *}. The file's propensity is used
   * whatever its estimator.
   */
  public static PropensityTable fromJson(String json, String source) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "propensity file " + source + " is not JSON: " + e.getMessage(), e);
    }
    JsonNode rows = root.path("propensities");
    if (!rows.isArray() || rows.isEmpty()) {
      throw new IllegalArgumentException(
          "propensity file " + source + " has no \"propensities\" array");
    }
    List<Entry> list = new ArrayList<>();
    for (JsonNode r : rows) {
      int position = r.path("position").asInt(0);
      double p = r.path("propensity").asDouble(Double.NaN);
      if (position < 1 || !(p > 0 && p <= 1)) {
        throw new IllegalArgumentException(
            String.format(
                "propensity file %s: each row needs position >= 1 and propensity in (0, 1], got %s",
                source, r));
      }
      Fallback f = Fallback.valueOf(r.path("fallback").asText("NONE"));
      list.add(
          new Entry(
              r.path("context").asText(ClickCounts.ALL),
              position,
              r.path("impressions").asLong(0),
              r.path("clicks").asLong(0),
              p,
              p,
              f));
    }
    return new PropensityTable(
        Estimator.NAIVE, source, root.path("em_iterations").asInt(0), true, list);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PropensityTable t
        && estimator == t.estimator
        && source.equals(t.source)
        && emIterations == t.emIterations
        && emConverged == t.emConverged
        && entries().equals(t.entries());
  }

  @Override
  public int hashCode() {
    return Objects.hash(estimator, source, entries());
  }

  @Override
  public String toString() {
    return "PropensityTable{" + estimator + ", " + source + ", " + positions() + "}";
  }
}
