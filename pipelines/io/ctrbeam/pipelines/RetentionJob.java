package io.ctrbeam.pipelines;

import io.ctrbeam.common.Durations;
import io.ctrbeam.storage.Retention;
import io.ctrbeam.storage.Retention.Decision;
import io.ctrbeam.storage.Retention.Partition;
import io.ctrbeam.storage.Retention.Tier;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;

/**
 * The retention job (contract §7): deletes {@code date=} partitions past their age, raw logs 90
 * days, training data 30, features 365 by default, through Beam FileSystems (local, {@code gs://},
 * {@code s3://}). It refuses a root that does not look like this project's layout, never leaves the
 * root, and skips partitions still being written (see {@link Retention}).
 *
 * <pre>How to run (list only, then delete):
 * mvn -q compile exec:java -Dexec.mainClass=io.ctrbeam.pipelines.RetentionJob \
 *   -Dexec.args="--root=demo-output --dryRun=true"
 * mvn -q compile exec:java -Dexec.mainClass=io.ctrbeam.pipelines.RetentionJob \
 *   -Dexec.args="--root=demo-output --trainingRetentionDays=30 --now=2025-08-01T00:00:00Z"
 * </pre>
 */
public final class RetentionJob {
  private RetentionJob() {}

  /** Options of the retention job. */
  public interface Options extends PipelineOptions {
    @Description(
        "Root of the project's layout (a CtrJob --workDir): raw logs, training data and features live under it")
    @Validation.Required
    String getRoot();

    void setRoot(String value);

    @Description("Raw logs, relative to the root (record-type folders with date= partitions)")
    @Default.String("logs")
    String getRawPath();

    void setRawPath(String value);

    @Description("Training data, relative to the root")
    @Default.String("out/training")
    String getTrainingPath();

    void setTrainingPath(String value);

    @Description("Feature tables, relative to the root")
    @Default.String("out/features")
    String getFeaturesPath();

    void setFeaturesPath(String value);

    @Description("Days raw-log partitions are kept")
    @Default.Integer(90)
    int getRawRetentionDays();

    void setRawRetentionDays(int value);

    @Description("Days training-data partitions are kept")
    @Default.Integer(30)
    int getTrainingRetentionDays();

    void setTrainingRetentionDays(int value);

    @Description("Days feature partitions are kept")
    @Default.Integer(365)
    int getFeaturesRetentionDays();

    void setFeaturesRetentionDays(int value);

    @Description("The clock as an ISO instant (e.g. 2025-08-01T00:00:00Z); empty = now")
    @Default.String("")
    String getNow();

    void setNow(String value);

    @Description(
        "A partition with a file modified less than this before the clock is still being written (e.g. 1h)")
    @Default.String("1h")
    String getGracePeriod();

    void setGracePeriod(String value);

    @Description("List what would be deleted, with sizes, and touch nothing")
    @Default.Boolean(false)
    boolean getDryRun();

    void setDryRun(boolean value);
  }

  public static void main(String[] args) throws IOException {
    Options o = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    try {
      run(o, System.out);
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("retention refused: " + e.getMessage());
      System.exit(2);
    }
  }

  /** Plans, prints and (unless a dry run) deletes; returns the plan. */
  public static List<Partition> run(Options o, PrintStream out) throws IOException {
    FileSystems.setDefaultPipelineOptions(o);
    Retention r = retention(o);
    List<Partition> plan = r.plan();
    long bytes = 0;
    int expired = 0;
    out.printf(
        "retention under %s, clock %s%s%n",
        r.root(), r.clock(), o.getDryRun() ? " (dry run: nothing is deleted)" : "");
    for (Partition p : plan) {
      if (p.decision() != Decision.KEPT) {
        out.println("  " + p);
      }
      if (p.decision() == Decision.EXPIRED) {
        bytes += p.bytes();
        expired++;
      }
    }
    long kept = plan.stream().filter(p -> p.decision() == Decision.KEPT).count();
    long inFlight = plan.stream().filter(p -> p.decision() == Decision.IN_FLIGHT).count();
    out.printf(
        "%s %d partitions (%d bytes); kept %d; in flight %d%n",
        o.getDryRun() ? "would delete" : "deleting", expired, bytes, kept, inFlight);
    if (!o.getDryRun()) {
      out.printf("deleted %d partitions%n", r.delete(plan).size());
    }
    return plan;
  }

  static Retention retention(Options o) {
    Duration grace = Duration.ofMillis(Durations.parse(o.getGracePeriod()).getMillis());
    Retention r =
        Retention.under(o.getRoot())
            .withPath(Tier.RAW, o.getRawPath())
            .withPath(Tier.TRAINING, o.getTrainingPath())
            .withPath(Tier.FEATURES, o.getFeaturesPath())
            .withDays(Tier.RAW, o.getRawRetentionDays())
            .withDays(Tier.TRAINING, o.getTrainingRetentionDays())
            .withDays(Tier.FEATURES, o.getFeaturesRetentionDays())
            .withGracePeriod(grace);
    return o.getNow().isEmpty() ? r : r.withClock(Instant.parse(o.getNow()));
  }
}
