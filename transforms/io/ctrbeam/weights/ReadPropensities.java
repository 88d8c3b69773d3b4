package io.ctrbeam.weights;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * Reads a precomputed propensity table (the {@code propensities.json} an earlier run wrote, or a
 * hand-written one: see {@link PropensityTable#fromJson}) through Beam FileSystems. The file must
 * exist; a malformed one fails the pipeline with the reason.
 */
public final class ReadPropensities extends PTransform<PBegin, PCollection<PropensityTable>> {
  private final String file;

  private ReadPropensities(String file) {
    this.file = file;
  }

  public static ReadPropensities from(String file) {
    checkArgument(
        file != null && !file.isEmpty(), "propensity file must not be empty, got %s", file);
    return new ReadPropensities(file);
  }

  @Override
  public PCollection<PropensityTable> expand(PBegin input) {
    return input
        .apply(
            "MatchPropensityFile",
            FileIO.match().filepattern(file).withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
        .apply("ReadMatches", FileIO.readMatches())
        .apply("ParsePropensities", ParDo.of(new ParseFn()))
        .setCoder(SerializableCoder.of(PropensityTable.class));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("file", file));
  }

  private static final class ParseFn extends DoFn<FileIO.ReadableFile, PropensityTable> {
    @ProcessElement
    public void process(@Element FileIO.ReadableFile f, OutputReceiver<PropensityTable> out)
        throws IOException {
      String name = f.getMetadata().resourceId().toString();
      out.output(PropensityTable.fromJson(f.readFullyAsUTF8String(), name));
    }
  }
}
