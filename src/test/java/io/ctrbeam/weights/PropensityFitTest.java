package io.ctrbeam.weights;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ctrbeam.generate.GeneratedLogs;
import io.ctrbeam.generate.GeneratorConfig;
import io.ctrbeam.generate.LogGenerator;
import io.ctrbeam.pipelines.PropensityErrorTable;
import io.ctrbeam.pipelines.PropensityErrorTable.Errors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both estimators against the generator's true examination probabilities, and every degenerate
 * case.
 */
class PropensityFitTest {
  /**
   * Above what EM reaches and below what the naive ratio reaches on the default (confounded)
   * generator.
   */
  private static final double MAX_ERROR = 0.08;

  private static final double MEAN_ERROR = 0.04;

  private static GeneratorConfig confounded(long seed) {
    return GeneratorConfig.defaults().withImpressionsPerDay(200_000).withAds(1_000).withSeed(seed);
  }

  @ParameterizedTest
  @ValueSource(longs = {42L, 7L})
  void emStaysWithinTheBoundOnConfoundedDataWhereTheNaiveRatioBreaksIt(long seed) {
    GeneratorConfig config = confounded(seed);
    PropensityTable t =
        PropensityFit.create()
            .fit(PropensityErrorTable.counts(LogGenerator.generate(config), false));

    Errors em = PropensityErrorTable.errors(config, t, Estimator.EM);
    Errors naive = PropensityErrorTable.errors(config, t, Estimator.NAIVE);
    assertThat("EM max error", em.max(), lessThan(MAX_ERROR));
    assertThat("EM mean error", em.mean(), lessThan(MEAN_ERROR));
    assertThat("naive max error", naive.max(), greaterThan(MAX_ERROR));
    assertThat("naive mean error", naive.mean(), greaterThan(MEAN_ERROR));
    // Better ads ranked higher make lower positions look less examined than they are.
    for (PropensityTable.Entry e : t.positions()) {
      if (e.position() > 1) {
        assertThat(e.naive(), lessThan(PropensityErrorTable.truth(config, e.position())));
      }
    }
    assertTrue(t.emConverged(), "EM converged");
  }

  @Test
  void withRandomRankingBothEstimatorsMeetTheBound() {
    GeneratorConfig config = confounded(42L).withRankNoise(100);
    PropensityTable t =
        PropensityFit.create()
            .fit(PropensityErrorTable.counts(LogGenerator.generate(config), false));
    assertThat(PropensityErrorTable.errors(config, t, Estimator.NAIVE).max(), lessThan(MAX_ERROR));
    assertThat(PropensityErrorTable.errors(config, t, Estimator.EM).max(), lessThan(MAX_ERROR));
  }

  @Test
  void naiveIsTheSmoothedCtrRatioWorkedByHand() {
    ClickCounts c =
        new ClickCounts()
            .add("*", 1, "a", 1000, 100)
            .add("*", 2, "a", 1000, 50)
            .add("*", 3, "b", 500, 10);
    PropensityTable t = PropensityFit.create().withSmoothing(0).fit(c);
    assertThat(t.positions().get(1).naive(), closeTo(0.5, 1e-12));
    assertThat(t.positions().get(2).naive(), closeTo(0.2, 1e-12));
    // m = 10 pseudo-impressions at the overall CTR 160/2500 = 0.064.
    PropensityTable s = PropensityFit.create().withSmoothing(10).fit(c);
    double ctr1 = (100 + 10 * 0.064) / 1010;
    double ctr3 = (10 + 10 * 0.064) / 510;
    assertThat(s.positions().get(2).naive(), closeTo(ctr3 / ctr1, 1e-12));
  }

  @Test
  void emRecoversAnExactPositionBasedModel() {
    // Expected counts of P(click) = θ_p γ_ad with every ad at every position: the model holds
    // exactly.
    double[] theta = {0.9, 0.45, 0.18, 0.09};
    double[] gamma = {0.3, 0.1, 0.05, 0.02, 0.01};
    ClickCounts c = new ClickCounts();
    long n = 1_000_000;
    for (int p = 0; p < theta.length; p++) {
      for (int a = 0; a < gamma.length; a++) {
        // Better ads shown more at the top: confounds the naive ratio.
        long shown = n * (a < 2 ? (p < 2 ? 8 : 1) : (p < 2 ? 1 : 8));
        c.add("*", p + 1, "ad" + a, shown, Math.round(shown * theta[p] * gamma[a]));
      }
    }
    PropensityTable t = PropensityFit.create().withConvergence(100_000, 1e-10).fit(c);
    for (int p = 0; p < theta.length; p++) {
      assertThat(
          "position " + (p + 1), t.positions().get(p).em(), closeTo(theta[p] / theta[0], 1e-3));
    }
    assertThat(t.positions().get(3).naive(), lessThan(0.5 * theta[3] / theta[0]));
  }

