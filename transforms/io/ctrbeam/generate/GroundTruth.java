package io.ctrbeam.generate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ctrbeam.common.Reason;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a generated run is known to contain: the true model parameters, the injected defects per
 * record type and reason, and the labeling outcome contract §2.1/2.2 must give in a bounded run
 * with the config's W, T and conversion window (plus, in memory, the expected label of every
 * impression).
 */
public final class GroundTruth {
  private final GeneratorConfig config;
  private final Map<String, Double> adCtr;
  private final Map<String, Double> adConversionRate;
  private final Tally tally;
  private final Map<String, ExpectedLabel> labels;

  GroundTruth(GeneratorConfig config, World world, Tally tally, Map<String, ExpectedLabel> labels) {
    this.config = config;
    Map<String, Double> ctr = new LinkedHashMap<>();
    Map<String, Double> conv = new LinkedHashMap<>();
    for (int a = 0; a < world.adIds.length; a++) {
      ctr.put(world.adIds[a], world.adCtr[a]);
      conv.put(world.adIds[a], world.adConversionRate[a]);
    }
    this.adCtr = Collections.unmodifiableMap(ctr);
    this.adConversionRate = Collections.unmodifiableMap(conv);
    this.tally = tally;
    this.labels = Collections.unmodifiableMap(labels);
  }

  public GeneratorConfig config() {
    return config;
  }

  /** True probability that position p (1-based) is examined. */
  public double examinationProbability(int position) {
    return config.examination(position);
  }

  /** True click probability of each ad when examined, by ad_id. */
  public Map<String, Double> adCtr() {
    return adCtr;
  }

  /** True probability that a click on each ad converts, by ad_id. */
  public Map<String, Double> adConversionRate() {
    return adConversionRate;
  }

  /** Injected records of a type with a defect, as JSON lines. */
  public long injected(RecordType type, Reason reason) {
    return tally.injected[type.ordinal()][reason.ordinal()];
  }

  /** The injected records that Avro can carry (and so are in the .avro files). */
  public long injectedAvro(RecordType type, Reason reason) {
    return tally.injectedAvro[type.ordinal()][reason.ordinal()];
  }

  /** All injected records of a type. */
  public long injected(RecordType type) {
    long n = 0;
    for (long v : tally.injected[type.ordinal()]) {
      n += v;
    }
    return n;
  }

  /** JSON lines of a type, valid and injected. */
  public long records(RecordType type) {
    return tally.records[type.ordinal()];
  }

  /** Records that arrive late (beyond the disorder bound). */
  public long lateRecords() {
    return tally.lateRecords;
  }

  /** Valid impressions (each a distinct impression_id). */
  public long impressions() {
    return tally.impressions;
  }

  public long positives() {
    return tally.positives;
  }

  public long negatives() {
    return tally.impressions - tally.positives;
  }

  /** Clicks that pass ingest validation, including orphans and clicks before their impression. */
  public long validClicks() {
    return tally.validClicks;
  }

  /** Extra in-window clicks on an already-positive impression. */
  public long duplicateClicks() {
    return tally.duplicateClicks;
  }

  public long clicksBeforeImpression() {
    return tally.clicksBeforeImpression;
  }

  /** Clicks with t_click - t_impression > W. */
  public long clicksOutsideWindow() {
    return tally.clicksOutsideWindow;
  }

  /** Clicks with t_click - t_impression > T (a subset of those outside the window). */
  public long clicksAfterHorizon() {
    return tally.clicksAfterHorizon;
  }

  public long orphanClicks() {
    return tally.orphanClicks;
  }

  /** Valid conversions. */
  public long conversions() {
    return tally.conversions;
  }

  /**
   * Conversions within the conversion window after the attributing click (= converted impressions).
   */
  public long conversionsAttributed() {
    return tally.conversionsAttributed;
  }

  /** Conversions of positive impressions that came after the conversion window. */
  public long conversionsOutsideWindow() {
    return tally.conversionsOutsideWindow;
  }

  /** Conversions of impressions that are not positive. */
  public long conversionsUnattributed() {
    return tally.conversionsUnattributed;
  }

  /** Valid impressions at position p. */
  public long positionImpressions(int position) {
    return tally.positionImpressions[position - 1];
  }

