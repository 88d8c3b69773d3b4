package io.ctrbeam.quality;

import static io.ctrbeam.quality.QualityFixtures.impression;
import static io.ctrbeam.quality.QualityFixtures.profile;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.schema.Impression;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The gate: thresholds, verdicts, what a breach says, config overrides and sampling noise. */
class QualityGateTest {
  private static final long CLOCK = QualityFixtures.T0 + 3_600_000L;

  /** n impressions whose device is mobile with probability pMobile, else desktop. */
  private static List<Impression> devices(int n, double pMobile, long seed) {
    Random rnd = new Random(seed);
    List<Impression> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          impression(
              i, rnd.nextDouble() < pMobile ? "mobile" : "desktop", "US", 1 + rnd.nextInt(10)));
    }
    return out;
  }

  private static QualityReport gate(List<Impression> now, DatasetProfile ref, QualityConfig c) {
    return QualityGate.evaluate(
        List.of(profile(now, ref)),
        ref == null ? List.of() : List.of(ref),
        DeadLetterCounts.empty(),
        c,
        CLOCK,
        null,
        null);
  }

  private static QualityCheck check(QualityReport r, String field, String metric) {
    return r.checks().stream()
        .filter(c -> c.field().equals(field) && c.metric().equals(metric))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void driftFailsAndNamesFieldMetricValueAndThreshold() {
    DatasetProfile ref = profile(devices(2000, 0.5, 1), null);
    QualityReport r = gate(devices(2000, 0.9, 2), ref, QualityConfig.defaults());
    assertThat(r.passed(), is(false));
    QualityCheck psi = check(r, "device", "psi");
    // Bins (mobile, desktop, other, null), shares about (.5, .5, 0, 0) → (.9, .1, 0, 0):
    // PSI ≈ .4 ln(1.8) + .4 ln 5 ≈ 0.879.
    assertThat(psi.value(), closeTo(0.4 * Math.log(1.8) + 0.4 * Math.log(5), 0.12));
    assertThat(psi.verdict(), equalTo(QualityCheck.FAIL));
    assertThat(psi.band(), equalTo("significant"));
    assertThat(psi.threshold(), equalTo(0.2));
    assertThat(psi.n(), equalTo(2000L));
    assertThat(psi.m(), equalTo(2000L));
    assertThat(r.breaches(), hasSize(1));
    assertThat(r.summary(), containsString("impression.device psi = "));
    assertThat(r.summary(), containsString("> threshold 0.2"));
    assertThat(r.summary(), containsString(QualityCheck.number(psi.value())));
    // Every value is reported, below its threshold too.
    assertThat(check(r, "position", "psi").verdict(), equalTo(QualityCheck.PASS));
    assertThat(check(r, "device", "js").verdict(), equalTo(QualityCheck.INFO));
  }

  @Test
  void aConfigOverrideChangesTheVerdict() throws Exception {
    DatasetProfile ref = profile(devices(2000, 0.5, 1), null);
    QualityConfig loose =
        QualityConfig.parse("{\"fields\": {\"impression.device\": {\"psi\": 1.5, \"js\": 0.5}}}");
    QualityReport r = gate(devices(2000, 0.9, 2), ref, loose);
    assertThat(r.passed(), is(true));
    assertThat(check(r, "device", "psi").threshold(), equalTo(1.5));
    assertThat(check(r, "device", "js").verdict(), equalTo(QualityCheck.PASS));
    // The other way: a field-wide (any type) completeness threshold on an optional field.
    QualityConfig strict =
        QualityConfig.parse("{\"fields\": {\"advertiser_id\": {\"completeness\": 0.5}}}");
    QualityReport s = gate(devices(100, 0.5, 3), null, strict);
    assertThat(s.passed(), is(false));
    assertThat(
        s.breaches().get(0).describe(),
        containsString("impression.advertiser_id completeness = 0 < threshold 0.5"));
    // null turns a default check off.
    QualityConfig off = QualityConfig.parse("{\"defaults\": {\"psi\": null}}");
    assertThat(gate(devices(2000, 0.9, 2), ref, off).passed(), is(true));
  }

  /** The weight columns are re-estimated every run: no drift gate on them unless a config asks. */
  @Test
  void theTrainingWeightColumnsAreNotGatedOnDriftByDefault() throws Exception {
    QualityConfig d = QualityConfig.defaults();
    for (String w :
        new String[] {
          "position_propensity", "ipw_weight", "sampling_rate", "sampling_weight", "weight"
        }) {
      assertThat(w, d.threshold("psi", "training", w, false), equalTo(null));
    }
    assertThat(d.threshold("psi", "training", "user_ctr_24h", false), equalTo(0.2));
    assertThat(d.threshold("psi", "impression", "position", true), equalTo(0.2));
    assertThat(d.threshold("completeness", "training", "weight", true), equalTo(0.99));
    QualityConfig asked =
        QualityConfig.parse("{\"fields\": {\"training.weight\": {\"psi\": 0.3}}}");
    assertThat(asked.threshold("psi", "training", "weight", false), equalTo(0.3));
  }

  @Test
  void aBadConfigIsRefusedWithWhatWasGot() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> QualityConfig.parse("{\"fields\": {\"device\": {\"psy\": 1}}}"));
    assertThat(e.getMessage(), containsString("unknown metric psy"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> QualityConfig.parse("{\"defaults\": {\"psi\": \"high\"}}"));
    assertThat(e.getMessage(), containsString("got \"high\""));
  }

  @Test
  void twoSamplesOfOneDistributionAtVeryDifferentSizesDoNotTripTheGate() {
    DatasetProfile big = profile(devices(100_000, 0.6, 11), null);
    for (int n : new int[] {10, 30, 100, 1000, 100_000}) {
      for (long seed = 20; seed < 25; seed++) {
        QualityReport r = gate(devices(n, 0.6, seed), big, QualityConfig.defaults());
        assertThat("n=" + n + " seed=" + seed + ": " + r.summary(), r.passed(), is(true));
      }
    }
    // At n = 10 the raw PSI can exceed 0.2 by chance alone; the noise bound is what keeps it quiet.
    int above = 0;
    for (long seed = 0; seed < 50; seed++) {
      QualityCheck psi =
          check(gate(devices(10, 0.6, seed), big, QualityConfig.defaults()), "position", "psi");
      above += psi.value() > 0.2 ? 1 : 0;
      assertThat(psi.noiseBound(), greaterThan(psi.value()));
    }
    assertThat(above, greaterThan(25));
  }

  @Test
  void aRealShiftAtAGoodSizeIsCaughtAboveTheNoise() {
    DatasetProfile big = profile(devices(100_000, 0.6, 11), null);
    QualityCheck psi =
        check(gate(devices(500, 0.95, 5), big, QualityConfig.defaults()), "device", "psi");
    assertThat(psi.value(), greaterThan(psi.noiseBound()));
    assertThat(psi.failed(), is(true));
  }

  @Test
  void completenessValidityFreshnessAndUniquenessAgainstSpecFive() {
    List<Impression> r = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      r.add(impression(i, "mobile", i == 0 ? "usa" : "US", 1));
    }
    // 2 refused for a missing user_id, 1 for a bad country; 4 duplicate ids.
    DeadLetterCounts dl =
        new DeadLetterCounts(
            Map.of(
                "impression", Map.of("MISSING_FIELD", 2L, "BAD_COUNTRY", 1L, "DUPLICATE_ID", 4L)),
            Map.of(
                "impression.user_id",
                Map.of("MISSING_FIELD", 2L),
                "impression.country",
                Map.of("BAD_COUNTRY", 1L)));
    long clock = QualityFixtures.T0 + 999_000L + 25 * 3_600_000L;
    QualityReport q =
        QualityGate.evaluate(
            List.of(profile(r, null)), List.of(), dl, QualityConfig.defaults(), clock, null, null);
    // Of 1003 seen: user_id complete 1001/1003; country valid 1001/1003 (1 on a record, 1 refused).
    assertThat(check(q, "user_id", "completeness").value(), closeTo(1001.0 / 1003, 1e-12));
    assertThat(check(q, "country", "validity").value(), closeTo(1001.0 / 1003, 1e-12));
    assertThat(check(q, "country", "validity").failed(), is(true));
    assertThat(check(q, QualityGate.RECORD, "validity").value(), closeTo(1000.0 / 1003, 1e-12));
    // Exact uniqueness of the deduplicated id: 1000 kept of 1004.
    QualityCheck id = check(q, "impression_id", "uniqueness");
    assertThat(id.value(), closeTo(1000.0 / 1004, 1e-12));
    assertThat(id.exact(), is(true));
    // Approximate elsewhere, with its error bound.
    QualityCheck users = check(q, "user_id", "uniqueness");
    assertThat(users.exact(), is(false));
    assertThat(users.value(), closeTo(7.0 / 1000, 0.001));
    assertThat(users.errorBound(), greaterThan(0.0));
    // Newest event at T0 + 999 s; the clock 25 h later.
    QualityCheck fresh = check(q, "event_time", "freshness_hours");
    assertThat(fresh.value(), closeTo(25.0, 1e-9));
    assertThat(fresh.failed(), is(true));
    // Optional fields have no default completeness threshold; required ones do.
    assertThat(check(q, "advertiser_id", "completeness").verdict(), equalTo(QualityCheck.INFO));
    assertThat(check(q, "user_id", "completeness").threshold(), equalTo(0.99));
    assertThat(
        q.breaches().stream().map(QualityCheck::metric).distinct().sorted().toList(),
        equalTo(List.of("freshness_hours", "validity")));
  }

  @Test
  void withoutAReferenceThereIsNoDriftCheck() {
    QualityReport r = gate(devices(100, 0.5, 1), null, QualityConfig.defaults());
    assertThat(r.checks().stream().filter(c -> c.metric().equals("psi")).toList(), empty());
  }
}
