package io.ctrbeam.label;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.lessThan;

import io.ctrbeam.generate.GeneratedLogs;
import io.ctrbeam.generate.GeneratorConfig;
import io.ctrbeam.generate.LogGenerator;
import io.ctrbeam.label.LabelState.PendingPrimary;
import io.ctrbeam.label.LabelState.Tombstone;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Impression;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

/**
 * The bytes the streaming labeler holds per in-flight impression in each mode, measured with the
 * state's own coders on generated impressions and clicks (values plus the id key; the state
 * backend's own overhead is not counted), and how long each is held.
 */
class LabelStateBytesTest {

  private static <T> double mean(Coder<T> coder, List<T> xs) throws Exception {
    long sum = 0;
    for (T x : xs) {
      sum += CoderUtils.encodeToByteArray(coder, x).length;
    }
    return (double) sum / xs.size();
  }

  private static LabelState.EntityKeys keys(Impression i) {
    return LabelState.EntityKeys.of(LabelRows.toRow(i, LabelMode.WAIT));
  }

  @Test
  void bytesHeldPerImpressionInEachMode() throws Exception {
    GeneratedLogs logs =
        LogGenerator.generate(
            GeneratorConfig.defaults().withImpressionsPerDay(5_000).withSeed(5).withThreads(1));
    List<Impression> imps = logs.impressions();
    List<Click> clicks = logs.clicks();
    double key =
        mean(StringUtf8Coder.of(), imps.stream().map(Impression::getImpressionId).toList());
    double held =
        mean(
            new LabelState.PendingPrimaryCoder(),
            imps.stream()
                .map(i -> new PendingPrimary(LabelRows.toRow(i, LabelMode.WAIT), false))
                .toList());
    double negTomb =
        mean(
            new LabelState.TombstoneCoder(),
            imps.stream().map(i -> new Tombstone(1L << 40, 1L << 40, 0, null, keys(i))).toList());
    Map<String, Impression> byId = new HashMap<>();
    imps.forEach(i -> byId.put(i.getImpressionId(), i));
    double posTomb =
        mean(
            new LabelState.TombstoneCoder(),
            clicks.stream()
                .filter(c -> byId.containsKey(c.getImpressionId()))
                .map(
                    c ->
                        new Tombstone(
                            1L << 40,
                            1L << 40,
                            1,
                            Outcome.of(c),
                            keys(byId.get(c.getImpressionId()))))
                .toList());
    double due = 1 + key + 6; // the time index: kind, id, due time (a varint of ~6 bytes)

    LabelRules wait = LabelImpressions.create().clickRules();
    LabelRules fake = LabelImpressions.create().withMode(LabelMode.FAKE_NEGATIVE).clickRules();
    long t = 0;
    double ctr = (double) clicks.size() / imps.size();
    // Byte-seconds per impression: the row until its release, then its tombstone (none in
    // FAKE_NEGATIVE).
    double waitHeld =
        (key + held + due) * (wait.releaseAt(t) - t) / 1000.0
            + (key + negTomb + due) * (wait.tombstoneUntil(t) - wait.releaseAt(t)) / 1000.0;
    double fakeHeld =
        (key + held + due) * (fake.releaseAt(t) - t) / 1000.0
            + ctr * (key + posTomb + due) * (fake.tombstoneUntil(t) - fake.releaseAt(t)) / 1000.0;
    System.out.printf(
        "LabelStateBytesTest: per impression: key %.0f B, held row %.0f B, negative tombstone %.0f B,"
            + " positive tombstone (with its click) %.0f B, index entry %.0f B%n"
            + "LabelStateBytesTest: WAIT holds %.0f B for T = 2 h, then %.0f B for W + lateness = 24.5 h:"
            + " %.2f MB-s per impression; FAKE_NEGATIVE holds %.0f B for W = 30 min and nothing after:"
            + " %.2f MB-s (%.1fx less)%n",
        key,
        held,
        negTomb,
        posTomb,
        due,
        key + held + due,
        key + negTomb + due,
        waitHeld / 1e6,
        key + held + due,
        fakeHeld / 1e6,
        waitHeld / fakeHeld);
    // A negative's tombstone is its entity keys (for the corrections' feature updates) and its
    // times: well under the row.
    double keys =
        mean(
                org.apache.beam.sdk.coders.NullableCoder.of(StringUtf8Coder.of()),
                imps.stream()
                    .flatMap(
                        i ->
                            java.util.stream.Stream.of(
                                i.getUserId(), i.getAdId(), i.getAdvertiserId(), i.getAdCategory()))
                    .toList())
            * 4;
    assertThat(negTomb, lessThan(keys + 20)); // two times of ~6 B, label, flag
    assertThat(negTomb, lessThan(held / 2));
    assertThat(fake.tombstoneUntil(t), lessThan(wait.releaseAt(t)));
    assertThat(fakeHeld, lessThan(waitHeld / 4));
  }
}
