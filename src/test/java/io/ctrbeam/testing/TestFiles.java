package io.ctrbeam.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.TransformHierarchy;

/** What a test reads back: the JSON lines a job wrote, the step names of a graph. */
public final class TestFiles {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TestFiles() {}

  /**
   * Every non-blank line of the files under {@code folder} (hidden files, such as a sink's
   * temporary ones, left out) as JSON; empty when nothing was written, so that the assertions name
   * what is missing.
   */
  public static List<JsonNode> jsonLines(Path folder) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.isDirectory(folder)) {
      return out;
    }
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path f :
          files
              .filter(Files::isRegularFile)
              .filter(f -> !f.toString().contains("/."))
              .sorted()
              .toList()) {
        for (String line : Files.readAllLines(f)) {
          if (!line.isBlank()) {
            out.add(JSON.readTree(line));
          }
        }
      }
    }
    return out;
  }

  /** The full names of every composite step of the graph, in topological order. */
  public static List<String> stepNames(Pipeline p) {
    List<String> names = new ArrayList<>();
    p.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            names.add(node.getFullName());
            return CompositeBehavior.ENTER_TRANSFORM;
          }
        });
    return names;
  }
}
