package io.ctrbeam.generate;

import java.io.Serializable;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The values of a {@link GeneratorConfig} (checked there) and their defaults; copied, never shared.
 */
final class ConfigValues implements Serializable, Cloneable {
  private static final long serialVersionUID = 1L;

  int users = 10_000;
  int ads = 1_000;
  int advertisers = 100;
  int categories = 12;
  int positions = 10;
  int days = 1;
  long impressionsPerDay = 100_000;
  LocalDate startDate = LocalDate.of(2025, 6, 1);
  long seed = 42L;
  double examinationDecay = 0.8;
  double[] examinationProbabilities;
  double ctrMedian = 0.02;
  double ctrSigma = 0.6;
  double rankNoise = 0.5;
  long clickDelayMedianMs = Duration.ofSeconds(90).toMillis();
  double clickDelaySigma = 1.6;
  double duplicateClickRate = 0.03;
  double conversionRate = 0.05;
  long conversionDelayMedianMs = Duration.ofHours(6).toMillis();
  double conversionDelaySigma = 1.5;
  long disorderBoundMs = Duration.ofMinutes(5).toMillis();
  double lateFraction = 0.005;
  long lateMinMs = Duration.ofHours(1).toMillis();
  long lateMaxMs = Duration.ofHours(6).toMillis();
  int driftFromDay = GeneratorConfig.NO_DRIFT;
  double driftCtrMultiplier = 1.3;
  double driftMobileShare = 0.85;
  double badRecordRate = 0.0;
  long windowMs = Duration.ofMinutes(30).toMillis();
  long horizonMs = Duration.ofHours(2).toMillis();
  long conversionWindowMs = Duration.ofDays(7).toMillis();
  Boolean writeLabels;
  int threads = Math.max(1, Runtime.getRuntime().availableProcessors());

  /** A copy to change; the examination array is never changed in place, so it is shared. */
  ConfigValues copy() {
    try {
      return (ConfigValues) clone();
    } catch (CloneNotSupportedException e) {
      throw new AssertionError(e);
    }
  }

  /** The options as an ordered map, for the ground-truth file and display. */
  Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("users", users);
    m.put("ads", ads);
    m.put("advertisers", advertisers);
    m.put("categories", categories);
    m.put("positions", positions);
    m.put("days", days);
    m.put("impressions_per_day", impressionsPerDay);
    m.put("start_date", startDate.toString());
    m.put("seed", seed);
    m.put("examination_decay", examinationProbabilities == null ? examinationDecay : null);
    m.put("ctr_median", ctrMedian);
    m.put("ctr_sigma", ctrSigma);
    m.put("rank_noise", rankNoise);
    m.put("click_delay_median_ms", clickDelayMedianMs);
    m.put("click_delay_sigma", clickDelaySigma);
    m.put("duplicate_click_rate", duplicateClickRate);
    m.put("conversion_rate", conversionRate);
    m.put("conversion_delay_median_ms", conversionDelayMedianMs);
    m.put("conversion_delay_sigma", conversionDelaySigma);
    m.put("disorder_bound_ms", disorderBoundMs);
    m.put("late_fraction", lateFraction);
    m.put("late_min_ms", lateMinMs);
    m.put("late_max_ms", lateMaxMs);
    m.put("drift_from_day", driftFromDay);
    m.put("drift_ctr_multiplier", driftCtrMultiplier);
    m.put("drift_mobile_share", driftMobileShare);
    m.put("bad_record_rate", badRecordRate);
    m.put("window_ms", windowMs);
    m.put("horizon_ms", horizonMs);
    m.put("conversion_window_ms", conversionWindowMs);
    return m;
  }

  /** The examination probability of position p (1-based, in range). */
  double examination(int position) {
    if (examinationProbabilities != null) {
      return examinationProbabilities[position - 1];
    }
    return 1.0 / Math.pow(position, examinationDecay);
  }

  double[] examinationProbabilities() {
    double[] e = new double[positions];
    for (int p = 1; p <= positions; p++) {
      e[p - 1] = examination(p);
    }
    return e;
  }

  @Override
  public String toString() {
    return toMap()
        + (examinationProbabilities == null ? "" : Arrays.toString(examinationProbabilities));
  }
}
