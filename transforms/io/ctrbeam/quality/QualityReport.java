package io.ctrbeam.quality;

import java.io.Serializable;
import java.util.List;

/**
 * The gate's verdict over a run or a window: every check (below its threshold too), the breaches,
 * the profiles, the reference they were compared with and the dead-letter counts. Written as {@code
 * quality.json} and drawn as {@code quality.html}.
 */
public record QualityReport(
    boolean passed,
    long clockMillis,
    Long windowStart,
    Long windowEnd,
    double epsilon,
    double noiseAlpha,
    List<QualityCheck> breaches,
    List<QualityCheck> checks,
    List<DatasetProfile> profiles,
    List<DatasetProfile> reference,
    DeadLetterCounts deadLetters)
    implements Serializable {

  /** One line: passed, or failed with every breach named. */
  public String summary() {
    if (passed) {
      return "quality gate PASSED (" + checks.size() + " checks)";
    }
    StringBuilder s =
        new StringBuilder(
            "quality gate FAILED: "
                + breaches.size()
                + " of "
                + checks.size()
                + " checks breached");
    for (QualityCheck b : breaches) {
      s.append("\n  ").append(b.describe());
    }
    return s.toString();
  }
}
