package io.ctrbeam.weights;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Lookup rules and the file format of propensity tables. */
class PropensityTableTest {
  private static PropensityTable fitted() {
    ClickCounts c = new ClickCounts();
    for (String d : new String[] {"mobile", "desktop"}) {
      c.add(d, 1, "a", 2000, 200)
          .add(d, 2, "a", 2000, d.equals("mobile") ? 60 : 120)
          .add(d, 3, "b", 2000, 40);
    }
    c.add("tablet", 1, "a", 10, 1);
    return PropensityFit.create().withSmoothing(0).withEstimator(Estimator.NAIVE).fit(c);
  }

  @Test
  void lookupUsesTheDeviceEntryThenAllDevicesThenTheDeepestPosition() {
    PropensityTable t = fitted();
    assertThat(t.propensity("mobile", 2), closeTo(0.3, 1e-12));
    assertThat(t.propensity("desktop", 2), closeTo(0.6, 1e-12));
    assertThat(t.propensity("tablet", 2), equalTo(t.propensity("*", 2)));
    assertThat(t.propensity(null, 2), equalTo(t.propensity("*", 2)));
    assertThat(t.propensity("mobile", 9), equalTo(t.propensity("mobile", 3)));
    assertThat(t.beyondTable(9), equalTo(true));
    assertThat(t.beyondTable(3), equalTo(false));
  }

  @Test
  void jsonRoundTripKeepsThePropensitiesUsed() {
    PropensityTable t = fitted();
    PropensityTable back = PropensityTable.fromJson(t.toJson(), "file");
    for (String d : new String[] {"mobile", "desktop", "tablet", "*"}) {
      for (int p = 1; p <= 4; p++) {
        assertThat(d + p, back.propensity(d, p), equalTo(t.propensity(d, p)));
      }
    }
    assertThat(back.source(), equalTo("file"));
  }

  @Test
  void malformedFilesAreRefusedWithTheReason() {
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> PropensityTable.fromJson("{", "f"))
            .getMessage(),
        containsString("not JSON"));
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> PropensityTable.fromJson("{}", "f"))
            .getMessage(),
        containsString("propensities"));
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    PropensityTable.fromJson(
                        "{\"propensities\":[{\"position\":1,\"propensity\":0}]}", "f"))
            .getMessage(),
        containsString("(0, 1]"));
    assertThat(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    PropensityTable.fromJson(
                        "{\"propensities\":[{\"context\":\"mobile\",\"position\":1,\"propensity\":1}]}",
                        "f"))
            .getMessage(),
        containsString("all-device"));
  }
}
