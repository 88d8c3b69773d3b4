package io.ctrbeam.storage;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.IndexedRecord;

/**
 * Copies an Avro record into a {@link GenericRecord} of the same schema whose logical-type values
 * are their underlying primitives ({@code timestamp-millis} as epoch-millis {@code long}, {@code
 * date} as epoch-day {@code int}). Such a record is written by the plain {@link GenericData} model
 * (Parquet, Avro files) with no conversions registered, and keeps the logical type in the schema.
 */
public final class PlainRecords {
  private PlainRecords() {}

  /** The plain generic copy of {@code record}. */
  public static GenericRecord toGeneric(IndexedRecord record) {
    Schema schema = record.getSchema();
    GenericData.Record out = new GenericData.Record(schema);
    for (Schema.Field field : schema.getFields()) {
      out.put(field.pos(), plain(record.get(field.pos())));
    }
    return out;
  }

  private static Object plain(Object v) {
    if (v instanceof Instant) {
      return ((Instant) v).toEpochMilli();
    } else if (v instanceof LocalDate) {
      return (int) ((LocalDate) v).toEpochDay();
    } else if (v instanceof IndexedRecord) {
      return toGeneric((IndexedRecord) v);
    } else if (v instanceof Collection) {
      List<Object> list = new ArrayList<>();
      for (Object item : (Collection<?>) v) {
        list.add(plain(item));
      }
      return list;
    } else if (v instanceof Map) {
      Map<Object, Object> map = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        map.put(e.getKey(), plain(e.getValue()));
      }
      return map;
    }
    return v;
  }
}
