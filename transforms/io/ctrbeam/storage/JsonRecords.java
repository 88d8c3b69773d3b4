package io.ctrbeam.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;

/**
 * Avro records (generated {@code SpecificRecord}s or {@code GenericRecord}s) as plain JSON objects:
 * the schema's field names (snake_case), timestamps as epoch-millis numbers, nulls as {@code null},
 * arrays as arrays, bytes as base64 strings. Unlike Avro's own JSON encoding, unions are not
 * wrapped, so a line reads like the input JSON lines of SPEC §1.
 */
public final class JsonRecords {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private JsonRecords() {}

  /** One record as a one-line JSON object. */
  public static String toJson(IndexedRecord record) {
    try {
      return MAPPER.writeValueAsString(toObjectNode(record));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + record.getSchema().getFullName(), e);
    }
  }

  /** One record as a Jackson tree, fields in schema order. */
  public static ObjectNode toObjectNode(IndexedRecord record) {
    ObjectNode node = NODES.objectNode();
    for (Schema.Field field : record.getSchema().getFields()) {
      node.set(field.name(), toNode(record.get(field.pos())));
    }
    return node;
  }

  private static JsonNode toNode(Object v) {
    if (v == null) {
      return NODES.nullNode();
    } else if (v instanceof CharSequence || v instanceof GenericEnumSymbol || v instanceof Enum) {
      return NODES.textNode(v.toString());
    } else if (v instanceof Instant) {
      return NODES.numberNode(((Instant) v).toEpochMilli());
    } else if (v instanceof LocalDate) {
      return NODES.numberNode(((LocalDate) v).toEpochDay());
    } else if (v instanceof Long) {
      return NODES.numberNode((Long) v);
    } else if (v instanceof Integer) {
      return NODES.numberNode((Integer) v);
    } else if (v instanceof Double) {
      return NODES.numberNode((Double) v);
    } else if (v instanceof Float) {
      return NODES.numberNode((Float) v);
    } else if (v instanceof Boolean) {
      return NODES.booleanNode((Boolean) v);
    } else if (v instanceof ByteBuffer) {
      ByteBuffer buf = ((ByteBuffer) v).duplicate();
      byte[] bytes = new byte[buf.remaining()];
      buf.get(bytes);
      return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
    } else if (v instanceof GenericFixed) {
      return NODES.textNode(Base64.getEncoder().encodeToString(((GenericFixed) v).bytes()));
    } else if (v instanceof IndexedRecord) {
      return toObjectNode((IndexedRecord) v);
    } else if (v instanceof Collection) {
      ArrayNode array = NODES.arrayNode();
      for (Object item : (Collection<?>) v) {
        array.add(toNode(item));
      }
      return array;
    } else if (v instanceof Map) {
      ObjectNode map = NODES.objectNode();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        map.set(e.getKey().toString(), toNode(e.getValue()));
      }
      return map;
    }
    throw new IllegalArgumentException("no JSON form for " + v.getClass().getName());
  }
}
