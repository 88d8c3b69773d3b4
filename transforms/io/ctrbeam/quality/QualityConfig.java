package io.ctrbeam.quality;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Thresholds of the quality gate: contract §5's by default, overridable per field in a small JSON
 * file.
 *
 * <pre>{@code
 * {
 *   "epsilon": 1e-4, "noise_alpha": 0.001,
 *   "defaults": {"psi": 0.25},
 *   "fields": {
 *     "impression.device": {"psi": 0.5},
 *     "country": {"completeness": 0.98},
 *     "training.click_time": {"validity": null}
 *   }
 * }
 * }</pre>
 *
 * A field is named {@code type.field} or just {@code field} (any type); the first match wins, then
 * the defaults. {@code null} turns a check off. Lower bounds ({@code completeness}, {@code
 * uniqueness}, {@code validity}) fail when the value is below them, upper bounds ({@code
 * freshness_hours}, {@code psi}, {@code kl}, {@code js}) when it is above. The default completeness
 * threshold applies to required fields only: an optional field's null share is watched by the null
 * bin of its drift check instead.
 */
public final class QualityConfig implements Serializable {
  public static final Set<String> LOWER_BOUNDS = Set.of("completeness", "uniqueness", "validity");
  public static final Set<String> UPPER_BOUNDS = Set.of("freshness_hours", "psi", "kl", "js");
  private static final String DEFAULTS = "*";
  private static final List<String> WEIGHT_FIELDS =
      List.of("position_propensity", "ipw_weight", "sampling_rate", "sampling_weight", "weight");

  private final Map<String, Map<String, Double>> thresholds;
  private final double epsilon;
  private final double alpha;

  private QualityConfig(Map<String, Map<String, Double>> thresholds, double epsilon, double alpha) {
    this.thresholds = thresholds;
    this.epsilon = epsilon;
    this.alpha = alpha;
  }

  /**
   * Contract §5: completeness 0.99, validity 0.999, freshness 24 h, PSI 0.2 (the start of
   * "significant"). The training rows' weight columns are not gated on drift: they are the run's
   * own estimates, re-fitted every run and reported in {@code propensities.json} and {@code
   * weights.json}.
   */
  public static QualityConfig defaults() {
    Map<String, Double> d = new LinkedHashMap<>();
    d.put("completeness", 0.99);
    d.put("validity", 0.999);
    d.put("freshness_hours", 24.0);
    d.put("psi", 0.2);
    Map<String, Map<String, Double>> t = new HashMap<>();
    t.put(DEFAULTS, d);
    for (String w : WEIGHT_FIELDS) {
      Map<String, Double> noDrift = new LinkedHashMap<>();
      noDrift.put("psi", null);
      t.put("training." + w, noDrift);
    }
    return new QualityConfig(t, Drift.DEFAULT_EPSILON, Drift.DEFAULT_ALPHA);
  }

  /** The defaults overridden by a JSON config (see the class comment). */
  public static QualityConfig parse(String json) throws IOException {
    JsonNode root = new ObjectMapper().readTree(json);
    checkArgument(
        root != null && root.isObject(), "a quality config is a JSON object, got %s", json);
    QualityConfig base = defaults();
    Map<String, Map<String, Double>> t = new HashMap<>();
    base.thresholds.forEach((k, v) -> t.put(k, new LinkedHashMap<>(v)));
    if (root.has("defaults")) {
      t.get(DEFAULTS).putAll(metrics(root.get("defaults"), "defaults"));
    }
    if (root.has("fields")) {
      Iterator<Map.Entry<String, JsonNode>> it = root.get("fields").fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        t.put(e.getKey(), metrics(e.getValue(), e.getKey()));
      }
    }
    double eps = root.path("epsilon").asDouble(Drift.DEFAULT_EPSILON);
    double alpha = root.path("noise_alpha").asDouble(Drift.DEFAULT_ALPHA);
    checkArgument(eps > 0 && eps < 0.01, "epsilon must be in (0, 0.01), got %s", eps);
    checkArgument(alpha > 0 && alpha < 0.5, "noise_alpha must be in (0, 0.5), got %s", alpha);
    return new QualityConfig(t, eps, alpha);
  }

  private static Map<String, Double> metrics(JsonNode node, String where) {
    checkArgument(
        node.isObject(), "%s must be an object of metric thresholds, got %s", where, node);
    Map<String, Double> out = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String m = e.getKey();
      checkArgument(
          LOWER_BOUNDS.contains(m) || UPPER_BOUNDS.contains(m),
          "%s: unknown metric %s, expected one of %s or %s",
          where,
          m,
          LOWER_BOUNDS,
          UPPER_BOUNDS);
      JsonNode v = e.getValue();
      checkArgument(
          v.isNull() || v.isNumber(), "%s.%s must be a number or null, got %s", where, m, v);
      out.put(m, v.isNull() ? null : v.asDouble());
    }
    return out;
  }

  /** The threshold of a metric for a field, or null when the check is off. */
  public Double threshold(String metric, String recordType, String field, boolean required) {
    for (String scope : new String[] {recordType + "." + field, field}) {
      Map<String, Double> m = thresholds.get(scope);
      if (m != null && m.containsKey(metric)) {
        return m.get(metric);
      }
    }
    if (metric.equals("completeness") && !required) {
      return null;
    }
    return thresholds.get(DEFAULTS).get(metric);
  }

  public double epsilon() {
    return epsilon;
  }

  public double alpha() {
    return alpha;
  }
}
