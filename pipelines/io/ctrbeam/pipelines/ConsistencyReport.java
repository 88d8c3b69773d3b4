package io.ctrbeam.pipelines;

import io.ctrbeam.common.MetricsReader;
import io.ctrbeam.serving.CheckConsistency;
import io.ctrbeam.storage.ReadFeatureSnapshots;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;
import org.apache.beam.sdk.values.PCollection;

/**
 * Online/offline consistency report: the batch layer's feature table against what Redis serves.
 * Prints matched, mismatched, missing and not-comparable keys and writes every key that is not
 * matched, with why, as JSON lines.
 *
 * <pre>How to run:
 * mvn compile exec:java -Dexec.mainClass=io.ctrbeam.pipelines.ConsistencyReport \
 *   -Dexec.args="--features=out/features/**&#47;*.parquet --redisHost=localhost --output=consistency"
 * </pre>
 */
public final class ConsistencyReport {
  private ConsistencyReport() {}

  /** Options of the report. */
  public interface Options extends RedisOptions {
    @Description(
        "Parquet files of the batch feature table (TrainingDataPipeline --featureSnapshotsAt)")
    @Validation.Required
    String getFeatures();

    void setFeatures(String value);

    @Description("Relative tolerance of numeric features")
    @Default.Double(1e-9)
    double getTolerance();

    void setTolerance(double value);

    @Description("Directory for the details of keys that are not matched")
    @Validation.Required
    String getOutput();

    void setOutput(String value);
  }

  public static void main(String[] args) {
    Options o = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    Map<String, Long> counts = run(o);
    System.out.println("consistency (batch feature table vs Redis): " + counts);
    System.out.println("details of keys not matched: " + o.getOutput());
  }

  /** Runs the comparison and returns matched / mismatched / missing / not_comparable counts. */
  public static Map<String, Long> run(Options o) {
    Pipeline p = Pipeline.create(o);
    PCollection<String> details =
        p.apply("ReadFeatureTable", ReadFeatureSnapshots.from(o.getFeatures()))
            .apply(
                "CheckConsistency",
                CheckConsistency.against(o.getRedisHost(), o.getRedisPort())
                    .withTolerance(o.getTolerance()));
    details.apply(
        "WriteDetails",
        TextIO.write()
            .to(TrainingDataPipeline.trimSlash(o.getOutput()) + "/details")
            .withSuffix(".jsonl"));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    Map<String, Long> counts = MetricsReader.read(result, CheckConsistency.NAMESPACE);
    for (String k : new String[] {"matched", "mismatched", "missing", "not_comparable"}) {
      counts.putIfAbsent(k, 0L);
    }
    return counts;
  }
}
