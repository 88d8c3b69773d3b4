package io.ctrbeam.pipelines;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.baseline.ShuffleFloor;
import io.ctrbeam.common.BundleCounter;
import io.ctrbeam.common.ByteSizes;
import io.ctrbeam.common.DeadLetterSink;
import io.ctrbeam.features.AddPointInTimeFeatures;
import io.ctrbeam.features.EnrichExamples;
import io.ctrbeam.features.FeatureSnapshots;
import io.ctrbeam.ingest.IngestResult;
import io.ctrbeam.ingest.ReadLogs;
import io.ctrbeam.ingest.RecordKind;
import io.ctrbeam.label.LabelImpressions;
import io.ctrbeam.label.LabelInputs;
import io.ctrbeam.label.LabelResult;
import io.ctrbeam.label.LabelStats;
import io.ctrbeam.quality.DatasetProfile;
import io.ctrbeam.quality.RecordFields;
import io.ctrbeam.quality.WriteQualityReport;
import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.schema.UserProfile;
import io.ctrbeam.storage.FileFormat;
import io.ctrbeam.storage.WriteFeatureSnapshots;
import io.ctrbeam.storage.WriteJsonLines;
import io.ctrbeam.storage.WriteTextFile;
import io.ctrbeam.storage.WriteTrainingData;
import io.ctrbeam.weights.PropensityTable;
import io.ctrbeam.weights.SamplingPlan;
import io.ctrbeam.weights.WeightResult;
import io.ctrbeam.weights.WeightStats;
import java.util.Arrays;
import java.util.Locale;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.CaseFormat;

/**
 * The batch layer: impression, click and conversion files in; labeled, featured training examples
 * out, partitioned {@code date=/hour=/country=}, with dead letters and label corrections beside.
 *
 * <p>Output layout under {@code --output}: {@code training/}, {@code dead_letters/}, {@code
 * corrections/}, {@code _reports/label_stats.txt}, and the weighting reports {@code
 * _reports/propensities.json} (both estimators, the counts behind them and the fallbacks; a later
 * run can take it as {@code --propensities}), {@code _reports/propensities_used.json} (the table
 * the weights came from: the estimate or the file), {@code _reports/sampling_plan.json} and {@code
 * _reports/weights.json} (rows and positive rates before and after, weighted and unweighted), and
 * the quality gate's {@code _reports/quality.json}, {@code quality.html} and {@code profile.json}
 * (see {@link QualityOptions}: {@code --qualityReference}, {@code --qualityConfig}, {@code
 * --failOnBreach}). A breach exits 1.
 *
 * <pre>How to run:
 * mvn compile exec:java -Dexec.mainClass=io.ctrbeam.pipelines.TrainingDataPipeline \
 *   -Dexec.args="--impressions=logs/impressions/** --clicks=logs/clicks/** \
 *     --conversions=logs/conversions/** --output=out"
 * # on Flink, from the bundled jar (exec:java's class loader hides the job's classes from Flink):
 * mvn -q package -Pflink-runner -DskipTests
 * java -cp target/ctr-beam-bundled-flink-0.1.0-SNAPSHOT.jar io.ctrbeam.pipelines.TrainingDataPipeline \
 *   --runner=FlinkRunner '--flinkMaster=[local]' '--impressions=logs/impressions/**' ...
 * </pre>
 *
 * <p>While it runs it prints progress lines ({@link Progress}; {@code --progress=false} turns them
 * off).
 */
public final class TrainingDataPipeline {
  private TrainingDataPipeline() {}

  /** What the graph produces, for callers that add to it (the main job, tests). */
  public static final class Outputs {
    public final PCollection<TrainingExample> examples;
    public final PCollection<LabelCorrection> corrections;
    public final PCollection<DeadLetter> deadLetters;

    Outputs(
        PCollection<TrainingExample> examples,
        PCollection<LabelCorrection> corrections,
        PCollection<DeadLetter> deadLetters) {
      this.examples = examples;
      this.corrections = corrections;
      this.deadLetters = deadLetters;
    }
  }

  public static void main(String[] args) {
    TrainingDataOptions options =
        PipelineOptionsFactory.fromArgs(DirectRunnerDefaults.checksOff(args))
            .withValidation()
            .as(TrainingDataOptions.class);
    PipelineResult result = Progress.run(pipeline(options), System.out);
    RunSummary summary = RunSummary.of(result, options.getOutput());
    summary.print(System.out);
    if (options.getFailOnBreach() && summary.qualityFailed()) {
      System.exit(1);
    }
  }

  /** Builds and starts the pipeline. */
  public static PipelineResult run(TrainingDataOptions options) {
    return pipeline(options).run();
  }

  /** The built pipeline, not yet started. */
  public static Pipeline pipeline(TrainingDataOptions options) {
    return pipeline(options, Stage.ALL);
  }

