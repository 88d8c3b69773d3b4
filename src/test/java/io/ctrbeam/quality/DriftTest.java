package io.ctrbeam.quality;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;

import org.junit.jupiter.api.Test;

/**
 * PSI, KL and JS on small cases computed by hand (closed forms in the comments; the decimals were
 * worked out apart from this code), ε = 1e-4 unless said.
 */
class DriftTest {
  private static final double EPS = 1e-4;

  @Test
  void halfAgainstQuarterWithoutSmoothingIsTheTextbookValue() {
    // P = (1/2, 1/2), Q = (1/4, 3/4): PSI = 1/4 ln 2 + 1/4 ln(3/2); KL = 1/2 ln 2 + 1/2 ln(2/3).
    long[] p = {2, 2};
    long[] q = {1, 3};
    assertThat(Drift.psi(p, q, 0), closeTo(0.25 * Math.log(2) + 0.25 * Math.log(1.5), 1e-15));
    assertThat(Drift.kl(p, q, 0), closeTo(0.5 * Math.log(2) + 0.5 * Math.log(2.0 / 3), 1e-15));
    // JS: M = (3/8, 5/8); ½[½ ln(4/3) + ½ ln(4/5)] + ½[¼ ln(2/3) + ¾ ln(6/5)].
    double js =
        0.5 * (0.5 * Math.log(4.0 / 3) + 0.5 * Math.log(4.0 / 5))
            + 0.5 * (0.25 * Math.log(2.0 / 3) + 0.75 * Math.log(6.0 / 5));
    assertThat(Drift.js(p, q, 0), closeTo(js, 1e-15));
    // Smoothed with ε = 1e-4 (shares (s + ε)/(1 + 2ε)): a hair below.
    assertThat(Drift.psi(p, q, EPS), closeTo(0.2745315169696105, 1e-12));
    assertThat(Drift.kl(p, q, EPS), closeTo(0.14377439399527608, 1e-12));
    assertThat(Drift.js(p, q, EPS), closeTo(0.033807385839392426, 1e-12));
  }

  @Test
  void anEmptyBinIsSmoothedNotInfinite() {
    // P = (1, 0), Q = (1/2, 1/2): P' = ((1+ε)/(1+2ε), ε/(1+2ε)), Q' = ((1/2+ε)/(1+2ε), same).
    long[] p = {4, 0};
    long[] q = {2, 2};
    double z = 1 + 2 * EPS;
    double p1 = (1 + EPS) / z;
    double p2 = EPS / z;
    double q1 = (0.5 + EPS) / z;
    assertThat(
        Drift.psi(p, q, EPS),
        closeTo((p1 - q1) * Math.log(p1 / q1) + (p2 - q1) * Math.log(p2 / q1), 1e-15));
    assertThat(Drift.psi(p, q, EPS), closeTo(4.6042993236235334, 1e-12));
    assertThat(Drift.kl(p, q, EPS), closeTo(0.6921263356928877, 1e-12));
    assertThat(Drift.js(p, q, EPS), closeTo(0.21530604487210947, 1e-12));
  }

  @Test
  void anAllNullFieldPutsEverythingInTheNullBin() {
    // Numeric bins (<e0, [e0,e1), >=e1, null): reference 3/3/3/1, current all null.
    long[] current = {0, 0, 0, 10};
    long[] reference = {3, 3, 3, 1};
    assertThat(Drift.psi(current, reference, EPS), closeTo(9.2738382544897, 1e-11));
    assertThat(Drift.kl(current, reference, EPS), closeTo(2.298594308243132, 1e-12));
    assertThat(Drift.js(current, reference, EPS), closeTo(0.5241892382076943, 1e-12));
  }

  @Test
  void anUnseenCategoryGoesToOtherAndStaysFinite() {
    // Bins (a, b, other, null): the reference saw only a and b; now every value is an unseen "c".
    long[] current = {0, 0, 10, 0};
    long[] reference = {5, 5, 0, 0};
    assertThat(Drift.psi(current, reference, EPS), closeTo(17.7207452402993, 1e-10));
    assertThat(Drift.kl(current, reference, EPS), closeTo(9.205975542162067, 1e-11));
    // JS is bounded by ln 2, and near it for disjoint supports.
    assertThat(Drift.js(current, reference, EPS), closeTo(0.6916162043998619, 1e-12));
    assertThat(Drift.js(current, reference, EPS), lessThan(Math.log(2)));
  }

