package io.ctrbeam.storage;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.util.MimeTypes;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/**
 * Writes the one element of a single-element collection (a combine's result, in the global window)
 * to one file, through Beam FileSystems, as a line: a run's report, not a dataset. One step, where
 * {@code TextIO.write().withoutSharding()} expands to 26 primitive steps, which DirectRunner runs
 * one bundle at a time.
 */
public final class WriteTextFile extends PTransform<PCollection<String>, PDone> {
  private final String path;

  private WriteTextFile(String path) {
    this.path = path;
  }

  /** To {@code path} (local, {@code gs://}, …), replacing what is there. */
  public static WriteTextFile to(String path) {
    checkArgument(path != null && !path.isEmpty(), "path must not be empty, got %s", path);
    return new WriteTextFile(path);
  }

  @Override
  public PDone expand(PCollection<String> input) {
    input.apply("WriteFile", ParDo.of(new WriteFn(path)));
    return PDone.in(input.getPipeline());
  }

  /** {@code content} into the file at {@code path}, as it is. */
  public static void write(String path, String content) throws IOException {
    ResourceId id = FileSystems.matchNewResource(path, false);
    try (OutputStream out = Channels.newOutputStream(FileSystems.create(id, MimeTypes.TEXT))) {
      out.write(content.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static final class WriteFn extends DoFn<String, Void> {
    private final String path;

    WriteFn(String path) {
      this.path = path;
    }

    @ProcessElement
    public void process(@Element String text) throws IOException {
      write(path, text + "\n");
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("path", path));
  }
}
