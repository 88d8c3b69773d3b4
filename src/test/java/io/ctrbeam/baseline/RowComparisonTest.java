package io.ctrbeam.baseline;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.label.LabelMode;
import io.ctrbeam.label.LabelRows;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.storage.PlainRecords;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RowComparisonTest {
  private static TrainingExample row(String id) {
    Impression i =
        Impression.newBuilder()
            .setImpressionId(id)
            .setEventTime(Instant.ofEpochMilli(1_750_000_000_000L))
            .setUserId("u")
            .setAdId("a")
            .setPosition(2)
            .build();
    TrainingExample r = LabelRows.toRow(i, LabelMode.WAIT);
    r.setUserDecayedCtr(0.125);
    return r;
  }

  @Test
  void sameRowsAsGenericRecordsAgreeInAnyOrder() {
    List<TrainingExample> want = List.of(row("a"), row("b"));
    RowComparison c =
        RowComparison.of(
            want, List.of(PlainRecords.toGeneric(row("b")), PlainRecords.toGeneric(row("a"))));
    assertThat(c.correct(), equalTo(true));
    assertThat(c.actualChecksum, equalTo(c.expectedChecksum));
  }

  @Test
  void aDoubleOffBeyondOneInABillionIsNamed() {
    TrainingExample off = TrainingRows.copy(row("b"));
    off.setUserDecayedCtr(0.125 * (1 + 1e-7));
    TrainingExample close = TrainingRows.copy(row("a"));
    close.setUserDecayedCtr(0.125 * (1 + 1e-12));
    RowComparison c = RowComparison.of(List.of(row("a"), row("b")), List.of(close, off));
    assertThat(c.correct(), equalTo(false));
    assertThat(c.mismatchedRows, equalTo(1L));
    assertThat(c.examples, contains(containsString("b|0|WAIT: user_decayed_ctr")));
  }

  @Test
  void missingAndExtraRowsAreCounted() {
    RowComparison c = RowComparison.of(List.of(row("a"), row("b")), List.of(row("a"), row("c")));
    assertThat(c.mismatchedRows, equalTo(2L));
    assertThat(c.examples, hasItem(containsString("missing row b")));
    assertThat(c.examples, hasItem(containsString("unexpected row c")));
    assertThat(c.examples, not(hasItem(containsString("row a"))));
  }
}
