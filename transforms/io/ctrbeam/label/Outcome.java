package io.ctrbeam.label;

import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;

/** An outcome event (a click or a conversion) reduced to what the outcome join needs. */
public final class Outcome {
  private final String outcomeId;
  private final String primaryId;
  private final long timeMs;
  private final String raw;

  public Outcome(String outcomeId, String primaryId, long timeMs, String raw) {
    this.outcomeId = outcomeId;
    this.primaryId = primaryId;
    this.timeMs = timeMs;
    this.raw = raw;
  }

  public static Outcome of(Click c) {
    return new Outcome(c.getClickId(), c.getImpressionId(), c.getEventTime().toEpochMilli(), c.toString());
  }

  public static Outcome of(Conversion c) {
    return new Outcome(
        c.getConversionId(), c.getImpressionId(), c.getEventTime().toEpochMilli(), c.toString());
  }

  public String outcomeId() {
    return outcomeId;
  }

  /** The impression_id this outcome refers to. */
  public String primaryId() {
    return primaryId;
  }

  public long timeMs() {
    return timeMs;
  }

  /** The original record as JSON text, for dead letters. */
  public String raw() {
    return raw;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Outcome x
        && timeMs == x.timeMs
        && outcomeId.equals(x.outcomeId)
        && primaryId.equals(x.primaryId)
        && Objects.equals(raw, x.raw);
  }

  @Override
  public int hashCode() {
    return Objects.hash(outcomeId, primaryId, timeMs);
  }

  @Override
  public String toString() {
    return "Outcome{" + outcomeId + " -> " + primaryId + " @" + timeMs + "}";
  }

  /** A compact coder for {@link Outcome}. */
  public static final class OutcomeCoder extends CustomCoder<Outcome> {
    private static final OutcomeCoder INSTANCE = new OutcomeCoder();
    private static final StringUtf8Coder STR = StringUtf8Coder.of();
    private static final VarLongCoder LONG = VarLongCoder.of();

    public static OutcomeCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Outcome o, OutputStream out) throws IOException {
      STR.encode(o.outcomeId, out);
      STR.encode(o.primaryId, out);
      LONG.encode(o.timeMs, out);
      STR.encode(o.raw == null ? "" : o.raw, out);
    }

    @Override
    public Outcome decode(InputStream in) throws IOException {
      return new Outcome(STR.decode(in), STR.decode(in), LONG.decode(in), STR.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}
