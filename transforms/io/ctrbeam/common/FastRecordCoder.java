package io.ctrbeam.common;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.util.VarInt;

/**
 * A coder for flat Avro records (strings, ints, longs, doubles, timestamp-millis, string arrays,
 * bytes, each optionally nullable) that writes each field with a switch on a precomputed kind: a
 * null mask, then the present values, built in a buffer and written in one call. The profile put
 * Avro's generic datum writer and reader (schema walk, union resolution, logical-type conversion
 * per field) at the top of every shuffle of training rows; this does the same work without the
 * walk. Up to 64 nullable fields.
 */
public final class FastRecordCoder<T extends SpecificRecordBase> extends CustomCoder<T> {
  private enum Kind {
    STRING,
    INT,
    LONG,
    DOUBLE,
    TIMESTAMP,
    STRINGS,
    BYTES
  }

  private final Class<T> type;
  private transient Constructor<T> constructor;
  private final Kind[] kinds;
  private final boolean[] nullable;

  private FastRecordCoder(Class<T> type, Schema schema) {
    this.type = type;
    List<Schema.Field> fields = schema.getFields();
    kinds = new Kind[fields.size()];
    nullable = new boolean[fields.size()];
    int nullables = 0;
    for (Schema.Field f : fields) {
      Schema s = f.schema();
      if (s.getType() == Schema.Type.UNION) {
        if (s.getTypes().size() != 2 || s.getTypes().get(0).getType() != Schema.Type.NULL) {
          throw new IllegalArgumentException(
              "field " + f.name() + ": only [null, T] unions, got " + s);
        }
        s = s.getTypes().get(1);
        nullable[f.pos()] = true;
        nullables++;
      }
      kinds[f.pos()] = kind(f.name(), s);
    }
    if (nullables > 64) {
      throw new IllegalArgumentException("at most 64 nullable fields, got " + nullables);
    }
  }

  /** The coder of a generated record class. */
  public static <T extends SpecificRecordBase> FastRecordCoder<T> of(Class<T> type) {
    return new FastRecordCoder<>(type, newInstance(type).getSchema());
  }

  /** This coder where the record's fields allow it, else Avro's own. */
  public static <T extends SpecificRecordBase> org.apache.beam.sdk.coders.Coder<T> orAvro(
      Class<T> type) {
    try {
      return of(type);
    } catch (IllegalArgumentException e) {
      return org.apache.beam.sdk.extensions.avro.coders.AvroCoder.specific(type);
    }
  }

  /**
   * {@link #orAvro} for a generated class, Avro's coder for any other record class: the coder of
   * records that steps pass on by class alone.
   */
  @SuppressWarnings("unchecked")
  public static <T> org.apache.beam.sdk.coders.Coder<T> forRecords(Class<T> type) {
    return SpecificRecordBase.class.isAssignableFrom(type)
        ? (org.apache.beam.sdk.coders.Coder<T>) orAvro((Class<? extends SpecificRecordBase>) type)
        : org.apache.beam.sdk.extensions.avro.coders.AvroCoder.specific(type);
  }

  private static Kind kind(String name, Schema s) {
    if (s.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
      return Kind.TIMESTAMP;
    }
    switch (s.getType()) {
      case STRING:
        return Kind.STRING;
      case INT:
        return Kind.INT;
      case LONG:
        return Kind.LONG;
      case DOUBLE:
        return Kind.DOUBLE;
      case BYTES:
        return Kind.BYTES;
      case ARRAY:
        if (s.getElementType().getType() == Schema.Type.STRING) {
          return Kind.STRINGS;
        }
        break;
      default:
        break;
    }
    throw new IllegalArgumentException("field " + name + ": unsupported type " + s);
  }

  @Override
  public void encode(T r, OutputStream os) throws IOException {
    Bytes out = BUFFER.get();
    out.size = 0;
    long mask = 0;
    int bit = 0;
    for (int i = 0; i < kinds.length; i++) {
      if (nullable[i]) {
        if (r.get(i) == null) {
          mask |= 1L << bit;
        }
        bit++;
      }
    }
    out.writeVarLong(mask);
    for (int i = 0; i < kinds.length; i++) {
      Object v = r.get(i);
      if (v == null) {
        if (!nullable[i]) {
          throw new CoderException(type.getSimpleName() + " field " + i + " is required but null");
        }
        continue;
      }
      switch (kinds[i]) {
        case STRING -> out.writeString(v.toString());
        case INT -> out.writeVarLong((Integer) v);
        case LONG -> out.writeVarLong((Long) v);
        case DOUBLE -> out.writeLong(Double.doubleToRawLongBits((Double) v));
        case TIMESTAMP -> out.writeVarLong(((Instant) v).toEpochMilli());
        case STRINGS -> {
          List<?> l = (List<?>) v;
          out.writeVarLong(l.size());
          for (Object s : l) {
            out.writeString(s.toString());
          }
        }
        case BYTES -> out.writeBytes(((ByteBuffer) v).duplicate());
      }
    }
    // One bulk write: runners' output views pay per call, and a record is ~50 small fields.
    VarInt.encode(out.size, os);
    os.write(out.buf, 0, out.size);
  }

