package io.ctrbeam.common;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkState;

import io.ctrbeam.schema.DeadLetter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.errorhandling.ErrorHandler;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where every step's dead letters go, modelled on Beam's {@link ErrorHandler}: each step registers
 * its failure output ({@link #register}); {@link #close} flattens them once ({@code
 * FlattenDeadLetters}) and writes them ({@code WriteDeadLetters}). Running the pipeline fails,
 * before the runner sees it, when the sink was never closed or when a collection of dead letters in
 * the graph reaches no step (a step whose failures were never registered).
 *
 * <pre>{@code
 * DeadLetterSink dl = DeadLetterSink.writingWith(p, WriteJsonLines.of(DeadLetter.class, out));
 * IngestResult<Click> clicks = dl.register(p.apply("ReadClicks", ReadLogs.clicks(pattern)));
 * dl.addErrorCollection(labels.deadLetters());
 * PCollection<DeadLetter> all = dl.close();
 * }</pre>
 *
 * <p>Beam's own {@code Pipeline.registerBadRecordErrorHandler} checks only handlers of {@code
 * BadRecord}; this sink keeps the typed {@link DeadLetter} and runs its check from {@link
 * PTransform#validate}, which {@code Pipeline.run} calls on every transform.
 */
public final class DeadLetterSink implements ErrorHandler<DeadLetter, PCollection<DeadLetter>> {
  // Graph-building state only: neither the sink nor its check is ever serialized to workers.
  private final transient Pipeline pipeline;
  private final transient @Nullable PTransform<? super PCollection<DeadLetter>, ?> write;
  private final transient List<PCollection<DeadLetter>> registered = new ArrayList<>();
  private transient @Nullable PCollection<DeadLetter> output;

  private DeadLetterSink(
      Pipeline pipeline, @Nullable PTransform<? super PCollection<DeadLetter>, ?> write) {
    this.pipeline = pipeline;
    this.write = write;
    // The check travels in the graph as the sink's own, empty, first input.
    registered.add(pipeline.apply("DeadLetterSink", new CheckedAtRun(this)));
  }

  /** A sink that writes the dead letters with {@code write} ({@code WriteDeadLetters}) on close. */
  public static DeadLetterSink writingWith(
      Pipeline p, PTransform<? super PCollection<DeadLetter>, ?> write) {
    return new DeadLetterSink(p, write);
  }

  /**
   * A sink that writes nothing: the dead letters are only counted, per type and reason, by the
   * steps that made them ({@link DeadLetters#counter}); {@link #getOutput} still has them all.
   */
  public static DeadLetterSink countedOnly(Pipeline p) {
    return new DeadLetterSink(p, null);
  }

  /** Registers a step's failure output. */
  @Override
  public void addErrorCollection(PCollection<DeadLetter> deadLetters) {
    checkState(
        output == null,
        "the dead-letter sink is closed; register before close(), got %s",
        deadLetters);
    registered.add(deadLetters);
  }

  /** Registers the dead letters of a step's result and hands the result back. */
  public <R extends HasDeadLetters> R register(R result) {
    addErrorCollection(result.deadLetters());
    return result;
  }

  /** Flattens what was registered, writes it, and returns it (for counts and checks). */
  @Override
  public void close() {
    checkState(output == null, "the dead-letter sink is closed already, got %s", output);
    output = PCollectionList.of(registered).apply("FlattenDeadLetters", Flatten.pCollections());
    if (write != null) {
      output.apply("WriteDeadLetters", write);
    }
  }

  /** {@link #close}, returning every dead letter. */
  public PCollection<DeadLetter> closeAndGet() {
    close();
    return getOutput();
  }

  @Override
  public boolean isClosed() {
    return output != null;
  }

  @Override
  public PCollection<DeadLetter> getOutput() {
    checkState(output != null, "the dead-letter sink has no output before close(), got %s", output);
    return output;
  }

  /** The output of a step that refuses records: its dead letters. */
  public interface HasDeadLetters {
    PCollection<DeadLetter> deadLetters();
  }

  /** Fails unless the sink is closed and every dead-letter collection in the graph is consumed. */
  void checkRunnable() {
    checkState(
        isClosed(),
        "a dead-letter sink was never closed: call close() before run(), got %s",
        registered.size() + " registered collections");
    Set<PValue> consumed = new HashSet<>();
    List<PCollection<?>> deadLetters = new ArrayList<>();
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            consumed.addAll(node.getInputs().values());
          }

          @Override
          public void visitValue(PValue value, TransformHierarchy.Node producer) {
            if (value instanceof PCollection<?> pc && holdsDeadLetters(pc)) {
              deadLetters.add(pc);
            }
          }
        });
    Set<String> lost = new TreeSet<>();
    for (PCollection<?> pc : deadLetters) {
      if (!consumed.contains(pc) && pc != output) {
        lost.add(pc.getName());
      }
    }
    checkState(
        lost.isEmpty(),
        "dead letters that no step consumes would be lost: register them with the sink, got %s",
        lost);
  }

  private static boolean holdsDeadLetters(PCollection<?> pc) {
    TypeDescriptor<?> type = pc.getTypeDescriptor();
    if (type != null && type.getRawType() == DeadLetter.class) {
      return true;
    }
    return coderType(pc) == DeadLetter.class;
  }

  private static @Nullable Class<?> coderType(PCollection<?> pc) {
    try {
      return pc.getCoder().getEncodedTypeDescriptor().getRawType();
    } catch (IllegalStateException e) {
      return null; // no coder yet: not a collection a step handed on
    }
  }

  /** The sink's empty first input; {@code Pipeline.run} validates it, and so the sink. */
  private static final class CheckedAtRun extends PTransform<PBegin, PCollection<DeadLetter>> {
    private final transient DeadLetterSink sink;

    CheckedAtRun(DeadLetterSink sink) {
      this.sink = sink;
    }

    @Override
    public PCollection<DeadLetter> expand(PBegin input) {
      return input.apply("None", Create.empty(AvroCoder.specific(DeadLetter.class)));
    }

    @Override
    public void validate(@Nullable PipelineOptions options) {
      if (sink != null) {
        sink.checkRunnable();
      }
    }
  }
}
