package io.ctrbeam.ingest;

import io.ctrbeam.common.Provenance;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Collection;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

/**
 * Renders a SPEC record as a JSON line in input form: snake_case, times as epoch millis, its SPEC
 * fields only (no {@link Provenance} fields).
 */
public final class RecordJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private RecordJson() {}

  public static String toJson(SpecificRecord record) {
    ObjectNode node = MAPPER.createObjectNode();
    for (Schema.Field f : Provenance.specSchema(record.getSchema()).getFields()) {
      Object v = record.get(f.pos());
      if (v == null) {
        node.putNull(f.name());
      } else if (v instanceof Instant) {
        node.put(f.name(), ((Instant) v).toEpochMilli());
      } else if (v instanceof Integer || v instanceof Long) {
        node.put(f.name(), ((Number) v).longValue());
      } else if (v instanceof Number) {
        node.put(f.name(), ((Number) v).doubleValue());
      } else if (v instanceof Collection) {
        ArrayNode array = node.putArray(f.name());
        ((Collection<?>) v).forEach(item -> array.add(String.valueOf(item)));
      } else {
        node.put(f.name(), v.toString());
      }
    }
    return node.toString();
  }
}