  /** The built pipeline up to {@code last}, not yet started. */
  static Pipeline pipeline(TrainingDataOptions options, Stage last) {
    Pipeline p = Pipeline.create(options);
    build(p, options, last);
    return p;
  }

  /**
   * Builds the graph: read → label → weigh and sample → features and enrichment of the kept rows →
   * quality gate (combines only) → write.
   */
  public static Outputs build(Pipeline p, TrainingDataOptions o) {
    return build(p, o, Stage.ALL);
  }

  /** Where {@link Benchmark}'s stage-by-stage mode cuts the graph. */
  enum Stage {
    /**
     * Not a cut: ingest without dedup, then only the groupings any design needs ({@link
     * ShuffleFloor}).
     */
    FLOOR,
    INGEST,
    LABEL,
    /** Weights and downsampling: the kept rows. */
    WEIGHTS,
    /** Features and the quality gate, no training data written: the write adds ALL minus this. */
    FEATURES,
    ALL
  }

  /**
   * The graph up to and including {@code last}; a cut graph counts what its last stage emits (a
   * counter, no shuffle) and returns null.
   */
  static Outputs build(Pipeline p, TrainingDataOptions o, Stage last) {
    String out = trimSlash(o.getOutput());
    DeadLetterSink dl =
        DeadLetterSink.writingWith(p, WriteJsonLines.of(DeadLetter.class, out + "/dead_letters"));
    IngestResult<Impression> impressions =
        dl.register(
            p.apply("ReadImpressions", read(ReadLogs.impressions(o.getImpressions()), o, last)));
    IngestResult<Click> clicks =
        dl.register(p.apply("ReadClicks", read(ReadLogs.clicks(o.getClicks()), o, last)));
    ReadLogs<Conversion> readConversions =
        ReadLogs.optional(RecordKind.CONVERSION, o.getConversions());
    IngestResult<Conversion> conversions =
        dl.register(p.apply("ReadConversions", read(readConversions, o, last)));
    if (last == Stage.FLOOR) {
      return cut(
          dl,
          ShuffleFloor.of(
              impressions.records(),
              clicks.records(),
              conversions.records(),
              o.getBuckets(),
              o.getTargetPositiveRate()));
    }
    if (last == Stage.INGEST) {
      return cut(dl, impressions.records(), clicks.records(), conversions.records());
    }
    LabelImpressions labeling = CtrTransforms.labeling(o);
    if (o.getConversions().isEmpty()) {
      labeling = labeling.withoutConversions();
    }
    LabelResult labels =
        LabelInputs.of(impressions.records(), clicks.records(), conversions.records())
            .apply("Label", labeling);
    dl.addErrorCollection(labels.deadLetters());
    if (last == Stage.LABEL) {
      return cut(dl, labels.examples());
    }

    // Weighed and downsampled before the features: only the kept rows pay for them.
    WeightResult weights = labels.examples().apply("Weigh", CtrTransforms.weighting(o));
    if (last == Stage.WEIGHTS) {
      return cut(dl, weights.examples());
    }
    AddPointInTimeFeatures features =
        CtrTransforms.batchPointInTimeFeatures(o, impressions.records());
    if (!o.getUserProfiles().isEmpty() || !o.getAdMetadata().isEmpty()) {
      features = features.withEnrichment(enrichment(p, dl, o));
    }
    PCollection<TrainingExample> examples = weights.examples().apply("AddFeatures", features);
    PCollection<DeadLetter> allDeadLetters = dl.closeAndGet();
    if (o.getQualityGate()) {
      checkQuality(impressions, clicks, conversions, examples, allDeadLetters, o, out);
    }
    if (last == Stage.FEATURES) {
      count(examples, "CountStageOutput0");
      return null;
    }
    examples.apply(
        "WriteTrainingData",
        WriteTrainingData.to(out + "/training")
            .withFormat(outputFormat(o.getOutputFormat()))
            .withTargetFileSize(ByteSizes.parse(o.getTargetFileSize())));
    writeWeightReports(weights, out);
    labels
        .corrections()
        .apply("WriteCorrections", WriteJsonLines.of(LabelCorrection.class, out + "/corrections"));
    if (!o.getFeatureSnapshotsAt().isEmpty()) {
      labels
          .examples()
          .apply(
              "FeatureSnapshots",
              CtrTransforms.snapshots(
                  FeatureSnapshots.asOf(CtrTransforms.instants(o.getFeatureSnapshotsAt())),
                  o,
                  impressions.records()))
          .apply("WriteFeatureTable", WriteFeatureSnapshots.to(out + "/features"));
    }
    labels
        .stats()
        .apply(
            "FormatLabelStats",
            MapElements.into(TypeDescriptors.strings()).via(LabelStats::toTable))
        .apply("WriteLabelStats", WriteTextFile.to(out + "/_reports/label_stats.txt"));
    return new Outputs(examples, labels.corrections(), allDeadLetters);
  }

