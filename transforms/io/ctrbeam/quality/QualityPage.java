package io.ctrbeam.quality;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code quality.html}: the verdict and its breaches at the top, then charts (PSI per field,
 * completeness per field, reference against current histograms of the drifted fields) and a table
 * per record type. The charts are drawn by ECharts, whose bundle is inlined so that the page reads
 * offline.
 */
public final class QualityPage {
  static final String ECHARTS = "META-INF/resources/webjars/echarts/5.3.1/dist/echarts.min.js";
  private static volatile String echarts;

  private QualityPage() {}

  public static String render(QualityReport r) {
    StringBuilder h = new StringBuilder(1_200_000);
    h.append(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ctr-beam data quality</title>\n<style>")
        .append(CSS)
        .append("</style>\n<script>")
        .append(echartsSource())
        .append("</script>\n</head><body>\n");
    h.append("<h1>Data quality</h1>\n");
    h.append("<div id=\"verdict\" class=\"")
        .append(r.passed() ? "pass" : "fail")
        .append("\">")
        .append(r.passed() ? "Gate passed" : "Gate failed")
        .append(": ")
        .append(r.breaches().size())
        .append(" of ")
        .append(r.checks().size())
        .append(" checks breached their threshold.");
    if (!r.passed()) {
      h.append("<ul id=\"breaches\">");
      for (QualityCheck b : r.breaches()) {
        h.append("<li>").append(esc(b.describe())).append("</li>");
      }
      h.append("</ul>");
    }
    h.append("</div>\n<p class=\"meta\">Clock ").append(Instant.ofEpochMilli(r.clockMillis()));
    if (r.windowStart() != null) {
      h.append(", window ")
          .append(Instant.ofEpochMilli(r.windowStart()))
          .append(" to ")
          .append(Instant.ofEpochMilli(r.windowEnd()));
    }
    h.append(". Drift bins are smoothed with ε = ")
        .append(r.epsilon())
        .append(" and renormalized. ")
        .append(
            "A drift value fails only above its threshold <em>and</em> above the value that sampling noise alone exceeds with probability ")
        .append(r.noiseAlpha())
        .append(" at its sample sizes (n current, m reference). ")
        .append(
            "Counts, completeness and validity are exact; distinct counts (HLL, ±2 standard errors shown), quantiles (KLL, rank error shown) and top values (frequent items) are approximate. ")
        .append(
            r.reference().isEmpty()
                ? "No reference profile was given, so there is no drift check."
                : "")
        .append("</p>\n");
    h.append(
        "<h2>Charts</h2>\n<div id=\"psi-chart\" class=\"chart\"></div>\n<div id=\"completeness-chart\" class=\"chart\"></div>\n<div id=\"histograms\"></div>\n");
    for (DatasetProfile p : r.profiles()) {
      table(h, p, r.checks());
    }
    h.append("<script type=\"application/json\" id=\"chart-data\">")
        .append(QualityJson.write(chartData(r)).replace("</", "<\\/"))
        .append("</script>\n<script>")
        .append(SCRIPT)
        .append("</script>\n</body></html>\n");
    return h.toString();
  }

  private static void table(StringBuilder h, DatasetProfile p, List<QualityCheck> all) {
    String type = p.recordType();
    Map<String, Map<String, QualityCheck>> byField = new LinkedHashMap<>();
    for (QualityCheck c : all) {
      if (c.recordType().equals(type)) {
        byField.computeIfAbsent(c.field(), k -> new LinkedHashMap<>()).put(c.metric(), c);
      }
    }
    h.append("<h2 id=\"type-")
        .append(esc(type))
        .append("\">")
        .append(esc(type))
        .append(": ")
        .append(p.records())
        .append(" records");
    if (p.latestEventTime() != null) {
      h.append(", event time ")
          .append(Instant.ofEpochMilli(p.earliestEventTime()))
          .append(" to ")
          .append(Instant.ofEpochMilli(p.latestEventTime()));
    }
    h.append("</h2>\n");
    Map<String, QualityCheck> rec = byField.getOrDefault(QualityGate.RECORD, Map.of());
    h.append("<p>Record validity (refused by ingest for a contract §6 rule): ")
        .append(cell(rec.get("validity")))
        .append("</p>\n");
    h.append(
            "<table><thead><tr><th>field</th><th>kind</th><th>non-null / total</th><th>completeness</th><th>validity</th>")
        .append(
            "<th>uniqueness</th><th>distribution</th><th>PSI</th><th>KL</th><th>JS</th><th>other</th></tr></thead><tbody>\n");
    for (FieldProfile f : p.fields()) {
      Map<String, QualityCheck> c = byField.getOrDefault(f.name(), Map.of());
      h.append("<tr><td>")
          .append(esc(f.name()))
          .append(f.required() ? "" : " <span class=\"opt\">optional</span>")
          .append("</td><td>")
          .append(f.kind().name().toLowerCase())
          .append("</td><td>")
          .append(f.nonNull())
          .append(" / ")
          .append(f.total())
          .append("</td>");
      for (String m : new String[] {"completeness", "validity", "uniqueness"}) {
        h.append("<td>").append(cell(c.get(m))).append("</td>");
      }
      h.append("<td>").append(esc(distribution(f))).append("</td>");
      for (String m : new String[] {"psi", "kl", "js"}) {
        h.append("<td>").append(cell(c.get(m))).append("</td>");
      }
      QualityCheck fresh = c.get("freshness_hours");
      h.append("<td>")
          .append(fresh == null ? "" : "freshness " + cell(fresh) + " h")
          .append("</td></tr>\n");
    }
    h.append("</tbody></table>\n");
  }

  /** A check as a table cell: value, band, noise and threshold, coloured by verdict. */
  private static String cell(QualityCheck c) {
    if (c == null) {
      return "";
    }
    StringBuilder s =
        new StringBuilder("<span class=\"")
            .append(c.verdict())
            .append("\" title=\"")
            .append(esc(c.describe()))
            .append("\">")
            .append(String.format("%.4g", c.value()));
    if (!c.exact() && c.errorBound() != null) {
      s.append(" ±").append(String.format("%.2g", c.errorBound())).append(" (approx.)");
    }
    if (c.band() != null) {
      s.append(" ").append(c.band());
    }
    if (c.noiseBound() != null) {
      s.append(", noise ≤ ").append(String.format("%.2g", c.noiseBound()));
    }
    if (c.threshold() != null) {
      s.append(" [")
          .append(QualityConfig.UPPER_BOUNDS.contains(c.metric()) ? "≤ " : "≥ ")
          .append(String.format("%.4g", c.threshold()))
          .append("]");
    }
    return s.append("</span>").toString();
  }

  private static String distribution(FieldProfile f) {
    if (f.quantiles() != null && f.kind() != FieldKind.TIMESTAMP) {
      return String.format(
          "min %.4g, p50 %.4g, p99 %.4g, max %.4g, mean %.4g (quantiles ±%.2g rank)",
          f.min(),
          f.quantiles().get("p50"),
          f.quantiles().get("p99"),
          f.max(),
          f.mean(),
          f.quantileRankError());
    }
    if (f.quantiles() != null) {
      return Instant.ofEpochMilli(f.min().longValue())
          + " to "
          + Instant.ofEpochMilli(f.max().longValue());
    }
    if (f.top() != null && !f.top().isEmpty()) {
      long nonNull = Math.max(1, f.nonNull());
      String top =
          f.top().stream()
              .limit(5)
              .map(t -> t.value() + " " + String.format("%.1f%%", 100.0 * t.count() / nonNull))
              .collect(Collectors.joining(", "));
      long inTop = f.top().stream().mapToLong(FieldProfile.CategoryCount::count).sum();
      return top
          + (f.top().size() > 5 ? ", …" : "")
          + String.format(
              "; rest of top %d: %.1f%%, beyond: %.1f%%",
              f.top().size(),
              100.0
                  * f.top().stream().skip(5).mapToLong(FieldProfile.CategoryCount::count).sum()
                  / nonNull,
              100.0 * (f.nonNull() - inTop) / nonNull)
          + (f.topMaxError() != null && f.topMaxError() > 0
              ? " (counts ±" + f.topMaxError() + ")"
              : "");
    }
    return f.distinct() == null
        ? ""
        : String.format(
            "≈ %.0f distinct [%.0f, %.0f]", f.distinct(), f.distinctLower(), f.distinctUpper());
  }

  /** What the charts draw, precomputed so that the page script only hands it to ECharts. */
  static Map<String, Object> chartData(QualityReport r) {
    List<Map<String, Object>> psi = new ArrayList<>();
    List<Map<String, Object>> completeness = new ArrayList<>();
    List<Map<String, Object>> histograms = new ArrayList<>();
    Map<String, DatasetProfile> refs =
        r.reference().stream()
            .collect(Collectors.toMap(DatasetProfile::recordType, p -> p, (a, b) -> a));
    for (QualityCheck c : r.checks()) {
      String name = c.recordType() + "." + c.field();
      if (c.metric().equals("completeness")) {
        completeness.add(Map.of("name", name, "value", c.value(), "verdict", c.verdict()));
      }
      if (!c.metric().equals("psi")) {
        continue;
      }
      psi.add(Map.of("name", name, "value", c.value(), "verdict", c.verdict(), "band", c.band()));
      if (!c.failed() && c.band().equals("none")) {
        continue;
      }
      FieldProfile cur =
          r.profiles().stream()
              .filter(p -> p.recordType().equals(c.recordType()))
              .findFirst()
              .map(p -> p.field(c.field()))
              .orElse(null);
      FieldProfile ref =
          refs.containsKey(c.recordType()) ? refs.get(c.recordType()).field(c.field()) : null;
      if (cur != null && ref != null && cur.onReference() != null) {
        Map<String, Object> hist = new LinkedHashMap<>();
        hist.put("name", name);
        hist.put(
            "title",
            String.format(
                "%s: PSI %.3f (%s), n=%d, m=%d", name, c.value(), c.band(), c.n(), c.m()));
        hist.put("labels", ref.bins().labels());
        hist.put("reference", ref.bins().shares());
        hist.put("current", cur.onReference().shares());
        histograms.add(hist);
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("psi", psi);
    out.put("completeness", completeness);
    out.put("histograms", histograms);
    return out;
  }

  private static String echartsSource() {
    if (echarts == null) {
      try (InputStream in = QualityPage.class.getClassLoader().getResourceAsStream(ECHARTS)) {
        if (in == null) {
          throw new IllegalStateException(
              ECHARTS + " is not on the classpath (org.webjars.npm:echarts)");
        }
        echarts =
            new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("</script", "<\\/script");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return echarts;
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static final String CSS =
      """
      body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
      #verdict{padding:.8em 1em;border-radius:6px;font-size:1.15em;font-weight:600}
      #verdict.pass{background:#e3f4e8;border:1px solid #2e8b57}
      #verdict.fail{background:#fbe4e4;border:1px solid #c0392b}
      #verdict ul{font-weight:400;font-size:.9em;margin:.4em 0 0}
      .meta{color:#555;font-size:.9em;max-width:70em}
      .chart{width:100%;max-width:1100px;height:360px;margin:1em 0}
      table{border-collapse:collapse;font-size:.82em;margin-bottom:2em}
      th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
      th{background:#f4f4f4}
      span.fail{color:#c0392b;font-weight:700}
      span.pass{color:#1e7b45}
      span.info{color:#555}
      .opt{color:#888;font-size:.85em}
      """;

  private static final String SCRIPT =
      """
      (function () {
        var data = JSON.parse(document.getElementById('chart-data').textContent);
        var colour = {fail: '#c0392b', pass: '#2e86c1', info: '#7f8c8d'};
        function draw(el, option) {
          option.animation = false;
          echarts.init(el, null, {renderer: 'svg'}).setOption(option);
        }
        function bars(id, title, rows, axisMin, marks, axisMax) {
          var el = document.getElementById(id);
          if (!rows.length) { el.textContent = title + ': nothing to draw.'; el.style.height = 'auto'; return; }
          el.style.height = Math.max(200, 60 + 18 * rows.length) + 'px';
          draw(el, {
            title: {text: title, textStyle: {fontSize: 14}},
            tooltip: {},
            grid: {left: 260, right: 40, top: 40, bottom: 20},
            xAxis: {type: 'value', min: axisMin, max: axisMax},
            yAxis: {type: 'category', inverse: true, data: rows.map(function (r) { return r.name; })},
            series: [{type: 'bar', data: rows.map(function (r) {
              return {value: r.value, itemStyle: {color: r.band === 'moderate' && r.verdict !== 'fail' ? '#e67e22' : colour[r.verdict]}};
            }), markLine: marks ? {symbol: 'none', data: marks} : undefined}]
          });
        }
        // Tiny samples can score PSI in the units; the axis stops at 1 so that 0.1 and 0.2 stay readable.
        var top = data.psi.reduce(function (m, r) { return Math.max(m, r.value); }, 0);
        bars('psi-chart', 'PSI per field (0.1 moderate, 0.2 significant; axis cut at 1)', data.psi, 0, [{xAxis: 0.1}, {xAxis: 0.2}], Math.max(0.3, Math.min(1, top)));
        var low = data.completeness.reduce(function (m, r) { return Math.min(m, r.value); }, 1);
        bars('completeness-chart', 'Completeness per field', data.completeness, Math.max(0, Math.floor(low * 20) / 20 - 0.05), null, 1);
        var box = document.getElementById('histograms');
        data.histograms.forEach(function (h) {
          var el = document.createElement('div');
          el.className = 'chart histogram';
          box.appendChild(el);
          draw(el, {
            title: {text: h.title, textStyle: {fontSize: 14}},
            tooltip: {trigger: 'axis'},
            legend: {top: 24, data: ['reference', 'current']},
            grid: {left: 60, right: 20, top: 60, bottom: 80},
            xAxis: {type: 'category', data: h.labels, axisLabel: {rotate: 30}},
            yAxis: {type: 'value', name: 'share'},
            series: [{name: 'reference', type: 'bar', data: h.reference, itemStyle: {color: '#95a5a6'}},
                     {name: 'current', type: 'bar', data: h.current, itemStyle: {color: '#c0392b'}}]
          });
        });
      })();
      """;
}
