package io.ctrbeam.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.values.PValue;

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

  /**
   * The full names of the top-level steps whose outputs are the inputs of the top-level step {@code
   * step}.
   */
  public static Set<String> producersOfInputs(Pipeline p, String step) {
    Map<PValue, String> producer = new HashMap<>();
    Set<PValue> inputs = new HashSet<>();
    p.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            if (!node.isRootNode() && node.getEnclosingNode().isRootNode()) {
              node.getOutputs().values().forEach(o -> producer.put(o, node.getFullName()));
              if (node.getFullName().equals(step)) {
                inputs.addAll(node.getInputs().values());
              }
            }
            return CompositeBehavior.ENTER_TRANSFORM;
          }
        });
    Set<String> names = new TreeSet<>();
    inputs.forEach(i -> names.add(producer.getOrDefault(i, "?")));
    return names;
  }
}
