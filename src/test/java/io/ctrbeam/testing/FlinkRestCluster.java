package io.ctrbeam.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

/**
 * A Flink session cluster in the test JVM that stands in for a real one: Flink's {@link
 * MiniCluster} with its REST endpoint (the one {@code flink run} and Beam's {@code
 * --flinkMaster=host:port} submit to) on a random loopback port; every server binds 127.0.0.1. A
 * job submitted there is uploaded as a jar and runs in the cluster's task manager, in its own class
 * loader, unlike {@code --flinkMaster=[local]}. The REST API also tells which jobs ran.
 *
 * <pre>{@code
 * try (FlinkRestCluster flink = FlinkRestCluster.start(4)) {
 *   ... --runner=FlinkRunner --flinkMaster=flink.master() ...
 *   JsonNode job = flink.awaitJob(j -> j.path("state").asText().equals("FINISHED"), 60_000);
 * }
 * }</pre>
 */
public final class FlinkRestCluster implements AutoCloseable {
  private static final String HOST = "127.0.0.1";

  private final MiniCluster cluster;
  private final URI rest;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();

  private FlinkRestCluster(MiniCluster cluster, URI rest) {
    this.cluster = cluster;
    this.rest = rest;
  }

  /** One task manager with {@code slots} slots; returns once the REST endpoint answers. */
  public static FlinkRestCluster start(int slots) throws Exception {
    Configuration conf = new Configuration();
    // Every server on loopback: REST, blob server (JobManager's bind host), shuffle
    // (TaskManager's).
    conf.set(RestOptions.ADDRESS, HOST);
    conf.set(RestOptions.BIND_ADDRESS, HOST);
    conf.set(JobManagerOptions.BIND_HOST, HOST);
    conf.set(TaskManagerOptions.HOST, HOST);
    conf.set(TaskManagerOptions.BIND_HOST, HOST);
    conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("256m"));
    // Submitted jobs load Beam from the uploaded jar: its threads may outlive a job by a moment.
    conf.set(CoreOptions.CHECK_LEAKED_CLASSLOADER, false);
    // This cluster shares the test JVM, whose class path (unlike a Flink installation's lib/) has
    // Kafka's Scala Jackson module; Jackson's module lookup would mix the jar's Jackson classes
    // with it ("DefaultScalaModule not a subtype"). Both hold Jackson 2.15.4: take the cluster's.
    conf.set(
        CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL,
        List.of("com.fasterxml.jackson."));
    MiniCluster cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(slots)
                .setCommonBindAddress(HOST)
                .withRandomPorts()
                .build());
    cluster.start();
    FlinkRestCluster started =
        new FlinkRestCluster(cluster, cluster.getRestAddress().get(30, TimeUnit.SECONDS));
    started.get("/overview");
    return started;
  }

  /** The REST port, as {@code --flinkMaster=localhost:<port>} or {@code flink run -m} take it. */
  public int restPort() {
    return rest.getPort();
  }

  /** {@code localhost:<rest port>}. */
  public String master() {
    return "localhost:" + restPort();
  }

  /** GET {@code path} of the REST API, as JSON. */
  public JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(rest.resolve(path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("GET " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return json.readTree(r.body());
  }

  /**
   * Every job the cluster knows ({@code /jobs/overview}): each with {@code jid}, {@code name},
   * {@code state}.
   */
  public List<JsonNode> jobs() throws IOException, InterruptedException {
    List<JsonNode> jobs = new ArrayList<>();
    get("/jobs/overview").path("jobs").forEach(jobs::add);
    return jobs;
  }

  /**
   * The first job that {@code matches}, waiting at most {@code timeoutMs}; fails with the jobs
   * seen.
   */
  public JsonNode awaitJob(Predicate<JsonNode> matches, long timeoutMs)
      throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    List<JsonNode> seen = List.of();
    while (System.currentTimeMillis() < deadline) {
      seen = jobs();
      for (JsonNode job : seen) {
        if (matches.test(job)) {
          return job;
        }
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        "no matching job within " + timeoutMs + " ms; the cluster's jobs: " + seen);
  }

  /** Cancels a job ({@code PATCH /jobs/<id>?mode=cancel}), as {@code flink cancel <id>} does. */
  public void cancel(String jobId) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(rest.resolve("/jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 202) {
      throw new IOException("cancel " + jobId + " answered " + r.statusCode() + ": " + r.body());
    }
  }

  @Override
  public void close() throws Exception {
    cluster.closeAsync().get(60, TimeUnit.SECONDS);
  }
}
