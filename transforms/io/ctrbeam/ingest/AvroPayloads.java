package io.ctrbeam.ingest;

import io.ctrbeam.common.Provenance;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * How Avro records travel in {@code RawRecord.bytes}: the Avro single-object encoding (bytes {@code
 * C3 01}, the writer schema's 8-byte little-endian CRC-64-AVRO fingerprint, then the record's
 * binary encoding in that writer schema). A decoder knows a set of writer schemas by fingerprint.
 * Payloads without the {@code C3 01} marker are read as plain Avro binary in the decoder's default
 * schema (Kafka producers that write bare binary).
 */
public final class AvroPayloads {
  private static final byte MARKER_0 = (byte) 0xC3;
  private static final byte MARKER_1 = (byte) 0x01;
  private static final int HEADER = 10;

  private final Map<Long, Schema> schemasByFingerprint = new HashMap<>();
  private final Schema defaultSchema;

  AvroPayloads(Schema defaultSchema, Iterable<Schema> writerSchemas) {
    this.defaultSchema = defaultSchema;
    schemasByFingerprint.put(fingerprint(defaultSchema), defaultSchema);
    for (Schema s : writerSchemas) {
      schemasByFingerprint.put(fingerprint(s), s);
    }
  }

  /** The CRC-64-AVRO fingerprint of a schema's parsing canonical form. */
  public static long fingerprint(Schema schema) {
    return SchemaNormalization.parsingFingerprint64(schema);
  }

  /**
   * The single-object encoding of a record in its own schema (generic or generated class), as
   * {@link ReadRawRecords} emits it and a Kafka producer may send it.
   */
  public static byte[] encode(GenericRecord record) throws IOException {
    // The §1 view: a parsed record's provenance fields are not part of its payload.
    Schema schema = Provenance.specSchema(record.getSchema());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long fp = fingerprint(schema);
    out.write(MARKER_0);
    out.write(MARKER_1);
    for (int i = 0; i < 8; i++) {
      out.write((int) (fp >>> (8 * i)) & 0xFF);
    }
    BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
    DatumWriter<GenericRecord> writer =
        record instanceof SpecificRecord
            ? new SpecificDatumWriter<>(schema)
            : new GenericDatumWriter<>(schema);
    writer.write(record, enc);
    enc.flush();
    return out.toByteArray();
  }

  /** Decodes a payload in its writer schema; throws IOException when it cannot. */
  GenericRecord decode(byte[] bytes) throws IOException {
    Schema schema = defaultSchema;
    int start = 0;
    if (bytes.length >= HEADER && bytes[0] == MARKER_0 && bytes[1] == MARKER_1) {
      long fp = 0;
      for (int i = 0; i < 8; i++) {
        fp |= (bytes[2 + i] & 0xFFL) << (8 * i);
      }
      schema = schemasByFingerprint.get(fp);
      if (schema == null) {
        throw new IOException(
            "unknown Avro writer schema fingerprint "
                + Long.toHexString(fp)
                + " (register it with ParseRecords.withWriterSchemas)");
      }
      start = HEADER;
    }
    BinaryDecoder dec =
        DecoderFactory.get().binaryDecoder(Arrays.copyOfRange(bytes, start, bytes.length), null);
    GenericRecord record;
    try {
      record = new GenericDatumReader<GenericRecord>(schema).read(null, dec);
    } catch (RuntimeException e) {
      throw new IOException("not an Avro " + schema.getName() + " payload: " + e, e);
    }
    if (!dec.isEnd()) {
      throw new IOException("trailing bytes after an Avro " + schema.getName() + " record");
    }
    return record;
  }
}
