package io.ctrbeam.weights;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The keep/drop hash and the sampling rate, against published test vectors and hand-worked cases.
 */
class SamplingTest {
  @Test
  void fnv1aMatchesThePublishedTestVectors() {
    assertThat(StableHash.fnv1a64(""), equalTo(0xcbf29ce484222325L));
    assertThat(StableHash.fnv1a64("a"), equalTo(0xaf63dc4c8601ec8cL));
    assertThat(StableHash.fnv1a64("foobar"), equalTo(0x85944171f73967e8L));
  }

  @Test
  void unitIsUniformDeterministicAndDependsOnTheSeed() {
    int n = 100_000;
    int below = 0;
    int same = 0;
    for (int i = 0; i < n; i++) {
      String id = "imp_" + i;
      double u = StableHash.unit(7, id);
      assertThat(u, equalTo(StableHash.unit(7, id)));
      below += u < 0.3 ? 1 : 0;
      same += (u < 0.3) == (StableHash.unit(8, id) < 0.3) ? 1 : 0;
    }
    // Binomial(n, 0.3): sd = 145; 5 sd.
    assertThat(Math.abs(below - 0.3 * n), lessThan(725.0));
    // Independent seeds agree on keep/drop with probability 0.3² + 0.7² = 0.58.
    assertThat(Math.abs(same - 0.58 * n), lessThan(800.0));
  }

  @Test
  void rateTakesOnePercentToTenPercent() {
    SamplingPlan plan = new SamplingPlan(0.01, 0.10, true);
    // Keep q of the negatives: 0.01 / (0.01 + q · 0.99) = 0.10  ⇒  q = 0.009 / 0.099 = 1/11.
    assertThat(plan.negativeRate(), closeTo(1.0 / 11, 1e-12));
    double after = 0.01 / (0.01 + plan.negativeRate() * 0.99);
    assertThat(after, closeTo(0.10, 1e-12));
  }

  @Test
  void nothingIsDroppedWithoutPositivesAboveTheTargetOrWhenOff() {
    assertThat(new SamplingPlan(0.0, 0.10, true).negativeRate(), equalTo(1.0));
    assertThat(new SamplingPlan(0.2, 0.10, true).negativeRate(), equalTo(1.0));
    assertThat(SamplingPlan.none(0.01).negativeRate(), equalTo(1.0));
    assertThat(new SamplingPlan(0.01, 0.10, true).keep(true, "any", 0), equalTo(true));
  }

  @Test
  void badRatesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new SamplingPlan(1.5, 0.1, true));
    assertThrows(IllegalArgumentException.class, () -> new SamplingPlan(0.01, 1.0, true));
  }
}
