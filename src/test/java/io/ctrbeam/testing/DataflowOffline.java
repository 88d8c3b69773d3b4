package io.ctrbeam.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.api.services.dataflow.model.DataflowPackage;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.dataflow.DataflowRunner;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.runners.dataflow.util.PackageUtil;
import org.apache.beam.runners.dataflow.util.Stager;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory;
import org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Translates a pipeline for Dataflow with no network, in about a second: no-op path validator and
 * credentials, a stager that stages nothing, and {@code --templateLocation} to a local file, so
 * {@code run()} writes the v1 job JSON there and calls no service.
 *
 * <pre>{@code
 * DataflowPipelineOptions options = DataflowOffline.options(tmp.resolve("job.json"));
 * Pipeline p = Pipeline.create(options);  // or the pipeline's own run(options)
 * ...
 * JsonNode job = DataflowOffline.translate(p, options);
 * List<String> names = DataflowOffline.stepUserNames(job);
 * }</pre>
 */
public final class DataflowOffline {
  private static final String BUCKET = "gs://ctr-beam-offline";

  private DataflowOffline() {}

  /** Offline Dataflow options writing the job JSON to {@code jobJson}, over the command line {@code args}. */
  public static DataflowPipelineOptions options(Path jobJson, String... args) throws IOException {
    DataflowPipelineOptions o = PipelineOptionsFactory.fromArgs(args).as(DataflowPipelineOptions.class);
    o.setRunner(DataflowRunner.class);
    o.setJobName("ctr-beam-offline");
    o.setProject("ctr-beam-offline");
    o.setRegion("us-central1");
    o.setTempLocation(BUCKET + "/tmp");
    o.setGcpTempLocation(BUCKET + "/tmp");
    o.setStagingLocation(BUCKET + "/staging");
    o.setPathValidatorClass(NoopPathValidator.class);
    o.setCredentialFactoryClass(NoopCredentialFactory.class);
    o.setStager(new PlaceholderStager());
    // One small file, so the runner does not scan and zip the classpath.
    Path placeholder = Files.createTempFile("ctr-beam-stage", ".jar");
    o.setFilesToStage(List.of(placeholder.toString()));
    o.setTemplateLocation(jobJson.toString());
    return o;
  }

  /** Runs {@code p} (built on {@link #options}) and returns the job JSON it wrote. */
  public static JsonNode translate(Pipeline p, DataflowPipelineOptions options) throws IOException {
    p.run();
    return new ObjectMapper().readTree(Path.of(options.getTemplateLocation()).toFile());
  }

  /** The user names of the job's steps (the full names of the applied transforms). */
  public static List<String> stepUserNames(JsonNode job) {
    List<String> names = new ArrayList<>();
    for (JsonNode step : job.path("steps")) {
      JsonNode name = step.path("properties").path("user_name");
      // Plain text, or a cloud object {"@type": ..., "value": ...}.
      names.add(name.isObject() ? name.path("value").asText() : name.asText());
    }
    return names;
  }

  /** Stages nothing and returns placeholder packages. */
  private static final class PlaceholderStager implements Stager, Serializable {
    @Override
    public List<DataflowPackage> stageFiles(List<PackageUtil.StagedFile> files) {
      List<DataflowPackage> packages = new ArrayList<>();
      for (PackageUtil.StagedFile f : files) {
        packages.add(placeholder(f.getDestination()));
      }
      return packages;
    }

    @Override
    public DataflowPackage stageToFile(byte[] bytes, String name) {
      return placeholder(name);
    }

    private static DataflowPackage placeholder(String name) {
      return new DataflowPackage().setName(name).setLocation(BUCKET + "/staging/" + name);
    }
  }
}
