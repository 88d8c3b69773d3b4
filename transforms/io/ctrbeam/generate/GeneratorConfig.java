package io.ctrbeam.generate;

import java.io.Serializable;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Immutable options of the synthetic log generator. Every {@code withX()} checks its argument and
 * returns a new instance; the defaults make a small, realistic day of logs.
 */
public final class GeneratorConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  /** No drift: the value of {@link #driftFromDay()} when drift is off. */
  public static final int NO_DRIFT = -1;

  private int users = 10_000;
  private int ads = 1_000;
  private int advertisers = 100;
  private int categories = 12;
  private int positions = 10;
  private int days = 1;
  private long impressionsPerDay = 100_000;
  private LocalDate startDate = LocalDate.of(2025, 6, 1);
  private long seed = 42L;
  private double examinationDecay = 0.8;
  private double[] examinationProbabilities;
  private double ctrMedian = 0.02;
  private double ctrSigma = 0.6;
  private double rankNoise = 0.5;
  private long clickDelayMedianMs = Duration.ofSeconds(90).toMillis();
  private double clickDelaySigma = 1.6;
  private double duplicateClickRate = 0.03;
  private double conversionRate = 0.05;
  private long conversionDelayMedianMs = Duration.ofHours(6).toMillis();
  private double conversionDelaySigma = 1.5;
  private long disorderBoundMs = Duration.ofMinutes(5).toMillis();
  private double lateFraction = 0.005;
  private long lateMinMs = Duration.ofHours(1).toMillis();
  private long lateMaxMs = Duration.ofHours(6).toMillis();
  private int driftFromDay = NO_DRIFT;
  private double driftCtrMultiplier = 1.3;
  private double driftMobileShare = 0.85;
  private double badRecordRate = 0.0;
  private long windowMs = Duration.ofMinutes(30).toMillis();
  private long horizonMs = Duration.ofHours(2).toMillis();
  private long conversionWindowMs = Duration.ofDays(7).toMillis();
  private Boolean writeLabels;
  private int threads = Math.max(1, Runtime.getRuntime().availableProcessors());

  private GeneratorConfig() {}

  /** The defaults: 10k users, 1k ads, 10 positions, one day of 100k impressions, seed 42. */
  public static GeneratorConfig defaults() {
    return new GeneratorConfig();
  }

  private GeneratorConfig copy() {
    GeneratorConfig c = new GeneratorConfig();
    c.users = users;
    c.ads = ads;
    c.advertisers = advertisers;
    c.categories = categories;
    c.positions = positions;
    c.days = days;
    c.impressionsPerDay = impressionsPerDay;
    c.startDate = startDate;
    c.seed = seed;
    c.examinationDecay = examinationDecay;
    c.examinationProbabilities = examinationProbabilities;
    c.ctrMedian = ctrMedian;
    c.ctrSigma = ctrSigma;
    c.rankNoise = rankNoise;
    c.clickDelayMedianMs = clickDelayMedianMs;
    c.clickDelaySigma = clickDelaySigma;
    c.duplicateClickRate = duplicateClickRate;
    c.conversionRate = conversionRate;
    c.conversionDelayMedianMs = conversionDelayMedianMs;
    c.conversionDelaySigma = conversionDelaySigma;
    c.disorderBoundMs = disorderBoundMs;
    c.lateFraction = lateFraction;
    c.lateMinMs = lateMinMs;
    c.lateMaxMs = lateMaxMs;
    c.driftFromDay = driftFromDay;
    c.driftCtrMultiplier = driftCtrMultiplier;
    c.driftMobileShare = driftMobileShare;
    c.badRecordRate = badRecordRate;
    c.windowMs = windowMs;
    c.horizonMs = horizonMs;
    c.conversionWindowMs = conversionWindowMs;
    c.writeLabels = writeLabels;
    c.threads = threads;
    return c;
  }

  static void checkArgument(boolean ok, String message, Object value) {
    if (!ok) {
      throw new IllegalArgumentException(message + ", got " + value);
    }
  }

  private static void checkRate(double v, String name) {
    checkArgument(v >= 0 && v <= 1, name + " must be in [0, 1]", v);
  }

  private static void checkPositive(Duration d, String name) {
    checkArgument(d != null && d.toMillis() > 0, name + " must be a positive duration", d);
  }

  /** Number of distinct users (at least 1). */
  public GeneratorConfig withUsers(int v) {
    checkArgument(v >= 1, "users must be >= 1", v);
    GeneratorConfig c = copy();
    c.users = v;
    return c;
  }

  /** Number of ads; must be at least the number of positions. */
  public GeneratorConfig withAds(int v) {
    checkArgument(v >= 1, "ads must be >= 1", v);
    GeneratorConfig c = copy();
    c.ads = v;
    return c;
  }

  /** Number of advertisers (at least 1). */
  public GeneratorConfig withAdvertisers(int v) {
    checkArgument(v >= 1, "advertisers must be >= 1", v);
    GeneratorConfig c = copy();
    c.advertisers = v;
    return c;
  }

  /** Number of ad categories (at least 1). */
  public GeneratorConfig withCategories(int v) {
    checkArgument(v >= 1, "categories must be >= 1", v);
    GeneratorConfig c = copy();
    c.categories = v;
    return c;
  }

  /** Ad slots per request, positions 1..v (1 = top). */
  public GeneratorConfig withPositions(int v) {
    checkArgument(v >= 1 && v <= 100, "positions must be in [1, 100]", v);
    GeneratorConfig c = copy();
    c.positions = v;
    return c;
  }

  /** Number of days of logs. */
  public GeneratorConfig withDays(int v) {
    checkArgument(v >= 1 && v <= 3660, "days must be in [1, 3660]", v);
    GeneratorConfig c = copy();
    c.days = v;
    return c;
  }

  /** Impressions per day (valid ones; injected bad records come on top). */
  public GeneratorConfig withImpressionsPerDay(long v) {
    checkArgument(v >= 1 && v <= 2_000_000_000L, "impressionsPerDay must be in [1, 2e9]", v);
    GeneratorConfig c = copy();
    c.impressionsPerDay = v;
    return c;
  }

  /** First day of the logs (UTC), on or after 2000-01-02. */
  public GeneratorConfig withStartDate(LocalDate v) {
    checkArgument(
        v != null && v.isAfter(LocalDate.of(2000, 1, 1)), "startDate must be after 2000-01-01", v);
    GeneratorConfig c = copy();
    c.startDate = v;
    return c;
  }

  /** Seed of every random draw: same config and seed give byte-identical output. */
  public GeneratorConfig withSeed(long v) {
    GeneratorConfig c = copy();
    c.seed = v;
    return c;
  }

  /** Examination probability of position p is 1 / p^decay (used unless probabilities are given). */
  public GeneratorConfig withExaminationDecay(double v) {
    checkArgument(v >= 0 && v <= 5, "examinationDecay must be in [0, 5]", v);
    GeneratorConfig c = copy();
    c.examinationDecay = v;
    return c;
  }

  /**
   * Explicit examination probabilities for positions 1..n, each in (0, 1]; n sets the positions.
   */
  public GeneratorConfig withExaminationProbabilities(double... v) {
    checkArgument(v != null && v.length >= 1 && v.length <= 100, "need 1..100 probabilities", v);
    for (double p : v) {
      checkArgument(p > 0 && p <= 1, "examination probabilities must be in (0, 1]", p);
    }
    GeneratorConfig c = copy();
    c.examinationProbabilities = v.clone();
    c.positions = v.length;
    return c;
  }

  /** Median true CTR of an ad (when examined); ad CTRs are log-normal around it. */
  public GeneratorConfig withCtrMedian(double v) {
    checkArgument(v > 0 && v < 0.5, "ctrMedian must be in (0, 0.5)", v);
    GeneratorConfig c = copy();
    c.ctrMedian = v;
    return c;
  }

  /** Log-space standard deviation of the ads' true CTR. */
  public GeneratorConfig withCtrSigma(double v) {
    checkArgument(v >= 0 && v <= 3, "ctrSigma must be in [0, 3]", v);
    GeneratorConfig c = copy();
    c.ctrSigma = v;
    return c;
  }

  /** Noise (log space) of the ranking score: 0 ranks strictly by true CTR. */
  public GeneratorConfig withRankNoise(double v) {
    checkArgument(v >= 0 && v <= 100, "rankNoise must be in [0, 100]", v);
    GeneratorConfig c = copy();
    c.rankNoise = v;
    return c;
  }

  /** Median click delay; delays are log-normal. */
  public GeneratorConfig withClickDelayMedian(Duration v) {
    checkPositive(v, "clickDelayMedian");
    GeneratorConfig c = copy();
    c.clickDelayMedianMs = v.toMillis();
    return c;
  }

  /** Log-space standard deviation of the click delay (its heavy tail). */
  public GeneratorConfig withClickDelaySigma(double v) {
    checkArgument(v >= 0 && v <= 5, "clickDelaySigma must be in [0, 5]", v);
    GeneratorConfig c = copy();
    c.clickDelaySigma = v;
    return c;
  }

  /** Probability that a clicked impression gets a second click (another click_id). */
  public GeneratorConfig withDuplicateClickRate(double v) {
    checkRate(v, "duplicateClickRate");
    GeneratorConfig c = copy();
    c.duplicateClickRate = v;
    return c;
  }

  /** Mean probability that a click converts (varies per ad and category). */
  public GeneratorConfig withConversionRate(double v) {
    checkRate(v, "conversionRate");
    GeneratorConfig c = copy();
    c.conversionRate = v;
    return c;
  }

  /** Median delay from click to conversion; log-normal. */
  public GeneratorConfig withConversionDelayMedian(Duration v) {
    checkPositive(v, "conversionDelayMedian");
    GeneratorConfig c = copy();
    c.conversionDelayMedianMs = v.toMillis();
    return c;
  }

  /** Log-space standard deviation of the conversion delay. */
  public GeneratorConfig withConversionDelaySigma(double v) {
    checkArgument(v >= 0 && v <= 5, "conversionDelaySigma must be in [0, 5]", v);
    GeneratorConfig c = copy();
    c.conversionDelaySigma = v;
    return c;
  }

  /** Maximum arrival delay of an on-time record (arrival - event time in [0, bound]). */
  public GeneratorConfig withDisorderBound(Duration v) {
    checkArgument(
        v != null && !v.isNegative() && v.toMillis() < lateMinMs,
        "disorderBound must be >= 0 and below the late minimum",
        v);
    GeneratorConfig c = copy();
    c.disorderBoundMs = v.toMillis();
    return c;
  }

  /**
   * Fraction of records that arrive late, between the late minimum and maximum after their event.
   */
  public GeneratorConfig withLateFraction(double v) {
    checkRate(v, "lateFraction");
    GeneratorConfig c = copy();
    c.lateFraction = v;
    return c;
  }

  /** Range of the arrival delay of late records (default 1 h to 6 h). */
  public GeneratorConfig withLateDelay(Duration min, Duration max) {
    checkPositive(min, "late minimum");
    checkArgument(max != null && max.compareTo(min) >= 0, "late maximum must be >= minimum", max);
    checkArgument(
        min.toMillis() > disorderBoundMs, "late minimum must exceed the disorder bound", min);
    GeneratorConfig c = copy();
    c.lateMinMs = min.toMillis();
    c.lateMaxMs = max.toMillis();
    return c;
  }

  /**
   * From this day (0-based) on, the device mix shifts and CTRs are multiplied; -1 turns drift off.
   */
  public GeneratorConfig withDriftFromDay(int v) {
    checkArgument(v >= NO_DRIFT, "driftFromDay must be >= -1", v);
    GeneratorConfig c = copy();
    c.driftFromDay = v;
    return c;
  }

  /** CTR multiplier applied after the drift day. */
  public GeneratorConfig withDriftCtrMultiplier(double v) {
    checkArgument(v > 0 && v <= 20, "driftCtrMultiplier must be in (0, 20]", v);
    GeneratorConfig c = copy();
    c.driftCtrMultiplier = v;
    return c;
  }

  /** Share of impressions on mobile after the drift day. */
  public GeneratorConfig withDriftMobileShare(double v) {
    checkRate(v, "driftMobileShare");
    GeneratorConfig c = copy();
    c.driftMobileShare = v;
    return c;
  }

  /** Per valid record, the probability of injecting one extra bad record (contract §6 reasons). */
  public GeneratorConfig withBadRecordRate(double v) {
    checkRate(v, "badRecordRate");
    GeneratorConfig c = copy();
    c.badRecordRate = v;
    return c;
  }

  /** Click attribution window W used for the truth labels (contract §2.1). */
  public GeneratorConfig withWindow(Duration v) {
    checkPositive(v, "window");
    checkArgument(v.toMillis() <= horizonMs, "window must be <= horizon", v);
    GeneratorConfig c = copy();
    c.windowMs = v.toMillis();
    return c;
  }

  /** Labeling horizon T used for the truth labels (contract §2.1). */
  public GeneratorConfig withHorizon(Duration v) {
    checkPositive(v, "horizon");
    checkArgument(v.toMillis() >= windowMs, "horizon must be >= window", v);
    GeneratorConfig c = copy();
    c.horizonMs = v.toMillis();
    return c;
  }

  /** Conversion attribution window after the click (contract §2.2). */
  public GeneratorConfig withConversionWindow(Duration v) {
    checkPositive(v, "conversionWindow");
    GeneratorConfig c = copy();
    c.conversionWindowMs = v.toMillis();
    return c;
  }

  /** Whether {@code write} also writes truth/labels.jsonl; by default only up to 1M impressions. */
  public GeneratorConfig withWriteLabels(boolean v) {
    GeneratorConfig c = copy();
    c.writeLabels = v;
    return c;
  }

  /** Worker threads of {@code write}; the output does not depend on it. */
  public GeneratorConfig withThreads(int v) {
    checkArgument(v >= 1 && v <= 256, "threads must be in [1, 256]", v);
    GeneratorConfig c = copy();
    c.threads = v;
    return c;
  }

  public int users() {
    return users;
  }

  public int ads() {
    return ads;
  }

  public int advertisers() {
    return advertisers;
  }

  public int categories() {
    return categories;
  }

  public int positions() {
    return positions;
  }

  public int days() {
    return days;
  }

  public long impressionsPerDay() {
    return impressionsPerDay;
  }

  public LocalDate startDate() {
    return startDate;
  }

  public long seed() {
    return seed;
  }

  public double ctrMedian() {
    return ctrMedian;
  }

  public double ctrSigma() {
    return ctrSigma;
  }

  public double rankNoise() {
    return rankNoise;
  }

  public long clickDelayMedianMs() {
    return clickDelayMedianMs;
  }

  public double clickDelaySigma() {
    return clickDelaySigma;
  }

  public double duplicateClickRate() {
    return duplicateClickRate;
  }

  public double conversionRate() {
    return conversionRate;
  }

  public long conversionDelayMedianMs() {
    return conversionDelayMedianMs;
  }

  public double conversionDelaySigma() {
    return conversionDelaySigma;
  }

  public long disorderBoundMs() {
    return disorderBoundMs;
  }

  public double lateFraction() {
    return lateFraction;
  }

  public long lateMinMs() {
    return lateMinMs;
  }

  public long lateMaxMs() {
    return lateMaxMs;
  }

  public int driftFromDay() {
    return driftFromDay;
  }

  public double driftCtrMultiplier() {
    return driftCtrMultiplier;
  }

  public double driftMobileShare() {
    return driftMobileShare;
  }

  public double badRecordRate() {
    return badRecordRate;
  }

  public long windowMs() {
    return windowMs;
  }

  public long horizonMs() {
    return horizonMs;
  }

  public long conversionWindowMs() {
    return conversionWindowMs;
  }

  public int threads() {
    return threads;
  }

  /** Total valid impressions of the run. */
  public long totalImpressions() {
    return impressionsPerDay * days;
  }

  /** Whether truth/labels.jsonl is written (explicit option, else up to 1M impressions). */
  public boolean writeLabels() {
    return writeLabels != null ? writeLabels : totalImpressions() <= 1_000_000L;
  }

  /** Epoch millis of the start of the first day (UTC). */
  public long startMillis() {
    return startDate.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
  }

  /** True examination probability of position p (1-based). */
  public double examination(int position) {
    checkArgument(position >= 1 && position <= positions, "position out of range", position);
    if (examinationProbabilities != null) {
      return examinationProbabilities[position - 1];
    }
    return 1.0 / Math.pow(position, examinationDecay);
  }

  /** The examination probabilities of positions 1..P. */
  public double[] examinationProbabilities() {
    double[] e = new double[positions];
    for (int p = 1; p <= positions; p++) {
      e[p - 1] = examination(p);
    }
    return e;
  }

  /** The options as an ordered map, for the ground-truth file and display. */
  public Map<String, Object> toMap() {
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

  @Override
  public String toString() {
    return "GeneratorConfig"
        + toMap()
        + (examinationProbabilities == null ? "" : Arrays.toString(examinationProbabilities));
  }
}
