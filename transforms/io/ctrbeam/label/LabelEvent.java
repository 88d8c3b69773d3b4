package io.ctrbeam.label;

import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.TrainingExample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;

/** One input of the outcome join: a primary row or an outcome, so both can share one key. */
public final class LabelEvent {
  private final TrainingExample primary;
  private final Outcome outcome;

  private LabelEvent(TrainingExample primary, Outcome outcome) {
    this.primary = primary;
    this.outcome = outcome;
  }

  public static LabelEvent primary(TrainingExample row) {
    return new LabelEvent(row, null);
  }

  public static LabelEvent outcome(Outcome o) {
    return new LabelEvent(null, o);
  }

  /** The primary row, or null for an outcome. */
  public TrainingExample primary() {
    return primary;
  }

  /** The outcome, or null for a primary. */
  public Outcome outcome() {
    return outcome;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelEvent e
        && Objects.equals(primary, e.primary)
        && Objects.equals(outcome, e.outcome);
  }

  @Override
  public int hashCode() {
    return Objects.hash(primary, outcome);
  }

  /** Coder: a tag byte, then the primary (Avro) or the outcome. */
  public static final class LabelEventCoder extends CustomCoder<LabelEvent> {
    private static final LabelEventCoder INSTANCE = new LabelEventCoder();
    private static final Coder<TrainingExample> ROW = TrainingRows.CODER;

    public static LabelEventCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(LabelEvent e, OutputStream out) throws IOException {
      if (e.primary != null) {
        out.write(0);
        ROW.encode(e.primary, out);
      } else {
        out.write(1);
        Outcome.OutcomeCoder.of().encode(e.outcome, out);
      }
    }

    @Override
    public LabelEvent decode(InputStream in) throws IOException {
      int tag = in.read();
      if (tag == 0) {
        return primary(ROW.decode(in));
      }
      if (tag == 1) {
        return outcome(Outcome.OutcomeCoder.of().decode(in));
      }
      throw new IOException("bad LabelEvent tag " + tag);
    }
  }
}
