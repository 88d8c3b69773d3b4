package io.ctrbeam.pipelines;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.options.PipelineOptions;
import org.joda.time.Duration;

/**
 * Starts a pipeline so that {@code run()} returns while the job runs, and its metrics can be read
 * as it goes; {@link #await} waits and returns a result with the finished job's metrics.
 *
 * <ul>
 *   <li>DirectRunner blocks in {@code run()} unless {@code --blockOnRun=false}; its result serves
 *       live and final metrics.
 *   <li>FlinkRunner in attached mode (its default) blocks in {@code run()} until the job ends, and
 *       Beam's MetricsPusher starts only after that. So the job runs detached: the detached result
 *       reads the running job's accumulators (as the task managers report them, every heartbeat).
 *       Once the job has ended, a {@code [local]} cluster is shut down and that result can no
 *       longer be asked; the final metrics then come from the job's execution result.
 *   <li>Other runners return from {@code run()} at once (Dataflow, Spark in streaming) or block
 *       (Spark batch, which prints no progress then); nothing is changed for them.
 * </ul>
 *
 * <p>The runners are on the runtime classpath only (one Maven profile each), so their option
 * interfaces and results are reached by name.
 */
final class LiveRun {
  private static final String DIRECT_OPTIONS = "org.apache.beam.runners.direct.DirectOptions";
  private static final String FLINK_OPTIONS = "org.apache.beam.runners.flink.FlinkPipelineOptions";
  private static final String FLINK_DETACHED =
      "org.apache.beam.runners.flink.FlinkDetachedRunnerResult";
  private static final String FLINK_METRICS =
      "org.apache.beam.runners.flink.metrics.FlinkMetricContainer";
  private static final String STEP_MAP =
      "org.apache.beam.runners.core.metrics.MetricsContainerStepMap";

  private LiveRun() {}

  /**
   * Runs {@code p} so that {@code run()} returns while the job runs (where the runner allows it).
   */
  static PipelineResult start(Pipeline p) {
    PipelineOptions o = p.getOptions();
    String runner = o.getRunner().getSimpleName();
    if (runner.equals("DirectRunner")) {
      set(o, DIRECT_OPTIONS, "setBlockOnRun", false);
    } else if (runner.equals("FlinkRunner")) {
      set(o, FLINK_OPTIONS, "setAttachedMode", false);
    }
    return p.run();
  }

  /** Waits for the job's end; the returned result's metrics are the finished job's. */
  static PipelineResult await(PipelineResult running) {
    if (!running.getClass().getName().equals(FLINK_DETACHED)) {
      running.waitUntilFinish();
      return running;
    }
    Map<String, Object> accumulators = flinkAccumulators(running);
    return new Finished(
        stepMapResults(accumulators.get(constant(FLINK_METRICS, "ACCUMULATOR_NAME"))));
  }

  /** Waits at most {@code runFor}, then cancels a job that has not ended (a stream). */
  static PipelineResult stopAfter(PipelineResult running, Duration runFor) {
    PipelineResult.State state = running.waitUntilFinish(runFor);
    if (state == null || !state.isTerminal()) {
      try {
        running.cancel();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot cancel the job after " + runFor, e);
      }
    }
    return running;
  }

  private static void set(PipelineOptions o, String optionsClass, String setter, boolean value) {
    try {
      Class<? extends PipelineOptions> c =
          Class.forName(optionsClass).asSubclass(PipelineOptions.class);
      c.getMethod(setter, boolean.class).invoke(o.as(c), value);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot set " + setter + " on " + optionsClass, e);
    }
  }

  /** The detached job's accumulators once it has ended; a failed job throws. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> flinkAccumulators(PipelineResult detached) {
    try {
      Field f = detached.getClass().getDeclaredField("jobClient");
      f.setAccessible(true);
      Object jobClient = f.get(detached);
      Method m =
          Class.forName("org.apache.flink.core.execution.JobClient")
              .getMethod("getJobExecutionResult");
      Object result = ((CompletableFuture<?>) m.invoke(jobClient)).get();
      return (Map<String, Object>)
          result.getClass().getMethod("getAllAccumulatorResults").invoke(result);
    } catch (ExecutionException e) {
      if (cancelled(e)) {
        return Map
            .of(); // a stream cancelled from outside ends normally; Flink keeps no result for it
      }
      throw new IllegalStateException("the Flink job failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the Flink job", e);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the detached Flink job's result", e);
    }
  }

  private static boolean cancelled(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getClass().getSimpleName().equals("JobCancellationException")) {
        return true;
      }
    }
    return false;
  }

  private static MetricResults stepMapResults(Object stepMap) {
    try {
      Class<?> c = Class.forName(STEP_MAP);
      Object map = stepMap != null ? stepMap : c.getConstructor().newInstance();
      return (MetricResults) c.getMethod("asAttemptedOnlyMetricResults", c).invoke(null, map);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the Flink job's metrics", e);
    }
  }

  private static String constant(String className, String field) {
    try {
      return (String) Class.forName(className).getField(field).get(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read " + className + "." + field, e);
    }
  }

  /** A job that has ended, with its final (attempted) metrics. */
  private static final class Finished implements PipelineResult {
    private final MetricResults metrics;

    Finished(MetricResults metrics) {
      this.metrics = metrics;
    }

    @Override
    public State getState() {
      return State.DONE;
    }

    @Override
    public State cancel() throws IOException {
      return State.DONE;
    }

    @Override
    public State waitUntilFinish(Duration duration) {
      return State.DONE;
    }

    @Override
    public State waitUntilFinish() {
      return State.DONE;
    }

    @Override
    public MetricResults metrics() {
      return metrics;
    }
  }
}
