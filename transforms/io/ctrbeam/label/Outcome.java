package io.ctrbeam.label;

import io.ctrbeam.common.Provenance;
import io.ctrbeam.common.RecordJson;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * An outcome event (a click or a conversion) reduced to what the outcome join needs, plus what its
 * dead letters carry: the raw input as read (the JSON line, or the Avro payload) and its source
 * (file and line, or topic-partition and offset). Outcomes are ~2% of the volume.
 */
public final class Outcome {
  private final String outcomeId;
  private final String primaryId;
  private final long timeMs;
  private final String raw;
  private final byte[] rawBytes;
  private final String source;
  private final Long sourceOffset;

  public Outcome(String outcomeId, String primaryId, long timeMs, String raw) {
    this(outcomeId, primaryId, timeMs, raw, null, null, null);
  }

  public Outcome(
      String outcomeId,
      String primaryId,
      long timeMs,
      String raw,
      byte[] rawBytes,
      String source,
      Long sourceOffset) {
    this.outcomeId = outcomeId;
    this.primaryId = primaryId;
    this.timeMs = timeMs;
    this.raw = raw;
    this.rawBytes = rawBytes;
    this.source = source;
    this.sourceOffset = sourceOffset;
  }

  public static Outcome of(Click c) {
    byte[] bytes = Provenance.bytes(c.getRawBytes());
    return new Outcome(
        c.getClickId(),
        c.getImpressionId(),
        c.getEventTime().toEpochMilli(),
        rawText(c, c.getRaw(), bytes),
        bytes,
        c.getSource(),
        c.getSourceOffset());
  }

  public static Outcome of(Conversion c) {
    byte[] bytes = Provenance.bytes(c.getRawBytes());
    return new Outcome(
        c.getConversionId(),
        c.getImpressionId(),
        c.getEventTime().toEpochMilli(),
        rawText(c, c.getRaw(), bytes),
        bytes,
        c.getSource(),
        c.getSourceOffset());
  }

  /** The line as read; a record that was never read (built in memory) as a JSON line. */
  private static String rawText(SpecificRecord r, String raw, byte[] bytes) {
    return raw != null || bytes != null ? raw : RecordJson.toJson(r);
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

  /** The input JSON line as read, for dead letters (null for binary input). */
  public String raw() {
    return raw;
  }

  /** The binary input (an Avro payload) as read, or null. */
  public byte[] rawBytes() {
    return rawBytes;
  }

  /** The input file or topic-partition, or null when the outcome was not read from input. */
  public String source() {
    return source;
  }

  /** The 1-based line or record index, or the Kafka offset, or null. */
  public Long sourceOffset() {
    return sourceOffset;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Outcome x
        && timeMs == x.timeMs
        && outcomeId.equals(x.outcomeId)
        && primaryId.equals(x.primaryId)
        && Objects.equals(raw, x.raw)
        && Arrays.equals(rawBytes, x.rawBytes)
        && Objects.equals(source, x.source)
        && Objects.equals(sourceOffset, x.sourceOffset);
  }

  @Override
  public int hashCode() {
    return Objects.hash(outcomeId, primaryId, timeMs);
  }

  @Override
  public String toString() {
    return "Outcome{" + outcomeId + " -> " + primaryId + " @" + timeMs + "}";
  }

  /** A compact coder for {@link Outcome}: ids, time, a presence mask, then what is present. */
  public static final class OutcomeCoder extends CustomCoder<Outcome> {
    private static final OutcomeCoder INSTANCE = new OutcomeCoder();
    private static final StringUtf8Coder STR = StringUtf8Coder.of();
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final ByteArrayCoder BYTES = ByteArrayCoder.of();
    private static final int RAW = 1;
    private static final int RAW_BYTES = 2;
    private static final int SOURCE = 4;
    private static final int OFFSET = 8;

    public static OutcomeCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Outcome o, OutputStream out) throws IOException {
      STR.encode(o.outcomeId, out);
      STR.encode(o.primaryId, out);
      LONG.encode(o.timeMs, out);
      int mask =
          (o.raw != null ? RAW : 0)
              | (o.rawBytes != null ? RAW_BYTES : 0)
              | (o.source != null ? SOURCE : 0)
              | (o.sourceOffset != null ? OFFSET : 0);
      out.write(mask);
      if (o.raw != null) {
        STR.encode(o.raw, out);
      }
      if (o.rawBytes != null) {
        BYTES.encode(o.rawBytes, out);
      }
      if (o.source != null) {
        STR.encode(o.source, out);
      }
      if (o.sourceOffset != null) {
        LONG.encode(o.sourceOffset, out);
      }
    }

    @Override
    public Outcome decode(InputStream in) throws IOException {
      String id = STR.decode(in);
      String primary = STR.decode(in);
      long time = LONG.decode(in);
      int mask = in.read();
      if (mask < 0) {
        throw new java.io.EOFException("Outcome: no presence mask");
      }
      return new Outcome(
          id,
          primary,
          time,
          (mask & RAW) != 0 ? STR.decode(in) : null,
          (mask & RAW_BYTES) != 0 ? BYTES.decode(in) : null,
          (mask & SOURCE) != 0 ? STR.decode(in) : null,
          (mask & OFFSET) != 0 ? LONG.decode(in) : null);
    }

    @Override
    public void verifyDeterministic() {}
  }
}