  @Test
  void neverShownPositionsTakeThePositionAboveAndAreReported() {
    ClickCounts c =
        new ClickCounts()
            .add("*", 1, "a", 1000, 100)
            .add("*", 2, "a", 1000, 60)
            .add("*", 4, "a", 1000, 30);
    PropensityTable t = PropensityFit.create().withPositions(5).fit(c);
    List<PropensityTable.Entry> p = t.positions();
    assertThat(p.size(), equalTo(5));
    assertThat(p.get(2).fallback(), equalTo(Fallback.NOT_SHOWN));
    assertThat(p.get(2).naive(), equalTo(p.get(1).naive()));
    assertThat(p.get(2).em(), equalTo(p.get(1).em()));
    assertThat(p.get(4).fallback(), equalTo(Fallback.NOT_SHOWN));
    assertThat(p.get(4).em(), equalTo(p.get(3).em()));
    assertThat(t.fallbacks(), contains("*:3=NOT_SHOWN", "*:5=NOT_SHOWN"));
    allFiniteInUnitInterval(t);
  }

  @Test
  void positionOneWithoutClicksGivesFiniteCappedPropensities() {
    ClickCounts c =
        new ClickCounts()
            .add("*", 1, "a", 1000, 0)
            .add("*", 2, "a", 1000, 20)
            .add("*", 3, "b", 1000, 5);
    PropensityTable t = PropensityFit.create().fit(c);
    assertThat(t.positions().get(0).fallback(), equalTo(Fallback.REFERENCE_WITHOUT_CLICKS));
    assertThat(t.positions().get(0).naive(), equalTo(1.0));
    allFiniteInUnitInterval(t);
    assertThat(t.fallbacks(), contains("*:1=REFERENCE_WITHOUT_CLICKS"));
  }

  @Test
  void tinyCountsFallBackAndAPositionOneNeverShownMovesTheReference() {
    ClickCounts c =
        new ClickCounts()
            .add("*", 1, "a", 5, 1)
            .add("*", 2, "a", 1000, 50)
            .add("*", 3, "a", 1000, 25)
            .add("*", 4, "b", 3, 0);
    PropensityTable t = PropensityFit.create().withSmoothing(0).fit(c);
    List<PropensityTable.Entry> p = t.positions();
    assertThat(p.get(0).fallback(), equalTo(Fallback.FEW_IMPRESSIONS));
    assertThat(p.get(0).naive(), equalTo(1.0));
    assertThat(p.get(1).naive(), equalTo(1.0)); // the reference
    assertThat(p.get(2).naive(), closeTo(0.5, 1e-12));
    assertThat(p.get(3).fallback(), equalTo(Fallback.FEW_IMPRESSIONS));
    assertThat(p.get(3).naive(), equalTo(p.get(2).naive()));
    allFiniteInUnitInterval(t);
  }

  @Test
  void noClicksOrNoDataAtAllCorrectNothing() {
    PropensityTable none =
        PropensityFit.create()
            .withPositions(3)
            .fit(new ClickCounts().add("*", 1, "a", 500, 0).add("*", 3, "a", 500, 0));
    none.positions()
        .forEach(
            e -> {
              assertThat(e.fallback(), equalTo(Fallback.NO_CLICKS));
              assertThat(e.em(), equalTo(1.0));
              assertThat(e.naive(), equalTo(1.0));
            });
    PropensityTable empty = PropensityFit.create().fit(new ClickCounts());
    allFiniteInUnitInterval(empty);
    assertThat(empty.propensity("mobile", 7), equalTo(1.0));
  }

