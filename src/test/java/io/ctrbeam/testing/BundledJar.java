package io.ctrbeam.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An entry point of the default build's bundled jar ({@code target/ctr-beam-bundled-<version>.jar},
 * every runner in it), run as a user runs it: {@code java -cp <jar> <main class> <args>}, in a
 * child process whose output goes to a log file. The jar's path comes from the system property
 * {@code ctr.bundledJar}, which the pom's failsafe configuration sets; a missing jar fails.
 *
 * <pre>{@code
 * try (BundledJar.Run run = BundledJar.start(log, "io.ctrbeam.pipelines.TrainingDataPipeline", args)) {
 *   assertThat(run.log(), run.waitFor(120), equalTo(0));
 * }
 * }</pre>
 */
public final class BundledJar {
  private BundledJar() {}

  /**
   * The bundled jar; fails when it was not built (run {@code mvn verify}, or {@code mvn package}
   * first).
   */
  public static Path path() {
    String p = System.getProperty("ctr.bundledJar");
    if (p == null || !Files.isRegularFile(Path.of(p))) {
      throw new IllegalStateException(
          "the bundled jar (system property ctr.bundledJar) is missing: '"
              + p
              + "'; build it with the default profile (mvn package), then run the ITs through failsafe");
    }
    return Path.of(p);
  }

  /**
   * Starts {@code mainClass} from the jar with {@code args}; stdout and stderr go to {@code log}.
   */
  public static Run start(Path log, String mainClass, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-cp");
    command.add(path().toString());
    command.add(mainClass);
    command.addAll(args);
    Files.createDirectories(log.toAbsolutePath().getParent());
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new Run(process, log);
  }

  /** A running entry point; closing it kills the process if it still runs. */
  public static final class Run implements AutoCloseable {
    private final Process process;
    private final Path log;

    private Run(Process process, Path log) {
      this.process = process;
      this.log = log;
    }

    /** The exit code, or fails after {@code timeoutSeconds} with the log's tail. */
    public int waitFor(long timeoutSeconds) throws IOException, InterruptedException {
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
        throw new AssertionError(
            "still running after " + timeoutSeconds + " s; its log:\n" + log());
      }
      return process.exitValue();
    }

    public boolean isAlive() {
      return process.isAlive();
    }

    /** The last 8,000 characters of its output. */
    public String log() throws IOException {
      String all = Files.readString(log);
      return all.length() <= 8_000 ? all : all.substring(all.length() - 8_000);
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        process.destroyForcibly().waitFor();
      }
    }
  }
}
