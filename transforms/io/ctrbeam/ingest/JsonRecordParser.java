package io.ctrbeam.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.common.Reason;
import java.io.IOException;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;

/**
 * The JSON-lines rules of ingest as plain Java: one line in, a typed record or the reason it was
 * refused. {@link ParseRecords} applies it per element; the plain-Java benchmark baseline calls it
 * directly, so both refuse the same lines.
 */
public final class JsonRecordParser<T extends SpecificRecord> {
  private final RecordKind<T> kind;
  private final long earliestMillis;
  private final long latestMillis;
  private final ObjectMapper mapper =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** Records of {@code kind}, with BAD_TIMESTAMP judged against {@code clock}. */
  public JsonRecordParser(RecordKind<T> kind, Instant clock) {
    this(
        kind,
        ParseRecords.EARLIEST_TIME.toEpochMilli(),
        clock.plus(ParseRecords.MAX_FUTURE).toEpochMilli());
  }

  JsonRecordParser(RecordKind<T> kind, long earliestMillis, long latestMillis) {
    this.kind = kind;
    this.earliestMillis = earliestMillis;
    this.latestMillis = latestMillis;
  }

  /** The record of a valid line, or null when any rule refuses it. */
  public T parseOrNull(String line) {
    try {
      return kind.build(fields(line));
    } catch (InvalidRecordException e) {
      return null;
    }
  }

  /** The fields of a JSON object line; PARSE_ERROR for anything else. */
  Fields fields(String line) throws InvalidRecordException {
    return fields(line, latestMillis);
  }

  /** The same, with BAD_TIMESTAMP judged against {@code latest} (a live clock's now + 1 h). */
  Fields fields(String line, long latest) throws InvalidRecordException {
    JsonNode node;
    try {
      node = mapper.readTree(line);
    } catch (IOException e) {
      throw new InvalidRecordException(Reason.PARSE_ERROR, "invalid JSON: " + firstLine(e));
    }
    if (node == null || !node.isObject()) {
      throw new InvalidRecordException(Reason.PARSE_ERROR, "not a JSON object");
    }
    return Fields.ofJson(node, earliestMillis, latest);
  }

  private static String firstLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
