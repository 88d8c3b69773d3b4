package io.ctrbeam.storage;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.MimeTypes;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounded input in the global window: each file key's records into one file, then one step moves
 * every file into place and removes the staging folder. Returns the files written.
 *
 * <p>A key {@code k} becomes {@code <output>/k-00000-of-00001<suffix>}, as {@link
 * FileIO.Write#defaultNaming} names a single shard. Files are staged under {@code
 * <output>/.temp-beam-<uuid>/} until the commit, so a job that fails before it leaves nothing in
 * place. A retried write stages a new file; the commit removes the staging folder whole.
 *
 * <p>This is FileIO's sharded write (one grouping by file) without its finalize chain of about 30
 * steps, through which DirectRunner sends every file's result as a bundle of its own.
 */
final class WriteAndCommitFiles<T, OutputT>
    extends PTransform<PCollection<KV<String, T>>, PCollection<String>> {
  private static final Logger LOG = LoggerFactory.getLogger(WriteAndCommitFiles.class);

  private final String outputDir;
  private final String suffix;
  private final SerializableFunction<T, OutputT> toOutput;
  private final FileIO.Sink<OutputT> sink;

  WriteAndCommitFiles(
      String outputDir,
      String suffix,
      SerializableFunction<T, OutputT> toOutput,
      FileIO.Sink<OutputT> sink) {
    this.outputDir =
        outputDir.endsWith("/") ? outputDir.substring(0, outputDir.length() - 1) : outputDir;
    this.suffix = suffix;
    this.toOutput = toOutput;
    this.sink = sink;
  }

  @Override
  public PCollection<String> expand(PCollection<KV<String, T>> input) {
    String staging = outputDir + "/.temp-beam-" + UUID.randomUUID();
    KvCoder<String, String> pairCoder = KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());
    return input
        .apply("GroupByFile", GroupByKey.create())
        .apply(
            "WriteStagedFiles",
            ParDo.of(new WriteFileFn<>(outputDir, staging, suffix, toOutput, sink)))
        .setCoder(pairCoder)
        .apply("OneCommit", WithKeys.of((Void) null))
        .setCoder(KvCoder.of(VoidCoder.of(), pairCoder))
        .apply("GatherStagedFiles", GroupByKey.create())
        .apply("CommitFiles", ParDo.of(new CommitFn(staging)))
        .setCoder(StringUtf8Coder.of());
  }

  /** The final name of file key {@code key}. */
  static String finalName(String outputDir, String key, String suffix) {
    return outputDir
        + "/"
        + FileIO.Write.defaultNaming(key, suffix)
            .getFilename(
                GlobalWindow.INSTANCE,
                PaneInfo.ON_TIME_AND_ONLY_FIRING,
                1,
                0,
                Compression.UNCOMPRESSED);
  }

  /** One file key's records into a new staged file: emits (staged, final). */
  private static final class WriteFileFn<T, OutputT>
      extends DoFn<KV<String, Iterable<T>>, KV<String, String>> {
    private final String outputDir;
    private final String staging;
    private final String suffix;
    private final SerializableFunction<T, OutputT> toOutput;
    private final FileIO.Sink<OutputT> sink;
    private final Counter files = Metrics.counter(WriteAndCommitFiles.class, "files_staged");

    WriteFileFn(
        String outputDir,
        String staging,
        String suffix,
        SerializableFunction<T, OutputT> toOutput,
        FileIO.Sink<OutputT> sink) {
      this.outputDir = outputDir;
      this.staging = staging;
      this.suffix = suffix;
      this.toOutput = toOutput;
      this.sink = sink;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Iterable<T>> file, OutputReceiver<KV<String, String>> out)
        throws IOException {
      ResourceId staged =
          FileSystems.matchNewResource(staging + "/" + UUID.randomUUID() + suffix, false);
      FileIO.Sink<OutputT> writer = SerializableUtils.clone(sink); // a sink holds one file's state
      try (WritableByteChannel channel = FileSystems.create(staged, MimeTypes.BINARY)) {
        writer.open(channel);
        for (T record : file.getValue()) {
          writer.write(toOutput.apply(record));
        }
        writer.flush();
      }
      files.inc();
      out.output(KV.of(staged.toString(), finalName(outputDir, file.getKey(), suffix)));
    }
  }

  /** Moves every staged file into place, removes the staging folder, emits the final names. */
  private static final class CommitFn extends DoFn<KV<Void, Iterable<KV<String, String>>>, String> {
    private final String staging;

    CommitFn(String staging) {
      this.staging = staging;
    }

    @ProcessElement
    public void process(
        @Element KV<Void, Iterable<KV<String, String>>> all, OutputReceiver<String> out)
        throws IOException {
      List<ResourceId> from = new ArrayList<>();
      List<ResourceId> to = new ArrayList<>();
      for (KV<String, String> file : all.getValue()) {
        from.add(FileSystems.matchNewResource(file.getKey(), false));
        to.add(FileSystems.matchNewResource(file.getValue(), false));
      }
      // A retried commit finds the files it moved already gone.
      FileSystems.rename(from, to, StandardMoveOptions.IGNORE_MISSING_FILES);
      removeStaging();
      for (ResourceId file : to) {
        out.output(file.toString());
      }
    }

    /** Deletes what a failed attempt left staged, then the folder; failure here is only logged. */
    private void removeStaging() {
      try {
        List<ResourceId> left = new ArrayList<>();
        MatchResult staged = FileSystems.match(staging + "/*", EmptyMatchTreatment.ALLOW);
        for (MatchResult.Metadata m : staged.metadata()) {
          left.add(m.resourceId());
        }
        FileSystems.delete(left, StandardMoveOptions.IGNORE_MISSING_FILES);
        FileSystems.delete(
            List.of(FileSystems.matchNewResource(staging, true)),
            StandardMoveOptions.IGNORE_MISSING_FILES);
      } catch (IOException | RuntimeException e) {
        LOG.warn("Could not remove the staging folder {}", staging, e);
      }
    }
  }
}
