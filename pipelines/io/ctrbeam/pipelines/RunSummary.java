package io.ctrbeam.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.MetricsReader;
import io.ctrbeam.common.Reason;
import io.ctrbeam.ingest.IngestMetrics;
import io.ctrbeam.label.LabelRules;
import io.ctrbeam.quality.QualityJson;
import io.ctrbeam.quality.QualityReport;
import io.ctrbeam.quality.WriteQualityReport;
import io.ctrbeam.weights.AttachWeights;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;

/** What a finished batch run did, from its Beam Metrics: records in, out, dead-lettered, labels. */
public final class RunSummary {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Map<String, Long> ingest;
  private final Map<String, Long> deadLetters;
  private final Map<String, Long> labels;
  private final Map<String, Long> weights;
  private final String output;
  private final QualityReport quality;

  private RunSummary(PipelineResult result, String output) {
    this.ingest = MetricsReader.read(result, IngestMetrics.NAMESPACE);
    this.deadLetters = MetricsReader.read(result, DeadLetters.NAMESPACE);
    this.labels = MetricsReader.read(result, LabelRules.NAMESPACE);
    this.weights = MetricsReader.read(result, AttachWeights.NAMESPACE);
    this.output = TrainingDataPipeline.trimSlash(output);
    this.quality = readQuality(qualityFile(this.output, WriteQualityReport.REPORT_JSON));
  }

  private static Path qualityFile(String output, String name) {
    return Path.of(output, QualitySetup.REPORT_DIR, name);
  }

