package io.ctrbeam.quality;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.schema.DeadLetter;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Profiles (one per record type and window) and optional dead letters to one {@link QualityReport}
 * per window: the gate against the reference and the thresholds. In the global window (batch) the
 * clock is {@link #withClock} or the time of evaluation; in an interval window (streaming) it is
 * the window's end unless given. Counts checks and breaches in Beam Metrics ({@value #NAMESPACE}).
 *
 * <pre>{@code
 * PCollection<QualityReport> r = PCollectionList.of(impressionProfile).and(exampleProfile)
 *     .apply("CheckQuality", CheckQuality.create().withReference(ref).withConfig(cfg).withDeadLetters(deadLetters));
 * }</pre>
 */
public final class CheckQuality
    extends PTransform<PCollectionList<DatasetProfile>, PCollection<QualityReport>> {
  public static final String NAMESPACE = "ctrbeam.quality";

  private final List<DatasetProfile> reference;
  private final QualityConfig config;
  private final Instant clock;
  private final transient PCollection<DeadLetter> deadLetters;

  private CheckQuality(
      List<DatasetProfile> reference,
      QualityConfig config,
      Instant clock,
      PCollection<DeadLetter> deadLetters) {
    this.reference = reference;
    this.config = config;
    this.clock = clock;
    this.deadLetters = deadLetters;
  }

  public static CheckQuality create() {
    return new CheckQuality(List.of(), QualityConfig.defaults(), null, null);
  }

  /**
   * The profiles of an earlier run (any record types); drift is checked for the types they cover.
   */
  public CheckQuality withReference(List<DatasetProfile> reference) {
    checkArgument(
        reference != null, "reference must not be null (empty for none), got %s", reference);
    return new CheckQuality(List.copyOf(reference), config, clock, deadLetters);
  }

  /** Thresholds; default {@link QualityConfig#defaults()}. */
  public CheckQuality withConfig(QualityConfig config) {
    checkArgument(config != null, "config must not be null, got %s", config);
    return new CheckQuality(reference, config, clock, deadLetters);
  }

  /**
   * The clock of freshness; default the window's end, or in the global window the time of
   * evaluation.
   */
  public CheckQuality withClock(Instant clock) {
    return new CheckQuality(reference, config, clock, deadLetters);
  }

  /** Ingest's dead letters, so that refused records count against validity and completeness. */
  public CheckQuality withDeadLetters(PCollection<DeadLetter> deadLetters) {
    return new CheckQuality(reference, config, clock, deadLetters);
  }

  /** A profile or dead-letter counts: what is gathered per window. */
  record Part(DatasetProfile profile, DeadLetterCounts deadLetters) implements Serializable {}

  @Override
  public PCollection<QualityReport> expand(PCollectionList<DatasetProfile> profiles) {
    Coder<Part> partCoder = SerializableCoder.of(Part.class);
    PCollectionList<Part> parts = PCollectionList.empty(profiles.getPipeline());
    for (int i = 0; i < profiles.size(); i++) {
      parts =
          parts.and(
              profiles
                  .get(i)
                  .apply(
                      "AsPart" + i,
                      MapElements.into(TypeDescriptor.of(Part.class))
                          .via((DatasetProfile p) -> new Part(p, null)))
                  .setCoder(partCoder));
    }
    if (deadLetters != null) {
      parts =
          parts.and(
              deadLetters
                  .apply("CountDeadLetters", CountDeadLetters.create())
                  .apply(
                      "DeadLettersAsPart",
                      MapElements.into(TypeDescriptor.of(Part.class))
                          .via((DeadLetterCounts d) -> new Part(null, d)))
                  .setCoder(partCoder));
    }
    PCollection<Part> all = parts.apply("FlattenParts", Flatten.pCollections());
    Combine.Globally<Part, ArrayList<Part>> gather = Combine.globally(new GatherFn());
    boolean global = all.getWindowingStrategy().getWindowFn() instanceof GlobalWindows;
    return all.apply("GatherPerWindow", global ? gather : gather.withoutDefaults())
        .setCoder(SerializableCoder.of(new TypeDescriptor<ArrayList<Part>>() {}))
        .apply(
            "EvaluateGate",
            ParDo.of(
                new EvaluateFn(reference, config, clock == null ? null : clock.toEpochMilli())))
        .setCoder(QualityCoders.report());
  }

  /** Gathers the few parts of a window into one list. */
  static final class GatherFn extends Combine.CombineFn<Part, ArrayList<Part>, ArrayList<Part>> {
    @Override
    public ArrayList<Part> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public ArrayList<Part> addInput(ArrayList<Part> a, Part p) {
      a.add(p);
      return a;
    }

    @Override
    public ArrayList<Part> mergeAccumulators(Iterable<ArrayList<Part>> accumulators) {
      ArrayList<Part> out = new ArrayList<>();
      accumulators.forEach(out::addAll);
      return out;
    }

    @Override
    public ArrayList<Part> extractOutput(ArrayList<Part> a) {
      return a;
    }

    @Override
    public Coder<ArrayList<Part>> getAccumulatorCoder(
        CoderRegistry registry, Coder<Part> inputCoder) {
      return SerializableCoder.of(new TypeDescriptor<ArrayList<Part>>() {});
    }
  }

  static final class EvaluateFn extends DoFn<ArrayList<Part>, QualityReport> {
    private final List<DatasetProfile> reference;
    private final QualityConfig config;
    private final Long clockMillis;
    private final Counter checks = Metrics.counter(NAMESPACE, "checks");
    private final Counter breaches = Metrics.counter(NAMESPACE, "breaches");
    private final Counter reports = Metrics.counter(NAMESPACE, "reports");

    EvaluateFn(List<DatasetProfile> reference, QualityConfig config, Long clockMillis) {
      this.reference = reference;
      this.config = config;
      this.clockMillis = clockMillis;
    }

    @ProcessElement
    public void process(
        @Element ArrayList<Part> parts, BoundedWindow window, OutputReceiver<QualityReport> out) {
      List<DatasetProfile> profiles = new ArrayList<>();
      DeadLetterCounts dl = DeadLetterCounts.empty();
      for (Part p : parts) {
        if (p.profile() != null) {
          profiles.add(p.profile());
        } else {
          dl = p.deadLetters();
        }
      }
      profiles.sort(java.util.Comparator.comparing(DatasetProfile::recordType));
      Long start = null;
      Long end = null;
      long clock;
      if (window instanceof IntervalWindow) {
        start = ((IntervalWindow) window).start().getMillis();
        end = ((IntervalWindow) window).end().getMillis();
        clock = clockMillis != null ? clockMillis : end;
      } else {
        clock = clockMillis != null ? clockMillis : System.currentTimeMillis();
      }
      QualityReport r = QualityGate.evaluate(profiles, reference, dl, config, clock, start, end);
      checks.inc(r.checks().size());
      breaches.inc(r.breaches().size());
      reports.inc();
      out.output(r);
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(
            DisplayData.item(
                "referenceTypes",
                reference.stream().map(DatasetProfile::recordType).toList().toString()))
        .add(DisplayData.item("epsilon", config.epsilon()))
        .add(DisplayData.item("noiseAlpha", config.alpha()))
        .add(DisplayData.item("withDeadLetters", deadLetters != null))
        .addIfNotNull(DisplayData.item("clock", clock == null ? null : clock.toString()));
  }
}