  @Override
  public T decode(InputStream is) throws IOException {
    byte[] b = new byte[VarInt.decodeInt(is)];
    new DataInputStream(is).readFully(b);
    Reader in = new Reader(b);
    long mask = in.readVarLong();
    T r = newRecord();
    int bit = 0;
    for (int i = 0; i < kinds.length; i++) {
      if (nullable[i] && (mask & (1L << bit++)) != 0) {
        continue;
      }
      Object v;
      switch (kinds[i]) {
        case STRING -> v = in.readString();
        case INT -> v = (int) in.readVarLong();
        case LONG -> v = in.readVarLong();
        case DOUBLE -> v = Double.longBitsToDouble(in.readLong());
        case TIMESTAMP -> v = Instant.ofEpochMilli(in.readVarLong());
        case BYTES -> v = ByteBuffer.wrap(in.readBytes());
        default -> {
          int n = (int) in.readVarLong();
          List<String> l = new ArrayList<>(n);
          for (int k = 0; k < n; k++) {
            l.add(in.readString());
          }
          v = l;
        }
      }
      r.put(i, v);
    }
    return r;
  }

  private static final ThreadLocal<Bytes> BUFFER = ThreadLocal.withInitial(Bytes::new);

  /** A growable byte buffer; zig-zag varints so negative values stay short. */
  private static final class Bytes {
    byte[] buf = new byte[512];
    int size;

    private void ensure(int n) {
      if (size + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
      }
    }

    void writeVarLong(long v) {
      ensure(10);
      long z = (v << 1) ^ (v >> 63);
      while ((z & ~0x7FL) != 0) {
        buf[size++] = (byte) ((z & 0x7F) | 0x80);
        z >>>= 7;
      }
      buf[size++] = (byte) z;
    }

    void writeLong(long v) {
      ensure(8);
      for (int k = 56; k >= 0; k -= 8) {
        buf[size++] = (byte) (v >>> k);
      }
    }

    void writeString(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      writeVarLong(b.length);
      ensure(b.length);
      System.arraycopy(b, 0, buf, size, b.length);
      size += b.length;
    }

    /** The buffer's remaining bytes; moves its position (pass a duplicate). */
    void writeBytes(ByteBuffer b) {
      int n = b.remaining();
      writeVarLong(n);
      ensure(n);
      b.get(buf, size, n);
      size += n;
    }
  }

  private static final class Reader {
    private final byte[] b;
    private int pos;

    Reader(byte[] b) {
      this.b = b;
    }

    long readVarLong() {
      long z = 0;
      int shift = 0;
      byte x;
      do {
        x = b[pos++];
        z |= (long) (x & 0x7F) << shift;
        shift += 7;
      } while (x < 0);
      return (z >>> 1) ^ -(z & 1);
    }

    long readLong() {
      long v = 0;
      for (int k = 0; k < 8; k++) {
        v = (v << 8) | (b[pos++] & 0xFF);
      }
      return v;
    }

    String readString() {
      int n = (int) readVarLong();
      String s = new String(b, pos, n, StandardCharsets.UTF_8);
      pos += n;
      return s;
    }

    byte[] readBytes() {
      int n = (int) readVarLong();
      byte[] out = Arrays.copyOfRange(b, pos, pos + n);
      pos += n;
      return out;
    }
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }

  private T newRecord() throws CoderException {
    try {
      if (constructor == null) {
        constructor = type.getDeclaredConstructor();
      }
      return constructor.newInstance();
    } catch (ReflectiveOperationException e) {
      throw new CoderException("cannot create " + type + ": " + e);
    }
  }

  private static <T> T newInstance(Class<T> type) {
    try {
      return type.getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException("cannot create " + type, e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FastRecordCoder<?> c && c.type.equals(type);
  }

  @Override
  public int hashCode() {
    return type.hashCode();
  }
}