  /** Positive impressions at position p. */
  public long positionPositives(int position) {
    return tally.positionPositives[position - 1];
  }

  /**
   * Mean true CTR of the ads shown at position p: higher at the top, which biases CTR_p / CTR_1.
   */
  public double meanTrueCtr(int position) {
    long n = tally.positionImpressions[position - 1];
    return n == 0 ? Double.NaN : tally.positionTrueCtrSum[position - 1] / n;
  }

  /** The expected label of every valid impression, by impression_id (empty for {@code write}). */
  public Map<String, ExpectedLabel> labels() {
    return labels;
  }

  /** The content of ground_truth.json. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("config", config.toMap());
    Map<String, Object> exam = new LinkedHashMap<>();
    Map<String, Object> positions = new LinkedHashMap<>();
    for (int p = 1; p <= config.positions(); p++) {
      exam.put(Integer.toString(p), config.examination(p));
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("impressions", positionImpressions(p));
      s.put("positives", positionPositives(p));
      s.put("mean_true_ctr", positionImpressions(p) == 0 ? null : meanTrueCtr(p));
      positions.put(Integer.toString(p), s);
    }
    m.put("examination_probability", exam);
    m.put("positions", positions);
    Map<String, Object> delays = new LinkedHashMap<>();
    delays.put("click_delay", lognormal(config.clickDelayMedianMs(), config.clickDelaySigma()));
    delays.put(
        "conversion_delay",
        lognormal(config.conversionDelayMedianMs(), config.conversionDelaySigma()));
    Map<String, Object> arrival = new LinkedHashMap<>();
    arrival.put("disorder_bound_ms", config.disorderBoundMs());
    arrival.put("late_fraction", config.lateFraction());
    arrival.put("late_min_ms", config.lateMinMs());
    arrival.put("late_max_ms", config.lateMaxMs());
    delays.put("arrival_delay", arrival);
    m.put("delays", delays);
    Map<String, Object> records = new LinkedHashMap<>();
    Map<String, Object> injected = new LinkedHashMap<>();
    Map<String, Object> injectedAvro = new LinkedHashMap<>();
    for (RecordType t : RecordType.values()) {
      records.put(t.typeName(), records(t));
      Map<String, Object> byReason = new LinkedHashMap<>();
      Map<String, Object> byReasonAvro = new LinkedHashMap<>();
      for (Reason r : Reason.values()) {
        if (injected(t, r) > 0) {
          byReason.put(r.name(), injected(t, r));
        }
        if (injectedAvro(t, r) > 0) {
          byReasonAvro.put(r.name(), injectedAvro(t, r));
        }
      }
      injected.put(t.typeName(), byReason);
      injectedAvro.put(t.typeName(), byReasonAvro);
    }
    m.put("records", records);
    m.put("late_records", lateRecords());
    m.put("injected", injected);
    m.put("injected_avro", injectedAvro);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("window_ms", config.windowMs());
    out.put("horizon_ms", config.horizonMs());
    out.put("conversion_window_ms", config.conversionWindowMs());
    out.put("impressions", impressions());
    out.put("positives", positives());
    out.put("negatives", negatives());
    out.put("valid_clicks", validClicks());
    out.put("duplicate_clicks", duplicateClicks());
    out.put("clicks_before_impression", clicksBeforeImpression());
    out.put("clicks_outside_window", clicksOutsideWindow());
    out.put("clicks_after_horizon", clicksAfterHorizon());
    out.put("orphan_clicks", orphanClicks());
    out.put("conversions", conversions());
    out.put("conversions_attributed", conversionsAttributed());
    out.put("conversions_outside_window", conversionsOutsideWindow());
    out.put("conversions_unattributed", conversionsUnattributed());
    out.put("late_clicks", 0);
    m.put("expected_labeling", out);
    m.put("ad_ctr", adCtr);
    m.put("ad_conversion_rate", adConversionRate);
    return m;
  }

  private static Map<String, Object> lognormal(long medianMs, double sigma) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("distribution", "lognormal");
    d.put("median_ms", medianMs);
    d.put("sigma", sigma);
    d.put("mean_ms", medianMs * Math.exp(sigma * sigma / 2));
    return d;
  }

  /** ground_truth.json, pretty-printed. */
  public String toJson() {
    try {
      return new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(toMap());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
