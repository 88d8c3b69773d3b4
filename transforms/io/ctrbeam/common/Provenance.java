package io.ctrbeam.common;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * Where a parsed record came from: the trailing, non-contract fields of Impression ({@code source},
 * {@code source_offset}) and of Click and Conversion (also {@code raw}, the JSON line as read, or
 * {@code raw_bytes}, the Avro payload). ParseRecords sets them; dedup and labeling put them on
 * their dead letters. Impressions carry no raw text (they are ~98% of the volume) and leave dedup
 * without provenance. The §1 view of a schema ({@link #specSchema}) drops these fields: Avro files,
 * Kafka payloads, JSON renderings and quality profiles use it, and its fingerprint is that of the
 * §1 record.
 */
public final class Provenance {
  public static final String SOURCE = "source";
  public static final String SOURCE_OFFSET = "source_offset";
  public static final String RAW = "raw";
  public static final String RAW_BYTES = "raw_bytes";
  public static final Set<String> FIELDS = Set.of(SOURCE, SOURCE_OFFSET, RAW, RAW_BYTES);

  private static final Map<Schema, Schema> SPEC = new ConcurrentHashMap<>();

  private Provenance() {}

  /** The schema without its provenance fields (the schema itself when it has none). */
  public static Schema specSchema(Schema schema) {
    return SPEC.computeIfAbsent(schema, Provenance::withoutProvenance);
  }

  private static Schema withoutProvenance(Schema s) {
    if (s.getType() != Schema.Type.RECORD
        || s.getFields().stream().noneMatch(f -> FIELDS.contains(f.name()))) {
      return s;
    }
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : s.getFields()) {
      if (FIELDS.contains(f.name())) {
        continue;
      }
      if (f.pos() != fields.size()) {
        throw new IllegalArgumentException(s.getFullName() + ": provenance fields must come last");
      }
      fields.add(new Schema.Field(f, f.schema()));
    }
    Schema out =
        Schema.createRecord(s.getName(), s.getDoc(), s.getNamespace(), s.isError(), fields);
    s.getObjectProps().forEach(out::addProp);
    return out;
  }

  /** The provenance field positions of one schema (-1 where it has none). */
  public static final class Slots implements java.io.Serializable {
    private final int source;
    private final int offset;
    private final int raw;
    private final int rawBytes;

    private Slots(Schema s) {
      source = pos(s, SOURCE);
      offset = pos(s, SOURCE_OFFSET);
      raw = pos(s, RAW);
      rawBytes = pos(s, RAW_BYTES);
    }

    public static Slots of(Schema schema) {
      return new Slots(schema);
    }

    private static int pos(Schema s, String name) {
      Schema.Field f = s.getField(name);
      return f == null ? -1 : f.pos();
    }

    /** Sets what the schema has room for on a record the caller owns. */
    public void stamp(IndexedRecord r, String src, Long off, String text, ByteBuffer bytes) {
      put(r, source, src);
      put(r, offset, off);
      put(r, raw, text);
      put(r, rawBytes, bytes);
    }

    /** Clears every provenance field of a record the caller owns. */
    public void clear(IndexedRecord r) {
      stamp(r, null, null, null, null);
    }

    public boolean any() {
      return source >= 0 || offset >= 0 || raw >= 0 || rawBytes >= 0;
    }

    public String source(IndexedRecord r) {
      return source < 0 ? null : (String) r.get(source);
    }

    public Long offset(IndexedRecord r) {
      return offset < 0 ? null : (Long) r.get(offset);
    }

    public String raw(IndexedRecord r) {
      return raw < 0 ? null : (String) r.get(raw);
    }

    public byte[] rawBytes(IndexedRecord r) {
      return rawBytes < 0 ? null : bytes((ByteBuffer) r.get(rawBytes));
    }

    private static void put(IndexedRecord r, int pos, Object v) {
      if (pos >= 0) {
        r.put(pos, v);
      }
    }
  }

  /** A copy of a buffer's remaining bytes, or null. */
  public static byte[] bytes(ByteBuffer buffer) {
    if (buffer == null) {
      return null;
    }
    ByteBuffer b = buffer.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