  @Test
  void aSingleValuedFieldHasNoDriftAgainstItselfAndMuchBelowIt() {
    // Reference all 7: edges {7}, bins (<7, >=7, null) = (0, 4, 0).
    long[] reference = {0, 4, 0};
    assertThat(Drift.psi(new long[] {0, 9, 0}, reference, EPS), equalTo(0.0));
    assertThat(Drift.js(new long[] {0, 9, 0}, reference, EPS), equalTo(0.0));
    assertThat(Drift.psi(new long[] {2, 0, 0}, reference, EPS), closeTo(18.415356127114894, 1e-10));
    assertThat(Drift.kl(new long[] {2, 0, 0}, reference, EPS), closeTo(9.207678063557447, 1e-11));
  }

  @Test
  void emptyCurrentIsUniformAndItsNoiseIsUnbounded() {
    double[] s = Drift.smooth(new long[] {0, 0, 0, 0}, EPS);
    for (double v : s) {
      assertThat(v, closeTo(0.25, 1e-15));
    }
    Drift.Noise psi =
        Drift.noise(new long[] {0, 0, 0, 0}, new long[] {1, 2, 3, 4}, EPS, 0.001, 2000)[0];
    assertThat(psi.bound(), equalTo(Double.POSITIVE_INFINITY));
  }

  @Test
  void simulatedNoiseMatchesTheChiSquareApproximationAtLargeSizes() {
    // Five equal bins, n = m = 10000: E[PSI] ≈ (k−1)(1/n + 1/m) = 4 × 2e-4 = 8e-4; KL half, JS an
    // eighth.
    long[] cur = {2000, 2000, 2000, 2000, 2000};
    Drift.Noise[] noise = Drift.noise(cur, cur.clone(), EPS, 0.001, 2000);
    assertThat(
        Drift.chiSquareApproximation(Drift.Measure.PSI, 5, 10_000, 10_000), closeTo(8e-4, 1e-15));
    assertThat(noise[Drift.Measure.PSI.ordinal()].mean(), closeTo(8e-4, 8e-5));
    assertThat(noise[Drift.Measure.KL.ordinal()].mean(), closeTo(4e-4, 4e-5));
    assertThat(noise[Drift.Measure.JS.ordinal()].mean(), closeTo(1e-4, 1e-5));
    // χ²(4) exceeds 18.47 with probability 0.001, so the bound is near 18.47 × 2e-4.
    assertThat(
        noise[Drift.Measure.PSI.ordinal()].bound(), closeTo(18.47 * 2e-4, 18.47 * 2e-4 * 0.25));
  }

  @Test
  void atSmallSizesTheSimulationIsWellAboveTheApproximation() {
    // Ten values on 11 equal bins: most bins are empty, and each costs about 0.1 · ln(0.1/ε).
    long[] ref = new long[11];
    java.util.Arrays.fill(ref, 10_000);
    long[] cur = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
    Drift.Noise psi = Drift.noise(cur, ref, EPS, 0.001, 2000)[0];
    double approx = Drift.chiSquareApproximation(Drift.Measure.PSI, 11, 10, 110_000);
    assertThat(approx, closeTo(1.0, 0.001));
    assertThat(psi.mean(), greaterThan(2 * approx));
    // Reproducible: the seed comes from the counts.
    assertThat(Drift.noise(cur, ref, EPS, 0.001, 2000)[0], equalTo(psi));
  }

  @Test
  void binomialDrawsHaveTheirMean() {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
    for (double[] np : new double[][] {{50, 0.1}, {1_000_000, 0.3}, {20, 0.9}}) {
      double sum = 0;
      for (int i = 0; i < 4000; i++) {
        sum += Drift.binomial((long) np[0], np[1], rnd);
      }
      double mean = np[0] * np[1];
      assertThat(sum / 4000, closeTo(mean, 4 * Math.sqrt(mean * (1 - np[1]) / 4000)));
    }
  }

  @Test
  void bandsAreSpecFive() {
    assertThat(Drift.band(0.05), equalTo("none"));
    assertThat(Drift.band(0.15), equalTo("moderate"));
    assertThat(Drift.band(0.2), equalTo("moderate"));
    assertThat(Drift.band(0.21), equalTo("significant"));
  }
}
