package io.ctrbeam.quality;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import io.ctrbeam.generate.GeneratedLogs;
import io.ctrbeam.generate.GeneratorConfig;
import io.ctrbeam.generate.LogGenerator;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.testing.DriftDays;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

/**
 * The generator's truth as the oracle: with its drift switch on from day 1, day 1 against a day-0
 * reference is flagged on the field the generator drifts (impression device mix) and on no other;
 * with drift off, nothing is flagged at the default thresholds over several seeds.
 */
class GeneratedDriftTest {
  private static GeneratorConfig config(long seed, boolean drift) {
    return DriftDays.config(drift).withSeed(seed).withThreads(1);
  }

  private static <T extends IndexedRecord> DatasetProfile profile(
      RecordFields f, List<T> records, DatasetProfile ref) {
    return new ProfileFn<T>(f, ref, 20, Long.MAX_VALUE).apply(records);
  }

  /** Record type and field of every failed drift check, day 1 against day 0. */
  private static Set<String> flagged(GeneratorConfig c) {
    GeneratedLogs logs = LogGenerator.generate(c);
    long day1 = c.startMillis() + Duration.ofDays(1).toMillis();
    Predicate<Impression> imp0 = i -> i.getEventTime().toEpochMilli() < day1;
    Predicate<Click> clk0 = k -> k.getEventTime().toEpochMilli() < day1;
    List<Impression> i0 = logs.impressions().stream().filter(imp0).toList();
    List<Impression> i1 = logs.impressions().stream().filter(imp0.negate()).toList();
    List<Click> c0 = logs.clicks().stream().filter(clk0).toList();
    List<Click> c1 = logs.clicks().stream().filter(clk0.negate()).toList();
    DatasetProfile refImp = profile(RecordFields.IMPRESSION, i0, null);
    DatasetProfile refClk = profile(RecordFields.CLICK, c0, null);
    QualityReport r =
        QualityGate.evaluate(
            List.of(
                profile(RecordFields.IMPRESSION, i1, refImp),
                profile(RecordFields.CLICK, c1, refClk)),
            List.of(refImp, refClk),
            DeadLetterCounts.empty(),
            QualityConfig.defaults(),
            day1 + Duration.ofDays(1).toMillis(),
            null,
            null);
    // Drift is checked on 7 impression fields (user_id, ad_id, position, advertiser_id,
    // ad_category, device, country) and 2 click fields.
    assertThat(r.checks().stream().filter(k -> k.metric().equals("psi")).count(), is(equalTo(9L)));
    return r.breaches().stream()
        .map(b -> b.recordType() + "." + b.field() + " " + b.metric())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void driftOnFlagsTheDeviceMixAndNothingElse() {
    for (long seed : new long[] {42, 7}) {
      assertThat(
          "seed " + seed, flagged(config(seed, true)), equalTo(Set.of("impression.device psi")));
    }
  }

  @Test
  void driftOffFlagsNothingOverSeveralSeeds() {
    for (long seed : new long[] {42, 7, 1, 2, 3}) {
      assertThat("seed " + seed, flagged(config(seed, false)), is(empty()));
    }
  }
}
