package io.ctrbeam.ingest;

import io.ctrbeam.common.Provenance;
import io.ctrbeam.common.RecordJson;
import io.ctrbeam.schema.DeadLetter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.transforms.DoFn;

/** Test data writers and DoFns that render outputs as comparable strings. */
final class IngestFixtures {
  /** The run clock of the tests: 2024-01-01T00:00:00Z. */
  static final java.time.Instant CLOCK = java.time.Instant.parse("2024-01-01T00:00:00Z");

  /** An event time 2 h before the clock. */
  static final long T0 = CLOCK.toEpochMilli() - 2 * 3600_000L;

  private IngestFixtures() {}

  static Path writeLines(Path file, String... lines) throws IOException {
    Files.write(file, String.join("\n", lines).concat("\n").getBytes(StandardCharsets.UTF_8));
    return file;
  }

  static Path writeAvro(Path file, Schema schema, List<GenericRecord> records) throws IOException {
    try (DataFileWriter<GenericRecord> w =
        new DataFileWriter<>(new SpecificDatumWriter<GenericRecord>(schema))) {
      w.create(schema, file.toFile());
      for (GenericRecord r : records) {
        w.append(r);
      }
    }
    return file;
  }

  static String impressionJson(String id, long eventTime, int position, String country) {
    return "{\"impression_id\":\""
        + id
        + "\",\"event_time\":"
        + eventTime
        + ",\"user_id\":\"u1\",\"ad_id\":\"a1\",\"position\":"
        + position
        + (country == null ? "" : ",\"country\":\"" + country + "\"")
        + "}";
  }

  /** {@code REASON|source|offset|raw|eventTime}; Avro raw bytes in base64. */
  static String describe(DeadLetter d) {
    String raw = d.getRaw() != null ? d.getRaw() : base64(d.getRawBytes());
    return d.getReason()
        + "|"
        + d.getSource()
        + "|"
        + d.getSourceOffset()
        + "|"
        + raw
        + "|"
        + (d.getEventTime() == null ? null : d.getEventTime().toEpochMilli());
  }

  static String base64(ByteBuffer b) {
    if (b == null) {
      return null;
    }
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return Base64.getEncoder().encodeToString(out);
  }

  static String base64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  /** Renders dead letters with {@link #describe}. */
  static final class DescribeFn extends DoFn<DeadLetter, String> {
    @ProcessElement
    public void process(@Element DeadLetter d, OutputReceiver<String> out) {
      out.output(describe(d));
    }
  }

  /** Renders a record as {@code json@elementTimestampMillis}. */
  static final class WithTimestampFn<T extends SpecificRecord> extends DoFn<T, String> {
    @ProcessElement
    public void process(
        @Element T r, @Timestamp org.joda.time.Instant ts, OutputReceiver<String> out) {
      out.output(RecordJson.toJson(r) + "@" + ts.getMillis());
    }
  }

  /** Renders a record's provenance as {@code source|offset|raw|rawBytesBase64}. */
  static final class ProvenanceFn<T extends SpecificRecord> extends DoFn<T, String> {
    @ProcessElement
    public void process(@Element T r, OutputReceiver<String> out) {
      Provenance.Slots slots = Provenance.Slots.of(r.getSchema());
      org.apache.avro.generic.IndexedRecord x = (org.apache.avro.generic.IndexedRecord) r;
      byte[] bytes = slots.rawBytes(x);
      out.output(
          slots.source(x)
              + "|"
              + slots.offset(x)
              + "|"
              + slots.raw(x)
              + "|"
              + (bytes == null ? null : base64(bytes)));
    }
  }

  /** An impression's id. */
  static final class IdFn extends DoFn<io.ctrbeam.schema.Impression, String> {
    @ProcessElement
    public void process(@Element io.ctrbeam.schema.Impression i, OutputReceiver<String> out) {
      out.output(i.getImpressionId());
    }
  }

  /** A dead letter's reason. */
  static final class ReasonFn extends DoFn<DeadLetter, String> {
    @ProcessElement
    public void process(@Element DeadLetter d, OutputReceiver<String> out) {
      out.output(String.valueOf(d.getReason()));
    }
  }
}