  @Test
  void emIsDeterministicConvergesAndAccumulatesOverAllData() {
    GeneratedLogs logs = LogGenerator.generate(confounded(3L).withImpressionsPerDay(60_000));
    ClickCounts all = PropensityErrorTable.counts(logs, false);
    PropensityTable a = PropensityFit.create().fit(all);
    // Same cells added in the reverse order: the fit visits them sorted, so the result is bitwise
    // equal.
    List<ClickCounts.Cell> cells = new ArrayList<>(all.sorted().keySet());
    Collections.reverse(cells);
    ClickCounts reversed = new ClickCounts();
    cells.forEach(
        k -> {
          long[] v = all.sorted().get(k);
          reversed.add(k.context(), k.position(), k.ad(), v[0], v[1]);
        });
    assertEquals(a, PropensityFit.create().fit(reversed));
    assertTrue(a.emConverged());
    assertThat(a.emIterations(), lessThan(10_000));
    // Converged: a much tighter tolerance moves no propensity by more than 1e-4.
    PropensityTable tight = PropensityFit.create().withConvergence(200_000, 1e-11).fit(all);
    for (int i = 0; i < a.positions().size(); i++) {
      assertThat(
          Math.abs(a.positions().get(i).em() - tight.positions().get(i).em()), lessThan(1e-4));
    }
    // Partial aggregates merged (as the combine does) give the fit over everything, not over the
    // last part.
    ClickCounts first = new ClickCounts();
    ClickCounts second = new ClickCounts();
    int i = 0;
    for (var e : all.sorted().entrySet()) {
      (i++ % 2 == 0 ? first : second)
          .add(
              e.getKey().context(),
              e.getKey().position(),
              e.getKey().ad(),
              e.getValue()[0],
              e.getValue()[1]);
    }
    ClickCounts merged = CountClicks.perPosition().mergeAccumulators(List.of(first, second));
    assertEquals(a, PropensityFit.create().fit(merged));
    assertThat(PropensityFit.create().fit(second), org.hamcrest.Matchers.not(equalTo(a)));
  }

  @Test
  void perDeviceEntriesMeetTheBoundAndSparseDevicesUseAllDevices() {
    GeneratorConfig config = confounded(42L);
    PropensityTable t =
        PropensityFit.create()
            .withMinImpressions(2_000)
            .fit(PropensityErrorTable.counts(LogGenerator.generate(config), true));
    // The generator's examination does not depend on device: every device's EM estimate is near the
    // truth.
    List<PropensityTable.Entry> mobile =
        t.entries().stream().filter(e -> e.context().equals("mobile")).collect(Collectors.toList());
    assertThat(mobile.size(), equalTo(10));
    // With ~60% of the rows the bound is looser, and EM still halves the naive mean error.
    double emSum = 0;
    double naiveSum = 0;
    for (PropensityTable.Entry e : mobile) {
      double truth = PropensityErrorTable.truth(config, e.position());
      assertThat("mobile " + e.position(), Math.abs(e.em() - truth), lessThan(0.12));
      emSum += Math.abs(e.em() - truth);
      naiveSum += Math.abs(e.naive() - truth);
    }
    assertThat(emSum, lessThan(naiveSum / 2));
    // ~0.5% of rows have no device: too few for 2,000 impressions a position.
    PropensityTable.Entry unknown =
        t.entries().stream()
            .filter(e -> e.context().equals("unknown") && e.position() == 2)
            .findFirst()
            .orElseThrow();
    assertThat(unknown.fallback(), equalTo(Fallback.ALL_DEVICES));
    assertThat(t.propensity(null, 2), equalTo(t.propensity("*", 2)));
    assertThat(t.propensity("mobile", 2), equalTo(mobile.get(1).em()));
    allFiniteInUnitInterval(t);
  }

  @Test
  void optionsRejectBadValues() {
    assertThrows(
        IllegalArgumentException.class, () -> PropensityFit.create().withMinImpressions(0));
    assertThrows(IllegalArgumentException.class, () -> PropensityFit.create().withSmoothing(-1));
    assertThrows(
        IllegalArgumentException.class, () -> PropensityFit.create().withConvergence(0, 1e-6));
    assertThrows(
        IllegalArgumentException.class, () -> PropensityFit.create().withConvergence(10, 0));
  }

  static void allFiniteInUnitInterval(PropensityTable t) {
    for (PropensityTable.Entry e : t.entries()) {
      for (double v : new double[] {e.naive(), e.em()}) {
        assertTrue(Double.isFinite(v) && v > 0, e + " finite and > 0");
        assertThat(e.toString(), v, lessThanOrEqualTo(1.0));
      }
    }
  }
}
