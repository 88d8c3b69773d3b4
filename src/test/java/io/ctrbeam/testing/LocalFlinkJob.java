package io.ctrbeam.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.JobListener;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A streaming pipeline on embedded Flink ({@code --flinkMaster=[local]}) run beside the test, with
 * a handle to cancel it. On {@code [local]}, {@code run()} blocks until the job ends and an
 * unbounded job never ends by itself; Flink hands the job's {@link JobClient} to the listener that
 * {@link #confDir} registers (pass that folder as {@code --flinkConfDir}).
 *
 * <pre>{@code
 * String conf = LocalFlinkJob.confDir(tmp).toString();   // --flinkConfDir=<conf>
 * try (LocalFlinkJob job = LocalFlinkJob.start(() -> pipeline.run())) {
 *   ... job.latestCheckpoint(checkpointDir) ...
 * }  // cancels the job and waits for it
 * }</pre>
 */
public final class LocalFlinkJob implements AutoCloseable {
  private static final BlockingQueue<JobClient> SUBMITTED = new LinkedBlockingQueue<>();

  private final Thread thread;
  private final JobClient client;

  private LocalFlinkJob(Thread thread, JobClient client) {
    this.thread = thread;
    this.client = client;
  }

  /**
   * Writes a {@code flink-conf.yaml} under {@code dir} that registers the listener; returns its
   * folder.
   */
  public static Path confDir(Path dir) throws IOException {
    Path conf = Files.createDirectories(dir.resolve("flink-conf"));
    Files.writeString(
        conf.resolve("flink-conf.yaml"),
        "execution.job-listeners: " + Listener.class.getName() + "\n");
    return conf;
  }

  /**
   * Runs {@code run} (a pipeline's {@code run()}) on its own thread and waits until Flink has the
   * job.
   */
  public static LocalFlinkJob start(Runnable run) throws InterruptedException {
    SUBMITTED.clear();
    Thread thread =
        new Thread(
            () -> {
              try {
                run.run();
              } catch (RuntimeException cancelled) {
                // Cancelling the job makes run() throw; the test asserts on outputs, not on this.
              }
            },
            "flink-local-job");
    thread.setDaemon(true);
    thread.start();
    JobClient client = SUBMITTED.poll(60, TimeUnit.SECONDS);
    if (client == null) {
      thread.interrupt();
      throw new IllegalStateException(
          "no Flink job was submitted within 60 s; is --flinkConfDir=confDir(...) set?");
    }
    return new LocalFlinkJob(thread, client);
  }

  public JobClient client() {
    return client;
  }

  /**
   * The number of the latest completed checkpoint of this job in the checkpoint storage folder
   * {@code storage} ({@code <storage>/<job id>/chk-<n>/_metadata}), or 0 when none has completed.
   */
  public long latestCheckpoint(Path storage) throws IOException {
    Path jobDir = storage.resolve(client.getJobID().toString());
    if (!Files.isDirectory(jobDir)) {
      return 0;
    }
    try (Stream<Path> dirs = Files.list(jobDir)) {
      return dirs.filter(
              d ->
                  d.getFileName().toString().startsWith("chk-")
                      && Files.exists(d.resolve("_metadata")))
          .mapToLong(d -> Long.parseLong(d.getFileName().toString().substring(4)))
          .max()
          .orElse(0);
    }
  }

  /** Cancels the job (unless it has ended) and waits for its thread. */
  @Override
  public void close() throws Exception {
    if (!thread.isAlive()) {
      return;
    }
    try {
      client.cancel().get(30, TimeUnit.SECONDS);
    } finally {
      thread.join(30_000);
    }
  }

  /** Registered through {@code execution.job-listeners}; Flink instantiates it per environment. */
  public static final class Listener implements JobListener {
    @Override
    public void onJobSubmitted(@Nullable JobClient jobClient, @Nullable Throwable throwable) {
      if (jobClient != null) {
        SUBMITTED.add(jobClient);
      }
    }

    @Override
    public void onJobExecuted(@Nullable JobExecutionResult result, @Nullable Throwable throwable) {}
  }
}
