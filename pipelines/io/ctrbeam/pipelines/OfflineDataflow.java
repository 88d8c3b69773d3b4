package io.ctrbeam.pipelines;

import com.google.api.services.dataflow.model.DataflowPackage;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.runners.dataflow.DataflowRunner;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.runners.dataflow.util.PackageUtil;
import org.apache.beam.runners.dataflow.util.Stager;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory;
import org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.runners.PTransformOverrideFactory;
import org.apache.beam.sdk.runners.PTransformOverrideFactory.PTransformReplacement;
import org.apache.beam.sdk.runners.PTransformOverrideFactory.ReplacementOutput;
import org.apache.beam.sdk.util.construction.ReplacementOutputs;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.PartitionInfo;

/**
 * Builds a pipeline's Dataflow job with no network and no credentials, in about a second: a no-op
 * path validator and credential factory, a stager that uploads nothing (it keeps the staged
 * pipeline proto in memory), one placeholder file to stage instead of the class path, and {@code
 * --templateLocation} on a local file, so {@code run()} writes the job JSON there and calls no
 * service. Everything else the user set (project, region, locations, Runner v2, Streaming Engine,
 * workers) stays, so the job holds what a real submission would send.
 */
public final class OfflineDataflow {
  /** Stands in for locations the user did not give. */
  public static final String PLACEHOLDER_BUCKET = "gs://ctr-beam-dry-run";

  static final String PLACEHOLDER_PROJECT = "ctr-beam-dry-run";
  static final String PLACEHOLDER_REGION = "us-central1";
  static final String PIPELINE_PROTO = "pipeline.pb";

  private OfflineDataflow() {}

  /**
   * Makes {@code o} offline, writing the job JSON to {@code jobJson} (made absolute). The user's
   * project, region and temp location are kept; missing ones get placeholders. Give {@code
   * gcpTempLocation} whenever {@code tempLocation} is given: its default would ask Cloud Storage.
   */
  public static DataflowPipelineOptions configure(DataflowPipelineOptions o, Path jobJson)
      throws IOException {
    o.setRunner(DataflowRunner.class);
    // Before any getter whose default factory validates a path or asks for credentials.
    o.setPathValidatorClass(NoopPathValidator.class);
    o.setCredentialFactoryClass(NoopCredentialFactory.class);
    if (o.getProject() == null || o.getProject().isEmpty()) {
      o.setProject(PLACEHOLDER_PROJECT);
    }
    if (o.getRegion() == null || o.getRegion().isEmpty()) {
      o.setRegion(PLACEHOLDER_REGION);
    }
    // gcpTempLocation's default asks Cloud Storage about the bucket (or creates one): set it here.
    if (o.getTempLocation() == null) {
      o.setTempLocation(PLACEHOLDER_BUCKET + "/tmp");
      o.setGcpTempLocation(PLACEHOLDER_BUCKET + "/tmp");
    }
    o.setStager(new KeepingStager());
    Path placeholder = Files.createTempFile("ctr-beam-stage", ".jar");
    placeholder.toFile().deleteOnExit();
    o.setFilesToStage(List.of(placeholder.toString()));
    Path abs = jobJson.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    o.setTemplateLocation(abs.toString());
    return o;
  }

  /**
   * Runs {@code p} (built on {@link #configure}d options): Dataflow translates and validates it and
   * writes the job JSON; the staged pipeline proto is written beside it as {@code pipeline.pb}.
   * Kafka reads get a stand-in consumer first: on Runner v1 Dataflow splits a Kafka source while it
   * builds the job, asking the brokers for the topics' partitions; offline each topic has one.
   */
  public static DataflowJob translate(Pipeline p) throws IOException {
    DataflowPipelineOptions o = p.getOptions().as(DataflowPipelineOptions.class);
    // KafkaIO.Read is an AutoValue class: match by type, not by class.
    p.replaceAll(
        List.of(
            PTransformOverride.of(
                t -> t.getTransform() instanceof KafkaIO.Read, new OfflineKafkaRead<>())));
    p.run();
    Path json = Path.of(o.getTemplateLocation());
    byte[] proto = ((KeepingStager) o.getStager()).staged(PIPELINE_PROTO);
    Files.write(json.resolveSibling(PIPELINE_PROTO), proto);
    return DataflowJob.of(Files.readString(json), proto);
  }

  /**
   * The same Kafka read, with partition metadata from {@link StandInConsumer} instead of a broker.
   */
  private static final class OfflineKafkaRead<K, V>
      implements PTransformOverrideFactory<
          PBegin, PCollection<KafkaRecord<K, V>>, KafkaIO.Read<K, V>> {
    @Override
    public PTransformReplacement<PBegin, PCollection<KafkaRecord<K, V>>> getReplacementTransform(
        AppliedPTransform<PBegin, PCollection<KafkaRecord<K, V>>, KafkaIO.Read<K, V>> applied) {
      return PTransformReplacement.of(
          applied.getPipeline().begin(),
          applied.getTransform().withConsumerFactoryFn(config -> new StandInConsumer<>()));
    }

    @Override
    public Map<PCollection<?>, ReplacementOutput> mapOutputs(
        Map<TupleTag<?>, PCollection<?>> outputs, PCollection<KafkaRecord<K, V>> newOutput) {
      return ReplacementOutputs.singleton(outputs, newOutput);
    }
  }

  /** Answers that every topic has one partition; used only while the job is built. */
  private static final class StandInConsumer<K, V> extends MockConsumer<K, V> {
    StandInConsumer() {
      super(OffsetResetStrategy.EARLIEST);
    }

    @Override
    public synchronized List<PartitionInfo> partitionsFor(String topic) {
      return List.of(new PartitionInfo(topic, 0, null, null, null));
    }
  }

  /** Uploads nothing: placeholder packages, and the bytes staged to a file kept by name. */
  private static final class KeepingStager implements Stager, Serializable {
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();

    @Override
    public List<DataflowPackage> stageFiles(List<PackageUtil.StagedFile> staged) {
      List<DataflowPackage> packages = new ArrayList<>();
      for (PackageUtil.StagedFile f : staged) {
        packages.add(placeholder(f.getDestination()));
      }
      return packages;
    }

    @Override
    public DataflowPackage stageToFile(byte[] bytes, String name) {
      files.put(name, bytes.clone());
      return placeholder(name);
    }

    byte[] staged(String name) {
      byte[] bytes = files.get(name);
      if (bytes == null) {
        throw new IllegalStateException("the Dataflow runner staged no " + name);
      }
      return bytes;
    }

    private static DataflowPackage placeholder(String name) {
      return new DataflowPackage()
          .setName(name)
          .setLocation(PLACEHOLDER_BUCKET + "/staging/" + name);
    }
  }
}
