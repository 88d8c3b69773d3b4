package io.ctrbeam.quality;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.storage.WriteTextFile;
import java.io.IOException;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/**
 * Writes a batch run's report into a folder through Beam FileSystems: {@value #REPORT_JSON},
 * {@value #REPORT_HTML} and {@value #PROFILE_JSON} (the profiles alone, the reference of a later
 * run). For the global window; a streaming run formats alerts with {@link FormatQualityAlerts}.
 */
public final class WriteQualityReport extends PTransform<PCollection<QualityReport>, PDone> {
  public static final String REPORT_JSON = "quality.json";
  public static final String REPORT_HTML = "quality.html";
  public static final String PROFILE_JSON = "profile.json";

  private final String directory;

  private WriteQualityReport(String directory) {
    this.directory = directory;
  }

  /** Into {@code directory} (local, {@code gs://}, …). */
  public static WriteQualityReport to(String directory) {
    checkArgument(
        directory != null && !directory.isEmpty(),
        "directory must not be empty, got %s",
        directory);
    return new WriteQualityReport(directory.endsWith("/") ? directory : directory + "/");
  }

  @Override
  public PDone expand(PCollection<QualityReport> input) {
    input.apply("WriteQualityFiles", ParDo.of(new WriteFn(directory)));
    return PDone.in(input.getPipeline());
  }

  static final class WriteFn extends DoFn<QualityReport, Void> {
    private final String directory;

    WriteFn(String directory) {
      this.directory = directory;
    }

    @ProcessElement
    public void process(@Element QualityReport r) throws IOException {
      WriteTextFile.write(directory + REPORT_JSON, QualityJson.write(r));
      WriteTextFile.write(directory + PROFILE_JSON, QualityJson.write(r.profiles()));
      WriteTextFile.write(directory + REPORT_HTML, QualityPage.render(r));
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("directory", directory));
  }
}
