package io.ctrbeam.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A local Kafka for trying the speed layer without one: a one-node broker on loopback ({@link
 * EmbeddedKafka}), with the topics {@code impressions}, {@code clicks} and {@code labels}, and,
 * with {@code --logs=<dir>}, the impressions and clicks of generated logs (JSON lines) loaded into
 * their topics. It prints {@code Kafka on <bootstrap servers>} and runs until stopped.
 *
 * <pre>
 * mvn -q test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.ctrbeam.testing.LocalKafka \
 *   -Dexec.args="--logs=logs"
 * </pre>
 */
public final class LocalKafka {
  private LocalKafka() {}

  public static void main(String[] args) throws Exception {
    Path logs = null;
    for (String a : args) {
      if (a.startsWith("--logs=")) {
        logs = Path.of(a.substring("--logs=".length()));
      } else {
        throw new IllegalArgumentException(
            "unknown argument " + a + "; the only one is --logs=<dir of generated logs>");
      }
    }
    EmbeddedKafka kafka = EmbeddedKafka.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> close(kafka)));
    for (String topic : List.of("impressions", "clicks", "labels")) {
      kafka.createTopic(topic, 1);
    }
    if (logs != null) {
      for (String topic : List.of("impressions", "clicks")) {
        List<String> lines = jsonLines(logs.resolve(topic));
        kafka.produce(topic, lines);
        System.out.println(
            "loaded "
                + lines.size()
                + " records of "
                + logs.resolve(topic)
                + " into topic "
                + topic);
      }
    }
    System.out.println("Kafka on " + kafka.bootstrapServers());
    System.out.flush();
    Thread.currentThread().join();
  }

  private static List<String> jsonLines(Path dir) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        Files.readAllLines(f, StandardCharsets.UTF_8).stream()
            .filter(l -> !l.isBlank())
            .forEach(lines::add);
      }
    }
    return lines;
  }

  private static void close(EmbeddedKafka kafka) {
    try {
      kafka.close();
    } catch (Exception e) {
      System.err.println("closing Kafka: " + e);
    }
  }
}
