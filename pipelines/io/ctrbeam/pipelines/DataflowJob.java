package io.ctrbeam.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.model.pipeline.v1.StandardWindowFns;
import org.apache.beam.sdk.util.construction.PTransformTranslation;

/**
 * A Dataflow job as the runner built it: the job JSON (type, environment, v1 steps) and the
 * portable pipeline proto it stages (which Runner v2 executes). Reads what a user checks before
 * paying: the job type, the stateful steps with their state and timer kinds, the windowing and the
 * sinks.
 */
public final class DataflowJob {
  /** A ParDo holding state or timers: its full name and, by id, each state's and timer's kind. */
  public record StatefulStep(String name, Map<String, String> states, Map<String, String> timers) {}

  /**
   * A window assignment: its full name and its window function (e.g. {@code fixed_windows 600s}).
   */
  public record Windowing(String name, String windowFn) {}

  private final JsonNode job;
  private final RunnerApi.Pipeline proto;

  private DataflowJob(JsonNode job, RunnerApi.Pipeline proto) {
    this.job = job;
    this.proto = proto;
  }

  /** From the job JSON the runner wrote and the pipeline proto it staged. */
  public static DataflowJob of(String jobJson, byte[] pipelineProto) {
    try {
      return new DataflowJob(
          new ObjectMapper().readTree(jobJson), RunnerApi.Pipeline.parseFrom(pipelineProto));
    } catch (IOException e) {
      throw new UncheckedIOException("not a Dataflow job JSON and pipeline proto", e);
    }
  }

  public JsonNode json() {
    return job;
  }

  public RunnerApi.Pipeline proto() {
    return proto;
  }

  /** {@code JOB_TYPE_BATCH} or {@code JOB_TYPE_STREAMING}. */
  public String type() {
    return job.path("type").asText();
  }

  public List<String> experiments() {
    List<String> out = new ArrayList<>();
    job.path("environment").path("experiments").forEach(e -> out.add(e.asText()));
    return out;
  }

  public boolean runnerV2() {
    return experiments().contains("use_runner_v2");
  }

  public boolean streamingEngine() {
    return experiments().contains("enable_streaming_engine");
  }

  /** The v1 steps (the graph a Runner v1 job runs; Runner v2 runs {@link #proto}). */
  public JsonNode steps() {
    return job.path("steps");
  }

  /** The user names of the v1 steps (the full names of the applied transforms). */
  public List<String> stepNames() {
    return stepNames(job);
  }

  /** The user names of the v1 steps of a job JSON. */
  public static List<String> stepNames(JsonNode job) {
    List<String> names = new ArrayList<>();
    for (JsonNode step : job.path("steps")) {
      names.add(userName(step));
    }
    return names;
  }

