package io.ctrbeam.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EventTimesTest {
  private static Long read(String json) {
    return EventTimes.fromJson(json.getBytes(StandardCharsets.UTF_8), "event_time");
  }

  @Test
  void readsTopLevelMillisOnly() {
    assertThat(
        read(
            "{\"a\":{\"event_time\":1},\"b\":[1,{\"event_time\":2}],\"event_time\":1709596800000}"),
        equalTo(1_709_596_800_000L));
    assertThat(read("{\"event_time\":\"1709596800000\"}"), equalTo(1_709_596_800_000L));
  }

  @Test
  void unreadableGivesNull() {
    assertThat(read("{\"event_time\":\"yesterday\"}"), nullValue());
    assertThat(read("{\"event_time\":1.5}"), nullValue());
    assertThat(read("{\"other\":1}"), nullValue());
    assertThat(read("[1,2]"), nullValue());
    assertThat(read("{\"event_time\":99999999999999999}"), nullValue());
    assertThat(read("{broken"), nullValue());
    assertThat(EventTimes.fromJson(null, "event_time"), nullValue());
  }
}