  static QualityReport readQuality(Path json) {
    try {
      return Files.exists(json)
          ? QualityJson.readReport(Files.readString(json, StandardCharsets.UTF_8))
          : null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + json, e);
    }
  }

  /**
   * The quality gate's report, or null when the gate did not run (or wrote elsewhere than a local
   * path).
   */
  public QualityReport quality() {
    return quality;
  }

  public boolean qualityFailed() {
    return quality != null && !quality.passed();
  }

  public static RunSummary of(PipelineResult result, String output) {
    return new RunSummary(result, output);
  }

  public long ingest(String name) {
    return ingest.getOrDefault(name, 0L);
  }

  /** Records of a type that passed validation but were dropped as duplicate ids. */
  public long ingestDuplicates(String type) {
    return ingest(type + "_valid") - ingest(type + "_out");
  }

  /** One stage of one record type: what came in, what went on, what it dead-lettered. */
  public record Stage(String name, long in, long out, long deadLettered) {
    public boolean addsUp() {
      return in == out + deadLettered;
    }
  }

  private static final List<Reason> VALIDATION =
      List.of(
          Reason.PARSE_ERROR,
          Reason.MISSING_FIELD,
          Reason.BAD_TIMESTAMP,
          Reason.BAD_POSITION,
          Reason.BAD_COUNTRY);
  private static final List<Reason> LABELER =
      List.of(
          Reason.ORPHAN_CLICK,
          Reason.CLICK_BEFORE_IMPRESSION,
          Reason.CLICK_OUTSIDE_WINDOW,
          Reason.LATE_CLICK);

  /**
   * Per type, ingest (read → validated and deduplicated, against the validation and DUPLICATE_ID
   * dead letters) and, for clicks and conversions, labeling (deduplicated → attributed to a label,
   * against the labeler's dead letters). The ingest side's in and out come from the ingest
   * counters, its dead letters from the dead-letter counters; labeling's out is the labeler's count
   * of outcomes that made a label. DUPLICATE_ID is one counter for both stages: dedup's part is
   * what validation passed and dedup did not.
   */
  public List<Stage> stages() {
    List<Stage> out = new ArrayList<>();
    for (String type : Progress.TYPES) {
      long in = ingest(type + "_in");
      if (in == 0) {
        continue;
      }
      long dedup = ingest(type + "_valid") - ingest(type + "_out");
      long refused =
          VALIDATION.stream().mapToLong(r -> deadLetters(DeadLetters.counterName(type, r))).sum();
      out.add(new Stage(type + " ingest", in, ingest(type + "_out"), refused + dedup));
      if (type.equals("click") || type.equals("conversion")) {
        long labeler =
            LABELER.stream().mapToLong(r -> deadLetters(DeadLetters.counterName(type, r))).sum()
                + deadLetters(DeadLetters.counterName(type, Reason.DUPLICATE_ID))
                - dedup;
        out.add(
            new Stage(
                type + " labeling", ingest(type + "_out"), label(type + "_attributed"), labeler));
      }
    }
    return out;
  }

  public long totalDeadLetters() {
    return deadLetters.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Every dead-letter counter, {@code <type>_<REASON>}. */
  public Map<String, Long> deadLetterCounters() {
    return Collections.unmodifiableMap(deadLetters);
  }

  public long deadLetters(String name) {
    return deadLetters.getOrDefault(name, 0L);
  }

  public long label(String name) {
    return labels.getOrDefault(name, 0L);
  }

  /** A counter of the weighting step ({@link AttachWeights}). */
  public long weights(String name) {
    return weights.getOrDefault(name, 0L);
  }

  /** A JSON report under {@code _reports/}, or an empty object when it is missing. */
  public JsonNode report(String name) {
    Path file = Path.of(output, "_reports", name + ".json");
    try {
      return Files.exists(file) ? JSON.readTree(file.toFile()) : JSON.createObjectNode();
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable report " + file, e);
    }
  }

  public void print(PrintStream out) {
    out.println("== ctr-beam run summary");
    out.println("output: " + output + "/training (training examples)");
    out.println("        " + output + "/dead_letters (refused records, JSON lines with reasons)");
    out.println("        " + output + "/corrections (late-label corrections)");
    out.println(
        "        "
            + output
            + "/_reports/propensities.json (propensity table, reusable as --propensities)");
    out.println(
        "records, stage by stage (each side counted on its own; in = out + dead-lettered):");
    out.printf("  %-22s %10s %10s %14s %8s%n", "stage", "in", "out", "dead-lettered", "adds up");
    for (Stage st : stages()) {
      out.printf(
          "  %-22s %,10d %,10d %,14d %8s%n",
          st.name(), st.in(), st.out(), st.deadLettered(), st.addsUp() ? "yes" : "NO");
    }
    out.println("dead letters by type and reason:");
    deadLetters.forEach((k, v) -> out.printf("  %-40s %,10d%n", k, v));
    long pos = label("clicked_positive");
    long neg = label("clicked_negative");
    out.printf(
        "labels: positives %,d, negatives %,d, positive rate %.4f%n",
        pos, neg, pos + neg == 0 ? 0.0 : (double) pos / (pos + neg));
    out.println("labeling counters:");
    labels.forEach((k, v) -> out.printf("  %-40s %,10d%n", k, v));
    JsonNode plan = report("sampling_plan");
    JsonNode w = report("weights");
    JsonNode p = report("propensities_used");
    out.printf(
        "weights: propensities %s (%s; EM %d iterations, %s), IPW clipped at the maximum in %d rows,"
            + " %d rows deeper than the table; fallbacks %s%n",
        p.path("estimator").asText("?"),
        p.path("source").asText("?"),
        p.path("em_iterations").asInt(),
        p.path("em_converged").asBoolean() ? "converged" : "NOT converged",
        weights("ipw_clipped"),
        weights("position_beyond_table"),
        p.path("fallbacks"));
    out.printf(
        "negative downsampling: observed positive rate %.4f (%s), target %.4f -> keep negatives at rate %.4f (weight %.2f); kept %d negatives, dropped %d, kept %d positives%n",
        plan.path("observed_positive_rate").asDouble(),
        plan.path("measured").asBoolean() ? "measured" : "given",
        plan.path("target_positive_rate").asDouble(),
        plan.path("negative_sampling_rate").asDouble(),
        plan.path("negative_weight").asDouble(),
        weights("negatives_kept"),
        weights("negatives_dropped"),
        weights("positives_kept"));
    out.printf(
        "positive rate before sampling: unweighted %.4f, IPW-weighted %.4f (%d rows)%n",
        w.path("positive_rate_in").asDouble(),
        w.path("ipw_weighted_positive_rate_in").asDouble(),
        w.path("rows_in").asLong());
    out.printf(
        "positive rate after sampling:  unweighted %.4f, sampling-weighted %.4f, weighted (ipw x sampling) %.4f (%d rows)%n",
        w.path("positive_rate_out").asDouble(),
        w.path("sampling_weighted_positive_rate_out").asDouble(),
        w.path("weighted_positive_rate_out").asDouble(),
        w.path("rows_out").asLong());
    if (quality != null) {
      out.println(quality.summary());
      out.println(
          "quality page: "
              + qualityFile(output, WriteQualityReport.REPORT_HTML).toAbsolutePath().toUri());
      out.println(
          "quality json: " + qualityFile(output, WriteQualityReport.REPORT_JSON).toAbsolutePath());
      out.println(
          "this run's profile (a --qualityReference for the next): "
              + qualityFile(output, WriteQualityReport.PROFILE_JSON).toAbsolutePath());
    }
    Path stats = Path.of(output, "_reports", "label_stats.txt");
    if (Files.exists(stats)) {
      try {
        out.println("label stats (" + stats + "):");
        Files.readAllLines(stats, StandardCharsets.UTF_8).forEach(l -> out.println("  " + l));
      } catch (IOException e) {
        out.println("label stats: unreadable (" + e.getMessage() + ")");
      }
    }
  }
}
