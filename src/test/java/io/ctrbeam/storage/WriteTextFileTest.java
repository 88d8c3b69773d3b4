package io.ctrbeam.storage;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.ctrbeam.testing.TestPipelineExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A report's text lands in one file as one line, as TextIO without sharding wrote it. */
@ExtendWith(TestPipelineExtension.class)
class WriteTextFileTest {
  @Test
  void theElementIsTheFileAndReplacesAnOlderOne(TestPipeline p, @TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("_reports/plan.json");
    Files.createDirectories(file.getParent());
    Files.writeString(file, "an older, longer report that must not survive in part");
    p.apply(Create.of("{\"rate\": 0.25,\n \"ünïcode\": true}"))
        .apply(WriteTextFile.to(file.toString()));
    p.run().waitUntilFinish();
    assertThat(
        Files.readString(file, StandardCharsets.UTF_8),
        equalTo("{\"rate\": 0.25,\n \"ünïcode\": true}\n"));
  }
}
