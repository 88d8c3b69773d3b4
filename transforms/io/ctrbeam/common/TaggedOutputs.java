package io.ctrbeam.common;

import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;

/**
 * A transform's named outputs, kept in one {@link PCollectionTuple}: a subclass adds the typed
 * accessors ({@code examples()}, {@code deadLetters()}, ...) and nothing else.
 */
public abstract class TaggedOutputs implements POutput {
  private final PCollectionTuple outputs;

  protected TaggedOutputs(PCollectionTuple outputs) {
    this.outputs = outputs;
  }

  /** The output under {@code tag}. */
  protected final <T> PCollection<T> get(TupleTag<T> tag) {
    return outputs.get(tag);
  }

  @Override
  public final Pipeline getPipeline() {
    return outputs.getPipeline();
  }

  @Override
  public final Map<TupleTag<?>, PValue> expand() {
    return outputs.expand();
  }

  @Override
  public final void finishSpecifyingOutput(
      String transformName, PInput input, PTransform<?, ?> transform) {}
}