  /** The v1 step of that full name; a missing node when there is none. */
  public JsonNode step(String userName) {
    for (JsonNode step : steps()) {
      if (userName(step).equals(userName)) {
        return step;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  /** A property of the v1 step of that full name, as text; empty when there is none. */
  public String stepProperty(String userName, String property) {
    JsonNode value = step(userName).path("properties").path(property);
    // Plain, or a cloud object {"@type": ..., "value": ...}.
    return value.isObject() ? value.path("value").asText() : value.asText();
  }

  /** The ParDos holding state or timers, in the proto, in graph order. */
  public List<StatefulStep> statefulSteps() {
    List<StatefulStep> out = new ArrayList<>();
    for (RunnerApi.PTransform t : proto.getComponents().getTransformsMap().values()) {
      if (!PTransformTranslation.PAR_DO_TRANSFORM_URN.equals(t.getSpec().getUrn())) {
        continue;
      }
      RunnerApi.ParDoPayload pardo = parse(t, RunnerApi.ParDoPayload.parser());
      if (pardo.getStateSpecsCount() == 0 && pardo.getTimerFamilySpecsCount() == 0) {
        continue;
      }
      Map<String, String> states = new TreeMap<>();
      pardo.getStateSpecsMap().forEach((id, s) -> states.put(id, stateKind(s)));
      Map<String, String> timers = new TreeMap<>();
      // The proto keys a DoFn's timer "due" as "ts-due".
      pardo
          .getTimerFamilySpecsMap()
          .forEach(
              (id, s) -> timers.put(id.replaceFirst("^tfs?-", ""), timeDomain(s.getTimeDomain())));
      out.add(new StatefulStep(t.getUniqueName(), states, timers));
    }
    out.sort((a, b) -> a.name().compareTo(b.name()));
    return out;
  }

  /** Every window assignment in the proto, with its window function. */
  public List<Windowing> windowing() {
    List<Windowing> out = new ArrayList<>();
    for (RunnerApi.PTransform t : proto.getComponents().getTransformsMap().values()) {
      if (PTransformTranslation.ASSIGN_WINDOWS_TRANSFORM_URN.equals(t.getSpec().getUrn())) {
        out.add(
            new Windowing(
                t.getUniqueName(),
                windowFn(parse(t, RunnerApi.WindowIntoPayload.parser()).getWindowFn())));
      }
    }
    out.sort((a, b) -> a.name().compareTo(b.name()));
    return out;
  }

  /**
   * The top-level transforms none of whose outputs another transform reads: the pipeline's sinks.
   */
  public List<String> sinks() {
    Map<String, RunnerApi.PTransform> transforms = proto.getComponents().getTransformsMap();
    Set<String> consumed = new HashSet<>();
    transforms.values().forEach(t -> consumed.addAll(t.getInputsMap().values()));
    List<String> out = new ArrayList<>();
    for (String id : proto.getRootTransformIdsList()) {
      RunnerApi.PTransform t = transforms.get(id);
      if (t.getOutputsMap().values().stream().noneMatch(consumed::contains)) {
        out.add(t.getUniqueName());
      }
    }
    return out;
  }

  /**
   * What Dataflow refuses that its SDK does not check here. On Runner v2 the SDK skips the v1
   * translation, and with it its state checks, yet Dataflow documents that Runner v2 streaming does
   * not support MapState or SetState (https://cloud.google.com/dataflow/docs/runner-v2,
   * "Limitations").
   */
  public List<String> problems() {
    List<String> out = new ArrayList<>();
    if (type().equals("JOB_TYPE_STREAMING") && runnerV2()) {
      for (StatefulStep st : statefulSteps()) {
        if (st.states().containsValue("map") || st.states().containsValue("set")) {
          out.add(
              st.name()
                  + " keeps MapState or SetState, which Dataflow Runner v2 does not support in streaming;"
                  + " run the streaming job on Streaming Engine with --experiments=disable_runner_v2");
        }
      }
    }
    return out;
  }

  /** A few lines for a person: job type, runner, steps, stateful steps, windowing and sinks. */
  public String summary() {
    StringBuilder s = new StringBuilder();
    s.append("job type: ").append(type()).append('\n');
    s.append("runner: ")
        .append(runnerV2() ? "Runner v2" : "Runner v1")
        .append(streamingEngine() ? ", Streaming Engine" : "")
        .append('\n');
    s.append("steps: ")
        .append(steps().size())
        .append(" (v1 job graph), ")
        .append(proto.getComponents().getTransformsCount())
        .append(" transforms (pipeline proto)\n");
    List<StatefulStep> stateful = statefulSteps();
    s.append("stateful steps: ").append(stateful.size()).append('\n');
    for (StatefulStep st : stateful) {
      s.append("  ")
          .append(st.name())
          .append("  state ")
          .append(st.states())
          .append(" timers ")
          .append(st.timers())
          .append('\n');
    }
    // Reshuffle's SetIdentityWindow only restores the windows it found: not the user's windowing.
    List<Windowing> windows =
        windowing().stream()
            .filter(
                w ->
                    !w.windowFn().equals("global_windows")
                        && !w.name().contains("/SetIdentityWindow/"))
            .toList();
    s.append("windowing (non-global): ").append(windows.size()).append('\n');
    for (Windowing w : windows) {
      s.append("  ").append(w.name()).append("  ").append(w.windowFn()).append('\n');
    }
    List<String> problems = problems();
    s.append("problems: ").append(problems.isEmpty() ? "none found" : problems.size()).append('\n');
    for (String problem : problems) {
      s.append("  ").append(problem).append('\n');
    }
    List<String> sinks = sinks();
    s.append("sinks: ").append(sinks.size()).append('\n');
    for (String sink : sinks) {
      s.append("  ").append(sink).append('\n');
    }
    return s.toString();
  }

  private static String userName(JsonNode step) {
    JsonNode name = step.path("properties").path("user_name");
    // Plain text, or a cloud object {"@type": ..., "value": ...}.
    return name.isObject() ? name.path("value").asText() : name.asText();
  }

  private static <T> T parse(
      RunnerApi.PTransform t,
      org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.Parser<T> parser) {
    try {
      return parser.parseFrom(t.getSpec().getPayload());
    } catch (IOException e) {
      throw new UncheckedIOException("bad payload of " + t.getUniqueName(), e);
    }
  }

  /**
   * {@code value}, {@code bag}, {@code map}, {@code set}, {@code combining}, {@code ordered_list},
   * {@code multimap}.
   */
  static String stateKind(RunnerApi.StateSpec spec) {
    String kind = spec.getSpecCase().name().toLowerCase(Locale.ROOT).replace("_spec", "");
    return kind.equals("read_modify_write") ? "value" : kind;
  }

  private static String timeDomain(RunnerApi.TimeDomain.Enum domain) {
    return domain.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static String windowFn(RunnerApi.FunctionSpec fn) {
    String urn = fn.getUrn();
    String name = urn.replaceFirst("^beam:window_fn:", "").replaceFirst(":v\\d+$", "");
    try {
      if (urn.equals("beam:window_fn:fixed_windows:v1")) {
        return name
            + " "
            + StandardWindowFns.FixedWindowsPayload.parseFrom(fn.getPayload())
                .getSize()
                .getSeconds()
            + "s";
      }
      if (urn.equals("beam:window_fn:sliding_windows:v1")) {
        StandardWindowFns.SlidingWindowsPayload p =
            StandardWindowFns.SlidingWindowsPayload.parseFrom(fn.getPayload());
        return name
            + " "
            + p.getSize().getSeconds()
            + "s every "
            + p.getPeriod().getSeconds()
            + "s";
      }
    } catch (IOException e) {
      throw new UncheckedIOException("bad window fn payload " + urn, e);
    }
    return name;
  }
}
