package io.ctrbeam.pipelines;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.ingest.Format;
import io.ctrbeam.ingest.IngestResult;
import io.ctrbeam.ingest.ReadLogs;
import io.ctrbeam.quality.DatasetProfile;
import io.ctrbeam.quality.RecordFields;
import io.ctrbeam.quality.WriteQualityReport;
import io.ctrbeam.schema.TrainingExample;
import java.util.Locale;
import java.util.Set;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.extensions.avro.io.AvroIO;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

/**
 * The quality gate on its own, over any input: raw impression, click or conversion logs (JSON lines
 * or Avro, through ingest, so refused records count) or training examples (Parquet or Avro, as the
 * batch layer writes them). Writes quality.json, quality.html and profile.json to {@code --output};
 * exits 1 on a breach unless {@code --failOnBreach=false}.
 *
 * <pre>How to run:
 * mvn -q compile exec:java -Dexec.mainClass=io.ctrbeam.pipelines.DataQualityReport \
 *   -Dexec.args="--input=out/training/**&#47;*.parquet --recordType=training --output=quality \
 *     --qualityReference=old/_reports/profile.json"
 * </pre>
 */
public final class DataQualityReport {
  private DataQualityReport() {}

  /** Options of the standalone report. */
  public interface Options extends QualityOptions {
    @Description("File pattern of the records to check")
    @Validation.Required
    String getInput();

    void setInput(String value);

    @Description("Record type: impression, click, conversion or training")
    @Default.String("training")
    String getRecordType();

    void setRecordType(String value);

    @Description(
        "Input format: for raw logs AUTO, JSONL or AVRO; for training examples PARQUET or AVRO")
    @Default.String("AUTO")
    String getInputFileFormat();

    void setInputFileFormat(String value);

    @Description("Folder of quality.json, quality.html and profile.json")
    @Validation.Required
    String getOutput();

    void setOutput(String value);
  }

  public static void main(String[] args) {
    Options o =
        PipelineOptionsFactory.fromArgs(DirectRunnerDefaults.checksOff(args))
            .withValidation()
            .as(Options.class);
    run(o).waitUntilFinish();
    io.ctrbeam.quality.QualityReport r =
        RunSummary.readQuality(
            java.nio.file.Path.of(o.getOutput(), WriteQualityReport.REPORT_JSON));
    System.out.println(r == null ? "no report written to " + o.getOutput() : r.summary());
    System.out.println(
        "quality page: "
            + java.nio.file.Path.of(o.getOutput(), WriteQualityReport.REPORT_HTML)
                .toAbsolutePath()
                .toUri());
    if (o.getFailOnBreach() && r != null && !r.passed()) {
      System.exit(1);
    }
  }

  public static PipelineResult run(Options o) {
    Pipeline p = Pipeline.create(o);
    build(p, o);
    return p.run();
  }

  static void build(Pipeline p, Options o) {
    QualitySetup q = QualitySetup.of(o);
    String type = o.getRecordType().trim().toLowerCase(Locale.ROOT);
    String format = o.getInputFileFormat().trim().toUpperCase(Locale.ROOT);
    PCollection<DatasetProfile> profile;
    IngestResult<?> raw = null;
    checkArgument(
        Set.of("training", "impression", "click", "conversion").contains(type),
        "--recordType must be impression, click, conversion or training, got '%s'",
        o.getRecordType());
    switch (type) {
      case "training":
        PCollection<GenericRecord> rows =
            format.equals("AVRO")
                ? p.apply(
                    "ReadTrainingExamples",
                    AvroIO.readGenericRecords(TrainingExample.getClassSchema()).from(o.getInput()))
                : p.apply(
                    "ReadTrainingExamples",
                    ParquetIO.read(TrainingExample.getClassSchema())
                        .withAvroDataModel(GenericData.get())
                        .from(o.getInput()));
        profile =
            rows.setCoder(AvroCoder.of(GenericRecord.class, TrainingExample.getClassSchema()))
                .apply("ProfileTrainingExamples", q.<GenericRecord>profile(RecordFields.TRAINING));
        break;
      case "impression":
        IngestResult<io.ctrbeam.schema.Impression> imps =
            p.apply(
                "ReadImpressions",
                ReadLogs.impressions(o.getInput()).withFormat(Format.valueOf(format)));
        profile =
            imps.records()
                .apply(
                    "ProfileImpressions",
                    q.<io.ctrbeam.schema.Impression>profile(RecordFields.IMPRESSION));
        raw = imps;
        break;
      case "click":
        IngestResult<io.ctrbeam.schema.Click> clicks =
            p.apply("ReadClicks", ReadLogs.clicks(o.getInput()).withFormat(Format.valueOf(format)));
        profile =
            clicks
                .records()
                .apply("ProfileClicks", q.<io.ctrbeam.schema.Click>profile(RecordFields.CLICK));
        raw = clicks;
        break;
      case "conversion":
        IngestResult<io.ctrbeam.schema.Conversion> convs =
            p.apply(
                "ReadConversions",
                ReadLogs.conversions(o.getInput()).withFormat(Format.valueOf(format)));
        profile =
            convs
                .records()
                .apply(
                    "ProfileConversions",
                    q.<io.ctrbeam.schema.Conversion>profile(RecordFields.CONVERSION));
        raw = convs;
        break;
      default:
        throw new AssertionError("checked above, got " + type);
    }
    io.ctrbeam.quality.CheckQuality check = q.check();
    if (raw != null) {
      check = check.withDeadLetters(raw.deadLetters());
    }
    PCollectionList.of(profile)
        .apply("CheckQuality", check)
        .apply("WriteQualityReport", WriteQualityReport.to(o.getOutput()));
  }
}
