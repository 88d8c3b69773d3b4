package io.ctrbeam.storage;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.common.ByteSizes;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.testing.TestPipelineExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Files per partition follow from the measured bytes of its records. */
@ExtendWith(TestPipelineExtension.class)
class TargetFileSizeTest {
  @TempDir Path tmp;

  /** Avro binary size of a record, by Avro's own writer (not the coder under test). */
  private static long avroBytes(TrainingExample e) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<>(TrainingExample.class).write(e, enc);
    enc.flush();
    return out.size();
  }

  @Test
  void eachPartitionGetsCeilOfItsBytesOverTheTargetFiles(TestPipeline p) throws Exception {
    List<TrainingExample> big = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      big.add(SampleRecords.example("big-" + i, SampleRecords.T0 + i, "FR", i % 7 == 0 ? 1 : 0));
    }
    List<TrainingExample> small = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      small.add(SampleRecords.example("small-" + i, SampleRecords.T0 + 3_600_000L + i, "DE", 0));
    }
    long bigBytes = 0;
    for (TrainingExample e : big) {
      bigBytes += avroBytes(e);
    }
    // 3.5 targets' worth of bytes: 4 files; the small partition fits in one.
    long target = (long) (bigBytes / 3.5);
    List<TrainingExample> all = new ArrayList<>(big);
    all.addAll(small);
    String out = tmp.resolve("sized").toString();
    p.apply(Create.of(all).withCoder(AvroCoder.specific(TrainingExample.class)))
        .apply("WriteTrainingData", WriteTrainingData.to(out).withTargetFileSize(target));
    p.run().waitUntilFinish();

    Map<String, Integer> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(Path.of(out))) {
      s.filter(f -> f.toString().endsWith(".parquet"))
          .forEach(
              f -> files.merge(Path.of(out).relativize(f.getParent()).toString(), 1, Integer::sum));
    }
    assertThat(
        files,
        equalTo(
            Map.of(
                "date=2024-03-05/hour=00/country=FR", 4, "date=2024-03-05/hour=01/country=DE", 1)));
  }

  @Test
  void targetFileSizeShowsInDisplayDataAndRejectsNegatives() {
    WriteRecords<TrainingExample> w = WriteTrainingData.to("out").withTargetFileSize(256L << 20);
    assertThat(
        DisplayData.from(w).asMap().values().stream()
            .filter(i -> i.getKey().equals("targetFileBytes"))
            .findFirst()
            .orElseThrow()
            .getValue(),
        equalTo(268_435_456L));
    assertThrows(IllegalArgumentException.class, () -> w.withTargetFileSize(-1));
  }

  @Test
  void sizesParseAsUsersWriteThem() {
    assertThat(ByteSizes.parse("0"), equalTo(0L));
    assertThat(ByteSizes.parse("65536"), equalTo(65_536L));
    assertThat(ByteSizes.parse("512KB"), equalTo(524_288L));
    assertThat(ByteSizes.parse("256MB"), equalTo(268_435_456L));
    assertThat(ByteSizes.parse("1gb"), equalTo(1_073_741_824L));
    assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("big"));
    assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse("-5MB"));
  }
}
