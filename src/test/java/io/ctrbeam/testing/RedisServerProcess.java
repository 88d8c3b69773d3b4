package io.ctrbeam.testing;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;

/**
 * A throwaway {@code redis-server} for tests: a child process on a free loopback port with no
 * persistence. Fails (never skips) when the binary is missing.
 *
 * <pre>{@code
 * try (RedisServerProcess redis = RedisServerProcess.start()) { ... redis.port() ... }
 * }</pre>
 */
public final class RedisServerProcess implements AutoCloseable {
  public static final String HOST = "127.0.0.1";

  private final Process process;
  private final int port;

  private RedisServerProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts a server and waits until it answers PING (at most 10 s). */
  public static RedisServerProcess start() throws IOException, InterruptedException {
    String binary = findBinary();
    int port = freePort();
    Path log = Files.createTempFile("redis-server", ".log");
    Process process =
        new ProcessBuilder(
                List.of(
                    binary,
                    "--port",
                    Integer.toString(port),
                    "--bind",
                    HOST,
                    "--save",
                    "",
                    "--appendonly",
                    "no"))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    RedisServerProcess server = new RedisServerProcess(process, port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "redis-server exited with " + process.exitValue() + ": " + Files.readString(log));
      }
      try (Jedis jedis = new Jedis(HOST, port)) {
        if ("PONG".equals(jedis.ping())) {
          return server;
        }
      } catch (RuntimeException notYet) {
        Thread.sleep(20);
      }
    }
    server.close();
    throw new IllegalStateException("redis-server did not answer PING on port " + port);
  }

  public String host() {
    return HOST;
  }

  public int port() {
    return port;
  }

  /** A new client; the caller closes it. */
  public Jedis client() {
    return new Jedis(HOST, port);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }

  private static String findBinary() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(dir, "redis-server");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    for (String candidate : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
      if (new File(candidate).canExecute()) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "redis-server not found on PATH; install it: apt-get install -y redis-server");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }
}
