package io.ctrbeam.label;

import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.TrainingExample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/** The per-id values a bucket of {@link StatefulLabelFn} keeps, with their coders. */
final class LabelState {
  private LabelState() {}

  /** A primary still held to build its positive; negEmitted once its negative row went out. */
  static final class Held {
    final TrainingExample row;
    final boolean negEmitted;

    Held(TrainingExample row, boolean negEmitted) {
      this.row = row;
      this.negEmitted = negEmitted;
    }
  }

  /** What is left of a released primary: its times and the label last emitted. */
  static final class Tomb {
    final long primaryTime;
    final long impressionTime;
    final int label;

    Tomb(long primaryTime, long impressionTime, int label) {
      this.primaryTime = primaryTime;
      this.impressionTime = impressionTime;
      this.label = label;
    }
  }

  static final class HeldCoder extends CustomCoder<Held> {
    private static final Coder<TrainingExample> ROW = TrainingRows.CODER;

    @Override
    public void encode(Held h, OutputStream out) throws IOException {
      BooleanCoder.of().encode(h.negEmitted, out);
      ROW.encode(h.row, out);
    }

    @Override
    public Held decode(InputStream in) throws IOException {
      boolean neg = BooleanCoder.of().decode(in);
      return new Held(ROW.decode(in), neg);
    }
  }

  static final class TombCoder extends CustomCoder<Tomb> {
    @Override
    public void encode(Tomb t, OutputStream out) throws IOException {
      VarLongCoder.of().encode(t.primaryTime, out);
      VarLongCoder.of().encode(t.impressionTime, out);
      VarIntCoder.of().encode(t.label, out);
    }

    @Override
    public Tomb decode(InputStream in) throws IOException {
      return new Tomb(
          VarLongCoder.of().decode(in), VarLongCoder.of().decode(in), VarIntCoder.of().decode(in));
    }
  }
}
