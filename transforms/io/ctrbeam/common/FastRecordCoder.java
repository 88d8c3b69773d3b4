package io.ctrbeam.common;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.util.VarInt;

/**
 * A coder for flat Avro records (strings, ints, longs, doubles, timestamp-millis, string arrays,
 * each optionally nullable) that writes each field with a switch on a precomputed kind: a null
 * mask, then the present values. The profile put Avro's generic datum writer and reader (schema
 * walk, union resolution, logical-type conversion per field) at the top of every shuffle of
 * training rows; this does the same work without the walk. Up to 64 nullable fields.
 */
public final class FastRecordCoder<T extends SpecificRecordBase> extends CustomCoder<T> {
  private enum Kind { STRING, INT, LONG, DOUBLE, TIMESTAMP, STRINGS }

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
          throw new IllegalArgumentException("field " + f.name() + ": only [null, T] unions, got " + s);
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
    DataOutputStream out = new DataOutputStream(os);
    out.writeLong(mask);
    for (int i = 0; i < kinds.length; i++) {
      Object v = r.get(i);
      if (v == null) {
        if (!nullable[i]) {
          throw new CoderException(type.getSimpleName() + " field " + i + " is required but null");
        }
        continue;
      }
      switch (kinds[i]) {
        case STRING -> writeString(out, v.toString());
        case INT -> VarInt.encode((Integer) v, out);
        case LONG -> VarInt.encode((Long) v, out);
        case DOUBLE -> out.writeDouble((Double) v);
        case TIMESTAMP -> VarInt.encode(((Instant) v).toEpochMilli(), out);
        case STRINGS -> {
          List<?> l = (List<?>) v;
          VarInt.encode(l.size(), out);
          for (Object s : l) {
            writeString(out, s.toString());
          }
        }
      }
    }
    out.flush();
  }

  @Override
  public T decode(InputStream is) throws IOException {
    DataInputStream in = new DataInputStream(is);
    long mask = in.readLong();
    T r = newRecord();
    int bit = 0;
    for (int i = 0; i < kinds.length; i++) {
      if (nullable[i] && (mask & (1L << bit++)) != 0) {
        continue;
      }
      Object v;
      switch (kinds[i]) {
        case STRING -> v = readString(in);
        case INT -> v = VarInt.decodeInt(in);
        case LONG -> v = VarInt.decodeLong(in);
        case DOUBLE -> v = in.readDouble();
        case TIMESTAMP -> v = Instant.ofEpochMilli(VarInt.decodeLong(in));
        default -> {
          int n = VarInt.decodeInt(in);
          List<String> l = new ArrayList<>(n);
          for (int k = 0; k < n; k++) {
            l.add(readString(in));
          }
          v = l;
        }
      }
      r.put(i, v);
    }
    return r;
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    VarInt.encode(b.length, out);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] b = new byte[VarInt.decodeInt(in)];
    in.readFully(b);
    return new String(b, java.nio.charset.StandardCharsets.UTF_8);
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
