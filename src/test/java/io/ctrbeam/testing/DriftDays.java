package io.ctrbeam.testing;

import io.ctrbeam.generate.GeneratorConfig;

/** Generated logs for drift checks: two days, the second drifted when asked. */
public final class DriftDays {
  private DriftDays() {}

  /** Two days of 20,000 impressions over 2,000 users and 300 ads; day 1 drifted when asked. */
  public static GeneratorConfig config(boolean drift) {
    GeneratorConfig c =
        GeneratorConfig.defaults()
            .withDays(2)
            .withImpressionsPerDay(20_000)
            .withUsers(2_000)
            .withAds(300);
    return drift ? c.withDriftFromDay(1) : c;
  }
}
