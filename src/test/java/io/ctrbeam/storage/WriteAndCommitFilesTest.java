package io.ctrbeam.storage;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.testing.TestPipelineExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class WriteAndCommitFilesTest {
  @TempDir Path tmp;

  @Test
  void eachKeyBecomesOneFileInPlaceAndNothingStagedIsLeft(TestPipeline p) throws Exception {
    Path out = tmp.resolve("out");
    List<KV<String, String>> lines = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      lines.add(KV.of("date=2024-03-05/hour=0" + (i % 3) + "/part", "line " + i));
    }
    PCollection<String> written =
        p.apply(Create.of(lines).withCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())))
            .apply(write(out.toString(), s -> s));
    List<String> expected = new ArrayList<>();
    for (int h = 0; h < 3; h++) {
      expected.add(out + "/date=2024-03-05/hour=0" + h + "/part-00000-of-00001.txt");
    }
    PAssert.that(written).containsInAnyOrder(expected);
    p.run().waitUntilFinish();

    assertThat(
        files(out).stream().map(Path::toString).collect(Collectors.toList()),
        containsInAnyOrder(expected.toArray()));
    for (int h = 0; h < 3; h++) {
      List<String> got = Files.readAllLines(Path.of(expected.get(h)), StandardCharsets.UTF_8);
      List<String> want = new ArrayList<>();
      for (int i = h; i < 30; i += 3) {
        want.add("line " + i);
      }
      assertThat(got, containsInAnyOrder(want.toArray()));
    }
    assertThat(staging(out), empty());
  }

  @Test
  void aFailedWriteLeavesNothingInPlace(TestPipeline p) throws Exception {
    Path out = tmp.resolve("failed");
    List<KV<String, String>> lines = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      lines.add(KV.of("part-" + (i % 4), i == 37 ? "poison" : "line " + i));
    }
    p.apply(Create.of(lines).withCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())))
        .apply(
            write(
                out.toString(),
                s -> {
                  if (s.equals("poison")) {
                    throw new IllegalStateException("cannot write " + s);
                  }
                  return s;
                }));

    assertThrows(RuntimeException.class, () -> p.run().waitUntilFinish());
    // Files of other keys may have been staged, but none reached its final name.
    assertThat(files(out), empty());
  }

  @Test
  void theNameIsFileIoDefaultNamingOfOneShard() {
    assertThat(
        WriteAndCommitFiles.finalName("gs://b/out", "date=2024-03-05/part-00002", ".parquet"),
        equalTo("gs://b/out/date=2024-03-05/part-00002-00000-of-00001.parquet"));
  }

  private static WriteAndCommitFiles<String, String> write(
      String out, SerializableFunction<String, String> toLine) {
    return new WriteAndCommitFiles<>(out, ".txt", toLine, TextIO.sink());
  }

  /** Files outside any hidden folder. */
  private static List<Path> files(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile)
          .filter(f -> !dir.relativize(f).toString().contains(".temp-beam"))
          .collect(Collectors.toList());
    }
  }

  /** Anything under a staging folder, the folders included. */
  private static List<Path> staging(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(f -> dir.relativize(f).toString().contains(".temp-beam"))
          .collect(Collectors.toList());
    }
  }
}
