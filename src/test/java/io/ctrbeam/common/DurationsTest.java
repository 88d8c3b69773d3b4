package io.ctrbeam.common;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.joda.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void readsShortAndIsoForms() {
    assertThat(Durations.parse("500ms"), equalTo(Duration.millis(500)));
    assertThat(Durations.parse("30m"), equalTo(Duration.standardMinutes(30)));
    assertThat(Durations.parse("2h"), equalTo(Duration.standardHours(2)));
    assertThat(Durations.parse("7d"), equalTo(Duration.standardDays(7)));
    assertThat(Durations.parse("PT90S"), equalTo(Duration.standardSeconds(90)));
  }

  @Test
  void rejectsGarbageWithAClearMessage() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("two hours"));
    assertThat(e.getMessage(), containsString("two hours"));
  }
}
