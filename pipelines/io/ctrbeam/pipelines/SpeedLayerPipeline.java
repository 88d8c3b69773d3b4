package io.ctrbeam.pipelines;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.DeadLetterSink;
import io.ctrbeam.common.Durations;
import io.ctrbeam.features.FeatureSnapshots;
import io.ctrbeam.ingest.IngestRecords;
import io.ctrbeam.ingest.IngestResult;
import io.ctrbeam.ingest.RecordKind;
import io.ctrbeam.kafka.ReadKafkaRecords;
import io.ctrbeam.kafka.WriteKafkaJson;
import io.ctrbeam.label.LabelImpressions;
import io.ctrbeam.label.LabelInputs;
import io.ctrbeam.label.LabelResult;
import io.ctrbeam.quality.FormatQualityAlerts;
import io.ctrbeam.quality.RecordFields;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.FeatureSnapshot;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.serving.WriteFeaturesToRedis;
import io.ctrbeam.storage.WriteJsonLines;
import io.ctrbeam.weights.WeightExamples;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The speed layer: impressions, clicks (and conversions) from Kafka; each key's current features to
 * Redis with a TTL; labeled, point-in-time featured examples to a Kafka topic; dead letters and
 * label corrections to files. The labeling and feature transforms are the batch layer's, configured
 * by the same {@link CtrOptions}. With {@code --propensities=<file>} and {@code
 * --observedPositiveRate} the labeled rows are weighted and downsampled as in the batch layer,
 * keeping the same rows (the same hash of impression_id and seed).
 *
 * <p>Redis layout (see {@link io.ctrbeam.serving.RedisFeatureLayout}): one hash per entity, {@code
 * ctr:feat:{user|ad|advertiser|user_category}:{key}}, fields {@code as_of}, {@code
 * impressions_24h}, {@code clicks_24h}, {@code ctr_24h}, {@code decayed_*}.
 *
 * <pre>How to run (a local Kafka and Redis):
 * mvn compile exec:java -Dexec.mainClass=io.ctrbeam.pipelines.SpeedLayerPipeline \
 *   -Dexec.args="--bootstrapServers=localhost:9092 --redisHost=localhost --labelsTopic=labels --output=speed-out"
 * # on Flink: from the bundled jar (see TrainingDataPipeline), --runner=FlinkRunner '--flinkMaster=[local]'
 * # a bounded run: --runFor=10m cancels the job after that long
 * # recovery on Flink (README "Recovery on Flink"): --checkpointingInterval=10000 --stateBackend=filesystem
 * #   --stateBackendStoragePath=file:///… --numberOfExecutionRetries=3 --executionRetryDelay=5000
 * </pre>
 */
public final class SpeedLayerPipeline {
  private SpeedLayerPipeline() {}

  public static void main(String[] args) {
    SpeedLayerOptions options = options(args);
    String runFor = options.getRunFor();
    Progress.run(pipeline(options), System.out, runFor.isEmpty() ? null : Durations.parse(runFor));
    // A cancelled stream leaves the runner's and Kafka consumers' threads behind; a bounded run
    // ends here.
    System.exit(0);
  }