  /** Ends a cut graph: each collection's elements counted, dead letters written. */
  private static Outputs cut(DeadLetterSink dl, PCollection<?>... last) {
    for (int i = 0; i < last.length; i++) {
      count(last[i], "CountStageOutput" + i);
    }
    dl.closeAndGet();
    return null;
  }

  private static <T> void count(PCollection<T> c, String name) {
    c.apply(name, ParDo.of(new CountFn<T>()));
  }

  private static final class CountFn<T> extends DoFn<T, Void> {
    private final BundleCounter rows = BundleCounter.of("stages", "rows");

    @ProcessElement
    public void process() {
      rows.inc();
    }

    @FinishBundle
    public void finishBundle() {
      rows.flush();
    }
  }

  /**
   * One log type in {@code --inputFormat}, deduplicated in {@code --buckets} (not for the floor).
   */
  private static <T extends SpecificRecord> ReadLogs<T> read(
      ReadLogs<T> logs, TrainingDataOptions o, Stage last) {
    ReadLogs<T> formatted = logs.withFormat(o.getInputFormat());
    return last == Stage.FLOOR
        ? formatted.withoutDedup()
        : formatted.withDedupBuckets(o.getBuckets());
  }

  /** Profiles and ad metadata as of each impression; either input may be absent. */
  private static EnrichExamples enrichment(Pipeline p, DeadLetterSink dl, TrainingDataOptions o) {
    ReadLogs<UserProfile> readProfiles =
        ReadLogs.optional(RecordKind.USER_PROFILE, o.getUserProfiles());
    ReadLogs<AdMetadata> readAds = ReadLogs.optional(RecordKind.AD_METADATA, o.getAdMetadata());
    IngestResult<UserProfile> profiles =
        dl.register(p.apply("ReadUserProfiles", readProfiles.withFormat(o.getInputFormat())));
    IngestResult<AdMetadata> ads =
        dl.register(p.apply("ReadAdMetadata", readAds.withFormat(o.getInputFormat())));
    return EnrichExamples.of(profiles.records(), ads.records())
        .withLabelWait(CtrTransforms.labelWait(o))
        .withBuckets(o.getBuckets());
  }

  /** The quality gate over the inputs, the rows and the dead letters (combines only). */
  private static void checkQuality(
      IngestResult<Impression> impressions,
      IngestResult<Click> clicks,
      IngestResult<Conversion> conversions,
      PCollection<TrainingExample> examples,
      PCollection<DeadLetter> deadLetters,
      TrainingDataOptions o,
      String out) {
    QualitySetup q = QualitySetup.of(o);
    PCollectionList<DatasetProfile> profiles =
        PCollectionList.of(
                impressions
                    .records()
                    .apply("ProfileImpressions", q.<Impression>profile(RecordFields.IMPRESSION)))
            .and(clicks.records().apply("ProfileClicks", q.<Click>profile(RecordFields.CLICK)))
            .and(
                examples.apply(
                    "ProfileTrainingExamples", q.<TrainingExample>profile(RecordFields.TRAINING)));
    if (!o.getConversions().isEmpty()) {
      profiles =
          profiles.and(
              conversions
                  .records()
                  .apply("ProfileConversions", q.<Conversion>profile(RecordFields.CONVERSION)));
    }
    profiles
        .apply("CheckQuality", q.check().withDeadLetters(deadLetters))
        .apply("WriteQualityReport", WriteQualityReport.to(out + "/" + QualitySetup.REPORT_DIR));
  }

  /** The propensity tables, the sampling plan and the weight statistics, one JSON file each. */
  private static void writeWeightReports(WeightResult weights, String out) {
    writeReport(weights.estimated(), PropensityTable::toJson, out, "propensities");
    writeReport(weights.applied(), PropensityTable::toJson, out, "propensities_used");
    writeReport(weights.plan(), SamplingPlan::toJson, out, "sampling_plan");
    writeReport(weights.stats(), WeightStats::toJson, out, "weights");
  }

  /** One JSON report, {@code <out>/_reports/<name>.json}, from a single-element collection. */
  private static <T> void writeReport(
      PCollection<T> one, SerializableFunction<T, String> json, String out, String name) {
    String step = CaseFormat.LOWER_UNDERSCORE.to(CaseFormat.UPPER_CAMEL, name);
    one.apply("Format" + step, MapElements.into(TypeDescriptors.strings()).via(json))
        .apply("Write" + step + "Report", WriteTextFile.to(out + "/_reports/" + name + ".json"));
  }

  static FileFormat outputFormat(String name) {
    String upper = name.trim().toUpperCase(Locale.ROOT);
    checkArgument(
        Arrays.stream(FileFormat.values()).anyMatch(f -> f.name().equals(upper)),
        "--outputFormat must be parquet, avro or jsonl, got '%s'",
        name);
    return FileFormat.valueOf(upper);
  }

  static String trimSlash(String dir) {
    return dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
  }
}
