package io.ctrbeam.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Reads a top-level epoch-millis field from a JSON value without building a tree. */
final class EventTimes {
  private static final JsonFactory JSON = new JsonFactory();

  private EventTimes() {}

  /**
   * The value of top-level {@code field} as epoch millis (an integer, or a string of digits), or
   * null when the value is not JSON, lacks the field, or holds no usable timestamp.
   */
  static @Nullable Long fromJson(byte @Nullable [] value, String field) {
    if (value == null) {
      return null;
    }
    try (JsonParser p = JSON.createParser(value)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String name = p.getCurrentName();
        JsonToken v = p.nextToken();
        if (field.equals(name)) {
          Long millis = null;
          if (v == JsonToken.VALUE_NUMBER_INT) {
            millis = p.getLongValue();
          } else if (v == JsonToken.VALUE_STRING && p.getText().matches("-?\\d{1,18}")) {
            millis = Long.parseLong(p.getText());
          }
          return millis != null && inBeamRange(millis) ? millis : null;
        }
        p.skipChildren();
      }
      return null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  static boolean inBeamRange(long millis) {
    return millis > BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis()
        && millis < BoundedWindow.TIMESTAMP_MAX_VALUE.getMillis();
  }
}
