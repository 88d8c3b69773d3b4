package io.ctrbeam.ci;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The README's smoke check: runs every command of README.md's code blocks, as a new user would, in
 * a fresh copy of the project, on small generated data, and fails when one fails or does not print
 * what it should. The commands are read from the README itself, so the README cannot drift from
 * what is tested; only sizes and service addresses are substituted ({@link #substitute}).
 *
 * <p>JDK only, so that CI runs it from source after {@code mvn verify}: {@code java
 * src/test/java/io/ctrbeam/ci/ReadmeSmoke.java README.md} (see {@code .ci/readme-smoke}). It starts
 * a {@code redis-server} and, through the README's own command, a local Kafka broker for the speed
 * layer. {@code ReadmeSmokeTest} checks the extraction on every build.
 */
public final class ReadmeSmoke {
  /** The test command itself: CI runs it before, not here. */
  static final String TEST_COMMAND = "mvn verify";

  /**
   * Small sizes (and an earlier run's file the smoke run lacks): text in a command → its
   * replacement.
   */
  static final Map<String, String> SIZES = new LinkedHashMap<>();

  static {
    SIZES.put(" --qualityReference=old/_reports/profile.json", "");
    SIZES.put(
        "--workDir=demo-output",
        "--workDir=demo-output --impressionsPerDay=3000 --users=400 --ads=80");
    SIZES.put("--impressionsPerDay=1000000", "--impressionsPerDay=3000");
    SIZES.put("--impressions=10000000", "--impressions=3000");
    SIZES.put("--impressions=1000000", "--impressions=3000");
    SIZES.put("--impressions=200000", "--impressions=3000");
    SIZES.put("\"200000 1000 42 7\"", "\"20000 200 42 7\"");
  }

  /**
   * What a command must print (a regex over its output), by the class or jar it runs; checked in
   * order.
   */
  static final Map<String, String> EXPECTED = new LinkedHashMap<>();

  static {
    EXPECTED.put("LocalKafka", "Kafka on \\S+");
    EXPECTED.put("GenerateLogs", "Wrote [\\d,]+ records");
    EXPECTED.put("TrainingDataPipeline", "(?s)progress done.*== ctr-beam run summary.*label stats");
    EXPECTED.put("SpeedLayerPipeline", "progress \\d+s read impression=[1-9]");
    EXPECTED.put("ConsistencyReport", "consistency \\(batch feature table vs Redis\\)");
    EXPECTED.put("RetentionJob", "(?i)dry run");
    EXPECTED.put("PropensityErrorTable", "\\| position \\| truth \\| naive");
    EXPECTED.put("DataQualityReport", "quality page: ");
    EXPECTED.put("io.ctrbeam.pipelines.Benchmark", "correct=true");
    EXPECTED.put("DataflowDryRun", "(?s)Dataflow dry run of the .*job type: JOB_TYPE_");
    EXPECTED.put("package", "");
    // CtrJob: the demo (exec:java without a main class, or the bundled jar's main).
    EXPECTED.put("--workDir=demo-output", "(?s)progress done.*generator truth vs measured");
  }

  private static final Pattern FENCE = Pattern.compile("^```(\\w*)\\s*$");
  private static final Pattern COMMENT = Pattern.compile("\\s{2,}#\\s.*$");

  private ReadmeSmoke() {}

  /** A command of the README, as written, and its line there. */
  record Command(int line, String text) {
    boolean isBuild() {
      return text.startsWith("mvn") && text.contains(" package");
    }

    /** Runs in the background for the commands after it (a server). */
    boolean isServer() {
      return text.contains("LocalKafka");
    }
  }

  /**
   * Every {@code mvn …} or {@code java …} command of the README's code blocks, continuation lines
   * joined, comments dropped.
   */
  static List<Command> commands(List<String> readme) {
    List<Command> out = new ArrayList<>();
    boolean inBlock = false;
    boolean shell = false;
    StringBuilder current = null;
    int start = 0;
    for (int i = 0; i < readme.size(); i++) {
      String raw = readme.get(i);
      Matcher fence = FENCE.matcher(raw.trim());
      if (fence.matches()) {
        inBlock = !inBlock;
        shell = inBlock && (fence.group(1).isEmpty() || fence.group(1).matches("sh|bash|shell"));
        continue;
      }
      if (!inBlock || !shell) {
        continue;
      }
      String line = COMMENT.matcher(raw.trim()).replaceFirst("");
      boolean continued = line.endsWith("\\");
      if (continued) {
        line = line.substring(0, line.length() - 1).trim();
      }
      if (current == null) {
        if (!line.startsWith("mvn ") && !line.startsWith("java ")) {
          continue;
        }
        current = new StringBuilder(line);
        start = i + 1;
      } else {
        current.append(' ').append(line);
      }
      if (!continued) {
        String text = current.toString().replaceAll("\\s+", " ").trim();
        if (!text.equals(TEST_COMMAND)) {
          out.add(new Command(start, text));
        }
        current = null;
      }
    }
    return out;
  }

  /** Builds first (the jar later commands use), each once; then the README's order. */
  static List<Command> ordered(List<Command> commands) {
    List<Command> out = new ArrayList<>();
    List<String> builds = new ArrayList<>();
    for (Command c : commands) {
      if (c.isBuild() && !builds.contains(c.text())) {
        builds.add(c.text());
        out.add(c);
      }
    }
    commands.stream().filter(c -> !c.isBuild()).forEach(out::add);
    return out;
  }

  /** The command with small sizes and the addresses of this run's Kafka and Redis. */
  static String substitute(String command, String kafka, int redisPort) {
    String s = command;
    for (Map.Entry<String, String> e : SIZES.entrySet()) {
      s = s.replace(e.getKey(), e.getValue());
    }
    s = s.replace("localhost:9092", kafka).replace("--redisPort=6379", "--redisPort=" + redisPort);
    if (s.contains("--redisHost=") && !s.contains("--redisPort=")) {
      s = s.replace("--redisHost=localhost", "--redisHost=localhost --redisPort=" + redisPort);
    }
    if (s.contains("SpeedLayerPipeline")) {
      // A stream runs until stopped: bound it.
      s = s.replace("--output=speed-out", "--output=speed-out --runFor=25s --progressInterval=2s");
    }
    return s;
  }

  /** The output a command must print. */
  static String expected(String command) {
    for (Map.Entry<String, String> e : EXPECTED.entrySet()) {
      if (command.contains(e.getKey())) {
        return e.getValue();
      }
    }
    throw new IllegalArgumentException("the smoke check knows no expected output for: " + command);
  }

  public static void main(String[] args) throws Exception {
    Path readme = Path.of(args.length > 0 ? args[0] : "README.md").toAbsolutePath();
    Path project = readme.getParent();
    List<Command> commands = commands(Files.readAllLines(readme, StandardCharsets.UTF_8));
    Path work = Files.createTempDirectory("readme-smoke");
    copyProject(project, work);
    System.out.println(
        "README smoke check: " + commands.size() + " commands in a fresh copy at " + work);
    int redisPort = freePort();
    Process redis =
        new ProcessBuilder(
                "redis-server",
                "--port",
                Integer.toString(redisPort),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no")
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("redis.log").toFile())
            .start();
    List<Process> servers = new ArrayList<>(List.of(redis));
    long t0 = System.nanoTime();
    List<String> failures = new ArrayList<>();
    String kafka = "localhost:9092";
    try {
      for (Command c : ordered(commands)) {
        String cmd = substitute(c.text(), kafka, redisPort);
        System.out.printf("%n== README.md:%d  %s%n", c.line(), cmd);
        Path log = work.resolve("cmd-" + c.line() + ".log");
        long t = System.nanoTime();
        Process p =
            new ProcessBuilder("bash", "-c", cmd)
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        String pattern = expected(c.text());
        if (c.isServer()) {
          servers.add(p);
          String out = awaitOutput(p, log, pattern, 180);
          Matcher m = Pattern.compile("Kafka on (\\S+)").matcher(out);
          if (!m.find()) {
            failures.add("README.md:" + c.line() + " did not start: " + tail(out));
            break;
          }
          kafka = m.group(1);
          System.out.printf(
              "   started in %.1f s: Kafka on %s%n", (System.nanoTime() - t) / 1e9, kafka);
          continue;
        }
        boolean ended = p.waitFor(5, TimeUnit.MINUTES);
        String out = Files.readString(log, StandardCharsets.UTF_8);
        double s = (System.nanoTime() - t) / 1e9;
        String failure = null;
        if (!ended) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          failure = "did not end in 5 min";
        } else if (p.exitValue() != 0) {
          failure = "exited " + p.exitValue();
        } else if (!Pattern.compile(pattern).matcher(out).find()) {
          failure = "did not print /" + pattern + "/";
        }
        if (failure != null) {
          failures.add("README.md:" + c.line() + " " + failure + ": " + cmd + "\n" + tail(out));
        }
        System.out.printf(
            "   %s in %.1f s (log %s)%n", failure == null ? "ok" : "FAILED: " + failure, s, log);
      }
    } finally {
      for (Process p : servers) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        p.waitFor(20, TimeUnit.SECONDS);
      }
    }
    System.out.printf(
        "%nREADME smoke check: %d commands, %d failed, %.0f s%n",
        commands.size(), failures.size(), (System.nanoTime() - t0) / 1e9);
    failures.forEach(f -> System.out.println("FAILED " + f));
    System.exit(failures.isEmpty() ? 0 : 1);
  }

  /** Waits until the background command prints {@code pattern}; fails when it exits first. */
  private static String awaitOutput(Process p, Path log, String pattern, int seconds)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    Pattern want = Pattern.compile(pattern);
    while (System.nanoTime() < deadline) {
      String out = Files.readString(log, StandardCharsets.UTF_8);
      if (want.matcher(out).find() || !p.isAlive()) {
        return out;
      }
      Thread.sleep(200);
    }
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  /**
   * The project's files under version control (a fresh clone), or all but build output without git.
   */
  private static void copyProject(Path from, Path to) throws IOException, InterruptedException {
    List<Path> files = new ArrayList<>();
    Process git =
        new ProcessBuilder("git", "ls-files")
            .directory(from.toFile())
            .redirectErrorStream(true)
            .start();
    String listed = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (git.waitFor() == 0) {
      listed.lines().filter(l -> !l.isBlank()).forEach(l -> files.add(from.resolve(l)));
    } else {
      try (Stream<Path> all = Files.walk(from)) {
        all.filter(Files::isRegularFile)
            .filter(f -> !from.relativize(f).startsWith("target"))
            .forEach(files::add);
      }
    }
    for (Path f : files) {
      Path dest = to.resolve(from.relativize(f).toString());
      Files.createDirectories(dest.getParent());
      Files.copy(f, dest);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String tail(String out) {
    String[] lines = out.split("\n");
    return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 25), lines.length));
  }
}
