package io.ctrbeam.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ctrbeam.schema.TrainingExample;

/** Assertions shared by the feature tests. */
final class FeatureAssertions {
  static final double REL = 1e-9;

  private FeatureAssertions() {}

  static boolean close(double a, double b) {
    return Math.abs(a - b) <= REL * Math.max(Math.abs(a), Math.abs(b)) || a == b;
  }

  static void assertClose(double expected, double actual, String what) {
    assertTrue(close(expected, actual), what + ": expected " + expected + " but was " + actual);
  }

  static Object field(TrainingExample e, KeyKind kind, String suffix) {
    return e.get(kind.label + suffix);
  }

  /** Asserts one kind's six features against the oracle's {imps, clicks, dImps, dClicks}. */
  static void assertFeatures(TrainingExample e, KeyKind kind, double[] o, FeatureParams p) {
    String what = e.getImpressionId() + " " + kind.label;
    assertEquals((long) o[0], field(e, kind, "_impressions_24h"), what + " impressions");
    assertEquals((long) o[1], field(e, kind, "_clicks_24h"), what + " clicks");
    Double ctr = (Double) field(e, kind, "_ctr_24h");
    if (o[0] == 0) {
      assertNull(ctr, what + " ctr with no impressions");
    } else {
      assertClose(o[1] / o[0], ctr, what + " ctr");
    }
    assertClose(o[2], (Double) field(e, kind, "_decayed_impressions"), what + " decayed imps");
    assertClose(o[3], (Double) field(e, kind, "_decayed_clicks"), what + " decayed clicks");
    assertClose(p.smoothedCtr(o[3], o[2]), (Double) field(e, kind, "_decayed_ctr"), what + " dctr");
  }

  /** Asserts every example against the oracle, for every kind (point in time). */
  static Void allMatchOracle(Iterable<TrainingExample> rows, FeatureScenario s, FeatureParams p) {
    int n = 0;
    for (TrainingExample e : rows) {
      n++;
      for (KeyKind kind : KeyKind.values()) {
        String key = kind.keyOf(e);
        if (key == null) {
          for (String suffix : new String[] {"_impressions_24h", "_ctr_24h", "_decayed_ctr"}) {
            assertNull(field(e, kind, suffix), e.getImpressionId() + " " + kind.label + suffix);
          }
        } else {
          long t = e.getEventTime().toEpochMilli();
          assertFeatures(e, kind, s.oracle(kind, key, t, false, p), p);
        }
      }
    }
    assertEquals(s.examples.size(), n, "records in = records out");
    return null;
  }
}
