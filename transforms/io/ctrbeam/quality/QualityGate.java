package io.ctrbeam.quality;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Turns profiles (and a reference) into checks with thresholds and verdicts: the quality gate. */
public final class QualityGate {
  static final String RECORD = "(record)";
  private static final double HOUR_MS = 3_600_000.0;

  private QualityGate() {}

  /**
   * Checks every field of every profile: completeness, uniqueness, validity, drift (PSI, KL, JS
   * against the reference of the same record type, when there is one), and per type freshness at
   * {@code clockMillis} and record-level validity.
   */
  public static QualityReport evaluate(
      List<DatasetProfile> profiles,
      List<DatasetProfile> reference,
      DeadLetterCounts deadLetters,
      QualityConfig config,
      long clockMillis,
      Long windowStart,
      Long windowEnd) {
    Map<String, DatasetProfile> refs =
        reference.stream()
            .collect(
                Collectors.toMap(DatasetProfile::recordType, Function.identity(), (a, b) -> a));
    List<QualityCheck> checks = new ArrayList<>();
    for (DatasetProfile p : profiles) {
      check(p, refs.get(p.recordType()), deadLetters, config, clockMillis, checks);
    }
    List<QualityCheck> breaches =
        checks.stream().filter(QualityCheck::failed).collect(Collectors.toList());
    return new QualityReport(
        breaches.isEmpty(),
        clockMillis,
        windowStart,
        windowEnd,
        config.epsilon(),
        config.alpha(),
        breaches,
        checks,
        profiles,
        reference,
        deadLetters);
  }

  private static void check(
      DatasetProfile p,
      DatasetProfile ref,
      DeadLetterCounts dl,
      QualityConfig c,
      long clock,
      List<QualityCheck> out) {
    String type = p.recordType();
    long refused = dl.invalid(type);
    long seen = p.records() + refused;
    out.add(
        lowerBound(c, type, RECORD, "validity", ratio(p.records(), seen), true, seen, true, null));
    String timeField = timeField(p);
    if (p.latestEventTime() != null) {
      double hours = (clock - p.latestEventTime()) / HOUR_MS;
      Double t = c.threshold("freshness_hours", type, timeField, true);
      out.add(
          check(
              type,
              timeField,
              "freshness_hours",
              hours,
              t,
              t != null && hours > t,
              p.records(),
              null,
              null,
              null,
              null,
              true,
              null));
    }
    for (FieldProfile f : p.fields()) {
      long total = f.total() + refused;
      long missing = dl.count(type, f.name(), "MISSING_FIELD");
      out.add(
          lowerBound(
              c,
              type,
              f.name(),
              "completeness",
              ratio(total - f.nulls() - missing, total),
              f.required(),
              total,
              true,
              null));
      out.add(
          lowerBound(
              c,
              type,
              f.name(),
              "validity",
              ratio(total - f.invalid() - dl.invalid(type, f.name()), total),
              f.required(),
              total,
              true,
              null));
      uniqueness(p, f, dl, c, out);
      if (ref != null && f.onReference() != null && ref.field(f.name()) != null) {
        drift(type, f, ref.field(f.name()).bins(), c, out);
      }
    }
  }

  private static String timeField(DatasetProfile p) {
    return p.fields().stream()
        .filter(f -> f.kind() == FieldKind.TIMESTAMP)
        .map(FieldProfile::name)
        .filter(n -> n.equals("event_time") || n.equals("updated_at"))
        .findFirst()
        .orElse("event_time");
  }

  private static void uniqueness(
      DatasetProfile p,
      FieldProfile f,
      DeadLetterCounts dl,
      QualityConfig c,
      List<QualityCheck> out) {
    String type = p.recordType();
    long dups = dl.count(type, "DUPLICATE_ID");
    RecordFields known = known(type);
    if (known != null && f.name().equals(known.dedupIdField()) && !dl.byType().isEmpty()) {
      // Ingest keeps one record per id: distinct = records out, total = out + duplicates. Exact.
      out.add(
          lowerBound(
              c,
              type,
              f.name(),
              "uniqueness",
              ratio(p.records(), p.records() + dups),
              f.required(),
              p.records() + dups,
              true,
              null));
      return;
    }
    if (f.distinct() == null || f.nonNull() == 0) {
      return;
    }
    double u = Math.min(1.0, f.distinct() / f.nonNull());
    double err = (f.distinctUpper() - f.distinctLower()) / 2 / f.nonNull();
    out.add(lowerBound(c, type, f.name(), "uniqueness", u, f.required(), f.nonNull(), false, err));
  }

  private static RecordFields known(String type) {
    for (RecordFields r :
        new RecordFields[] {
          RecordFields.IMPRESSION,
          RecordFields.CLICK,
          RecordFields.CONVERSION,
          RecordFields.TRAINING
        }) {
      if (r.recordType().equals(type)) {
        return r;
      }
    }
    return null;
  }

  private static void drift(
      String type, FieldProfile f, Bins reference, QualityConfig c, List<QualityCheck> out) {
    long[] cur = f.onReference().counts();
    long[] ref = reference.counts();
    long n = f.onReference().n();
    long m = reference.n();
    Drift.Noise[] noises = Drift.noise(cur, ref, c.epsilon(), c.alpha(), Drift.DEFAULT_DRAWS);
    for (Drift.Measure measure : Drift.Measure.values()) {
      double v = Drift.measure(measure, cur, ref, c.epsilon());
      double noise = noises[measure.ordinal()].mean();
      double bound = noises[measure.ordinal()].bound();
      Double t = c.threshold(measure.key(), type, f.name(), f.required());
      boolean failed = t != null && v > t && v > bound;
      out.add(
          check(
              type,
              f.name(),
              measure.key(),
              v,
              t,
              failed,
              n,
              m,
              noise,
              bound,
              Drift.band(v),
              reference.exact(),
              null));
    }
  }

  private static QualityCheck lowerBound(
      QualityConfig c,
      String type,
      String field,
      String metric,
      double value,
      boolean required,
      long n,
      boolean exact,
      Double err) {
    Double t = c.threshold(metric, type, field, required);
    return check(
        type,
        field,
        metric,
        value,
        t,
        t != null && value < t,
        n,
        null,
        null,
        null,
        null,
        exact,
        err);
  }

  private static QualityCheck check(
      String type,
      String field,
      String metric,
      double value,
      Double threshold,
      boolean failed,
      long n,
      Long m,
      Double noise,
      Double bound,
      String band,
      boolean exact,
      Double err) {
    String verdict =
        threshold == null ? QualityCheck.INFO : failed ? QualityCheck.FAIL : QualityCheck.PASS;
    return new QualityCheck(
        type,
        field,
        metric,
        value,
        threshold,
        verdict,
        n,
        m,
        finite(noise),
        finite(bound),
        band,
        exact,
        err);
  }

  private static Double finite(Double d) {
    return d == null || Double.isInfinite(d) ? null : d;
  }

  private static double ratio(long a, long b) {
    return b == 0 ? 1.0 : (double) a / b;
  }
}