  /**
   * The command line as options: the speed layer's and the runner's (e.g. Flink's checkpointing and
   * restarts).
   */
  public static SpeedLayerOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(DirectRunnerDefaults.checksOff(args))
        .withValidation()
        .as(SpeedLayerOptions.class);
  }

  public static PipelineResult run(SpeedLayerOptions options) {
    return pipeline(options).run();
  }

  /** The built streaming pipeline, not yet started. */
  public static Pipeline pipeline(SpeedLayerOptions options) {
    options.setStreaming(true);
    Pipeline p = Pipeline.create(options);
    build(p, options);
    return p;
  }

  /**
   * Builds the graph: Kafka → ingest → label → (weigh and sample) → features → Redis, Kafka and
   * files; quality alerts per window.
   */
  public static void build(Pipeline p, SpeedLayerOptions o) {
    build(p, o, null);
  }

  /**
   * As {@link #build(Pipeline, SpeedLayerOptions)}, with {@code afterRead} (when not null) applied
   * to each topic's records as they come from Kafka: tests inject a failure there.
   */
  static void build(
      Pipeline p,
      SpeedLayerOptions o,
      @Nullable PTransform<? super PCollection<RawRecord>, PCollection<RawRecord>> afterRead) {
    boolean writeFiles = o.getOutput() != null && !o.getOutput().isEmpty();
    String out = writeFiles ? TrainingDataPipeline.trimSlash(o.getOutput()) : "";
    Duration fileWindow = Durations.parse(o.getFileWindow());
    DeadLetterSink dl =
        writeFiles ? deadLetterSink(p, out, fileWindow) : DeadLetterSink.countedOnly(p);
    IngestResult<Impression> impressions =
        dl.register(ingest(p, o, RecordKind.IMPRESSION, o.getImpressionsTopic(), afterRead));
    IngestResult<Click> clicks =
        dl.register(ingest(p, o, RecordKind.CLICK, o.getClicksTopic(), afterRead));
    IngestResult<Conversion> conversions =
        dl.register(ingest(p, o, RecordKind.CONVERSION, o.getConversionsTopic(), afterRead));
    LabelImpressions labeling = CtrTransforms.labeling(o);
    if (o.getConversionsTopic().isEmpty()) {
      labeling = labeling.withoutConversions();
    }
    LabelResult labels =
        LabelInputs.of(impressions.records(), clicks.records(), conversions.records())
            .apply("Label", labeling);
    dl.addErrorCollection(labels.deadLetters());
    dl.close();

    PCollection<FeatureSnapshot> current =
        labels
            .examples()
            .apply(
                "CurrentFeatures",
                CtrTransforms.snapshots(
                    FeatureSnapshots.current()
                        .withPeriod(Durations.parse(o.getSnapshotPeriod()))
                        .withCorrections(labels.corrections()),
                    o,
                    impressions.records()));
    current.apply(
        "WriteFeaturesToRedis",
        WriteFeaturesToRedis.to(o.getRedisHost(), o.getRedisPort())
            .withTtl(Durations.parse(o.getFeatureTtl())));

    if (!o.getLabelsTopic().isEmpty()) {
      PCollection<TrainingExample> rows = labels.examples();
      if (!o.getPropensities().isEmpty()) {
        // As in the batch layer: weighed and downsampled before the features.
        rows = rows.apply("Weigh", weighting(o)).examples();
      }
      rows.apply("AddFeatures", CtrTransforms.pointInTimeFeatures(o, impressions.records()))
          .apply(
              "WriteLabelsToKafka",
              WriteKafkaJson.<TrainingExample>to(o.getBootstrapServers(), o.getLabelsTopic())
                  .withKeyFn(TrainingExample::getImpressionId));
    }
    if (writeFiles) {
      writeCorrections(labels.corrections(), out, fileWindow);
      if (o.getQualityGate()) {
        QualitySetup q = QualitySetup.of(o);
        Duration qw = Durations.parse(o.getQualityWindow());
        PCollectionList.of(
                impressions
                    .records()
                    .apply(
                        "QualityPerWindowImpressions",
                        q.<Impression>perWindow(RecordFields.IMPRESSION, qw))
                    .apply("ImpressionQualityAlerts", FormatQualityAlerts.create()))
            .and(
                clicks
                    .records()
                    .apply("QualityPerWindowClicks", q.<Click>perWindow(RecordFields.CLICK, qw))
                    .apply("ClickQualityAlerts", FormatQualityAlerts.create()))
            .apply("FlattenQualityAlerts", Flatten.pCollections())
            .apply(
                "WriteQualityAlerts",
                TextIO.write()
                    .to(out + "/quality_alerts/alerts")
                    .withSuffix(".jsonl")
                    .withWindowedWrites()
                    .withNumShards(1));
      }
    }
  }

  /**
   * The speed layer weighs its labeled rows only from a propensity file and a given observed
   * positive rate: each row is then decided at once, from its own id, exactly as the batch layer
   * decides it, and nothing waits for an estimate from the stream.
   */
  static WeightExamples weighting(SpeedLayerOptions o) {
    checkArgument(
        o.getObservedPositiveRate() > 0,
        "the speed layer weighs rows with --propensities only at a given --observedPositiveRate (a rate measured"
            + " from a stream moves as it runs and would keep other rows than the batch layer), got %s",
        o.getObservedPositiveRate());
    return CtrTransforms.weighting(o);
  }

  /**
   * Dead letters and corrections go to JSON-lines files, a pane every {@code period} of processing
   * time: both are late in event time by construction (a late click, a late bad record), so an
   * event-time window would drop them.
   */
  static DeadLetterSink deadLetterSink(Pipeline p, String out, Duration period) {
    return DeadLetterSink.writingWith(
        p, WriteJsonLines.of(DeadLetter.class, out + "/dead_letters").withPeriodicWrites(period));
  }

  /** See {@link #deadLetterSink}. */
  static void writeCorrections(
      PCollection<LabelCorrection> corrections, String out, Duration period) {
    corrections.apply(
        "WriteCorrections",
        WriteJsonLines.of(LabelCorrection.class, out + "/corrections").withPeriodicWrites(period));
  }

  /** One topic's records, ingested ({@code Ingest<Type>}); an empty topic name reads nothing. */
  private static <T extends SpecificRecord> IngestResult<T> ingest(
      Pipeline p,
      SpeedLayerOptions o,
      RecordKind<T> kind,
      String topic,
      @Nullable PTransform<? super PCollection<RawRecord>, PCollection<RawRecord>> afterRead) {
    String type = kind.stepSuffix();
    if (topic.isEmpty()) {
      return IngestResult.empty(PBegin.in(p), kind);
    }
    return read(p, o, type, topic, afterRead).apply("Ingest" + type, IngestRecords.of(kind));
  }

  private static PCollection<RawRecord> read(
      Pipeline p,
      SpeedLayerOptions o,
      String what,
      String topic,
      @Nullable PTransform<? super PCollection<RawRecord>, PCollection<RawRecord>> afterRead) {
    PCollection<RawRecord> records =
        PBegin.in(p)
            .apply(
                "Read" + what + "Topic",
                ReadKafkaRecords.from(o.getBootstrapServers(), topic)
                    .withMaxDelay(Durations.parse(o.getMaxDelay()))
                    .withIdleTimeout(Durations.parse(o.getIdleTimeout())));
    return afterRead == null ? records : records.apply("AfterRead" + what, afterRead);
  }
}
