package io.ctrbeam.generate;

import java.io.Serializable;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Immutable options of the synthetic log generator. Every {@code withX()} checks its argument and
 * returns a new instance; the defaults make a small, realistic day of logs.
 */
public final class GeneratorConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  /** No drift: the value of {@link #driftFromDay()} when drift is off. */
  public static final int NO_DRIFT = -1;

  private final ConfigValues values;

  private GeneratorConfig(ConfigValues values) {
    this.values = values;
  }

  /** The defaults: 10k users, 1k ads, 10 positions, one day of 100k impressions, seed 42. */
  public static GeneratorConfig defaults() {
    return new GeneratorConfig(new ConfigValues());
  }

  private GeneratorConfig with(Consumer<ConfigValues> change) {
    ConfigValues c = values.copy();
    change.accept(c);
    return new GeneratorConfig(c);
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
    return with(c -> c.users = v);
  }

  /** Number of ads; must be at least the number of positions. */
  public GeneratorConfig withAds(int v) {
    checkArgument(v >= 1, "ads must be >= 1", v);
    return with(c -> c.ads = v);
  }

  /** Number of advertisers (at least 1). */
  public GeneratorConfig withAdvertisers(int v) {
    checkArgument(v >= 1, "advertisers must be >= 1", v);
    return with(c -> c.advertisers = v);
  }

  /** Number of ad categories (at least 1). */
  public GeneratorConfig withCategories(int v) {
    checkArgument(v >= 1, "categories must be >= 1", v);
    return with(c -> c.categories = v);
  }

  /** Ad slots per request, positions 1..v (1 = top). */
  public GeneratorConfig withPositions(int v) {
    checkArgument(v >= 1 && v <= 100, "positions must be in [1, 100]", v);
    return with(c -> c.positions = v);
  }

  /** Number of days of logs. */
  public GeneratorConfig withDays(int v) {
    checkArgument(v >= 1 && v <= 3660, "days must be in [1, 3660]", v);
    return with(c -> c.days = v);
  }

  /** Impressions per day (valid ones; injected bad records come on top). */
  public GeneratorConfig withImpressionsPerDay(long v) {
    checkArgument(v >= 1 && v <= 2_000_000_000L, "impressionsPerDay must be in [1, 2e9]", v);
    return with(c -> c.impressionsPerDay = v);
  }

  /** First day of the logs (UTC), on or after 2000-01-02. */
  public GeneratorConfig withStartDate(LocalDate v) {
    checkArgument(
        v != null && v.isAfter(LocalDate.of(2000, 1, 1)), "startDate must be after 2000-01-01", v);
    return with(c -> c.startDate = v);
  }

  /** Seed of every random draw: same config and seed give byte-identical output. */
  public GeneratorConfig withSeed(long v) {
    return with(c -> c.seed = v);
  }

  /** Examination probability of position p is 1 / p^decay (used unless probabilities are given). */
  public GeneratorConfig withExaminationDecay(double v) {
    checkArgument(v >= 0 && v <= 5, "examinationDecay must be in [0, 5]", v);
    return with(c -> c.examinationDecay = v);
  }

  /**
   * Explicit examination probabilities for positions 1..n, each in (0, 1]; n sets the positions.
   */
  public GeneratorConfig withExaminationProbabilities(double... v) {
    checkArgument(v != null && v.length >= 1 && v.length <= 100, "need 1..100 probabilities", v);
    for (double p : v) {
      checkArgument(p > 0 && p <= 1, "examination probabilities must be in (0, 1]", p);
    }
    return with(
        c -> {
          c.examinationProbabilities = v.clone();
          c.positions = v.length;
        });
  }

  /** Median true CTR of an ad (when examined); ad CTRs are log-normal around it. */
  public GeneratorConfig withCtrMedian(double v) {
    checkArgument(v > 0 && v < 0.5, "ctrMedian must be in (0, 0.5)", v);
    return with(c -> c.ctrMedian = v);
  }

  /** Log-space standard deviation of the ads' true CTR. */
  public GeneratorConfig withCtrSigma(double v) {
    checkArgument(v >= 0 && v <= 3, "ctrSigma must be in [0, 3]", v);
    return with(c -> c.ctrSigma = v);
  }

  /** Noise (log space) of the ranking score: 0 ranks strictly by true CTR. */
  public GeneratorConfig withRankNoise(double v) {
    checkArgument(v >= 0 && v <= 100, "rankNoise must be in [0, 100]", v);
    return with(c -> c.rankNoise = v);
  }

  /** Median click delay; delays are log-normal. */
  public GeneratorConfig withClickDelayMedian(Duration v) {
    checkPositive(v, "clickDelayMedian");
    return with(c -> c.clickDelayMedianMs = v.toMillis());
  }

  /** Log-space standard deviation of the click delay (its heavy tail). */
  public GeneratorConfig withClickDelaySigma(double v) {
    checkArgument(v >= 0 && v <= 5, "clickDelaySigma must be in [0, 5]", v);
    return with(c -> c.clickDelaySigma = v);
  }

  /** Probability that a clicked impression gets a second click (another click_id). */
  public GeneratorConfig withDuplicateClickRate(double v) {
    checkRate(v, "duplicateClickRate");
    return with(c -> c.duplicateClickRate = v);
  }

  /** Mean probability that a click converts (varies per ad and category). */
  public GeneratorConfig withConversionRate(double v) {
    checkRate(v, "conversionRate");
    return with(c -> c.conversionRate = v);
  }

  /** Median delay from click to conversion; log-normal. */
  public GeneratorConfig withConversionDelayMedian(Duration v) {
    checkPositive(v, "conversionDelayMedian");
    return with(c -> c.conversionDelayMedianMs = v.toMillis());
  }

  /** Log-space standard deviation of the conversion delay. */
  public GeneratorConfig withConversionDelaySigma(double v) {
    checkArgument(v >= 0 && v <= 5, "conversionDelaySigma must be in [0, 5]", v);
    return with(c -> c.conversionDelaySigma = v);
  }

  /** Maximum arrival delay of an on-time record (arrival - event time in [0, bound]). */
  public GeneratorConfig withDisorderBound(Duration v) {
    checkArgument(
        v != null && !v.isNegative() && v.toMillis() < values.lateMinMs,
        "disorderBound must be >= 0 and below the late minimum",
        v);
    return with(c -> c.disorderBoundMs = v.toMillis());
  }

  /**
   * Fraction of records that arrive late, between the late minimum and maximum after their event.
   */
  public GeneratorConfig withLateFraction(double v) {
    checkRate(v, "lateFraction");
    return with(c -> c.lateFraction = v);
  }

  /** Range of the arrival delay of late records (default 1 h to 6 h). */
  public GeneratorConfig withLateDelay(Duration min, Duration max) {
    checkPositive(min, "late minimum");
    checkArgument(max != null && max.compareTo(min) >= 0, "late maximum must be >= minimum", max);
    checkArgument(
        min.toMillis() > values.disorderBoundMs,
        "late minimum must exceed the disorder bound",
        min);
    return with(
        c -> {
          c.lateMinMs = min.toMillis();
          c.lateMaxMs = max.toMillis();
        });
  }

  /**
   * From this day (0-based) on, the device mix shifts and CTRs are multiplied; -1 turns drift off.
   */
  public GeneratorConfig withDriftFromDay(int v) {
    checkArgument(v >= NO_DRIFT, "driftFromDay must be >= -1", v);
    return with(c -> c.driftFromDay = v);
  }

  /** CTR multiplier applied after the drift day. */
  public GeneratorConfig withDriftCtrMultiplier(double v) {
    checkArgument(v > 0 && v <= 20, "driftCtrMultiplier must be in (0, 20]", v);
    return with(c -> c.driftCtrMultiplier = v);
  }

  /** Share of impressions on mobile after the drift day. */
  public GeneratorConfig withDriftMobileShare(double v) {
    checkRate(v, "driftMobileShare");
    return with(c -> c.driftMobileShare = v);
  }

  /** Per valid record, the probability of injecting one extra bad record (contract §6 reasons). */
  public GeneratorConfig withBadRecordRate(double v) {
    checkRate(v, "badRecordRate");
    return with(c -> c.badRecordRate = v);
  }

  /** Click attribution window W used for the truth labels (contract §2.1). */
  public GeneratorConfig withWindow(Duration v) {
    checkPositive(v, "window");
    checkArgument(v.toMillis() <= values.horizonMs, "window must be <= horizon", v);
    return with(c -> c.windowMs = v.toMillis());
  }

  /** Labeling horizon T used for the truth labels (contract §2.1). */
  public GeneratorConfig withHorizon(Duration v) {
    checkPositive(v, "horizon");
    checkArgument(v.toMillis() >= values.windowMs, "horizon must be >= window", v);
    return with(c -> c.horizonMs = v.toMillis());
  }

  /** Conversion attribution window after the click (contract §2.2). */
  public GeneratorConfig withConversionWindow(Duration v) {
    checkPositive(v, "conversionWindow");
    return with(c -> c.conversionWindowMs = v.toMillis());
  }

  /** Whether {@code write} also writes truth/labels.jsonl; by default only up to 1M impressions. */
  public GeneratorConfig withWriteLabels(boolean v) {
    return with(c -> c.writeLabels = v);
  }

  /** Worker threads of {@code write}; the output does not depend on it. */
  public GeneratorConfig withThreads(int v) {
    checkArgument(v >= 1 && v <= 256, "threads must be in [1, 256]", v);
    return with(c -> c.threads = v);
  }

  public int users() {
    return values.users;
  }

  public int ads() {
    return values.ads;
  }

  public int advertisers() {
    return values.advertisers;
  }

  public int categories() {
    return values.categories;
  }

  public int positions() {
    return values.positions;
  }

  public int days() {
    return values.days;
  }

  public long impressionsPerDay() {
    return values.impressionsPerDay;
  }

  public LocalDate startDate() {
    return values.startDate;
  }

  public long seed() {
    return values.seed;
  }

  public double ctrMedian() {
    return values.ctrMedian;
  }

  public double ctrSigma() {
    return values.ctrSigma;
  }

  public double rankNoise() {
    return values.rankNoise;
  }

  public long clickDelayMedianMs() {
    return values.clickDelayMedianMs;
  }

  public double clickDelaySigma() {
    return values.clickDelaySigma;
  }

  public double duplicateClickRate() {
    return values.duplicateClickRate;
  }

  public double conversionRate() {
    return values.conversionRate;
  }

  public long conversionDelayMedianMs() {
    return values.conversionDelayMedianMs;
  }

  public double conversionDelaySigma() {
    return values.conversionDelaySigma;
  }

  public long disorderBoundMs() {
    return values.disorderBoundMs;
  }

  public double lateFraction() {
    return values.lateFraction;
  }

  public long lateMinMs() {
    return values.lateMinMs;
  }

  public long lateMaxMs() {
    return values.lateMaxMs;
  }

  public int driftFromDay() {
    return values.driftFromDay;
  }

  public double driftCtrMultiplier() {
    return values.driftCtrMultiplier;
  }

  public double driftMobileShare() {
    return values.driftMobileShare;
  }

  public double badRecordRate() {
    return values.badRecordRate;
  }

  public long windowMs() {
    return values.windowMs;
  }

  public long horizonMs() {
    return values.horizonMs;
  }

  public long conversionWindowMs() {
    return values.conversionWindowMs;
  }

  public int threads() {
    return values.threads;
  }

  /** Total valid impressions of the run. */
  public long totalImpressions() {
    return values.impressionsPerDay * values.days;
  }

  /** Whether truth/labels.jsonl is written (explicit option, else up to 1M impressions). */
  public boolean writeLabels() {
    return values.writeLabels != null ? values.writeLabels : totalImpressions() <= 1_000_000L;
  }

  /** Epoch millis of the start of the first day (UTC). */
  public long startMillis() {
    return values.startDate.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
  }

  /** True examination probability of position p (1-based). */
  public double examination(int position) {
    checkArgument(position >= 1 && position <= values.positions, "position out of range", position);
    return values.examination(position);
  }

  /** The examination probabilities of positions 1..P. */
  public double[] examinationProbabilities() {
    return values.examinationProbabilities();
  }

  /** The options as an ordered map, for the ground-truth file and display. */
  public Map<String, Object> toMap() {
    return values.toMap();
  }

  @Override
  public String toString() {
    return "GeneratorConfig" + values;
  }
}
