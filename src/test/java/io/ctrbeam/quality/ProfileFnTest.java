package io.ctrbeam.quality;

import static io.ctrbeam.quality.QualityFixtures.impression;
import static io.ctrbeam.quality.QualityFixtures.profile;
import static io.ctrbeam.quality.QualityFixtures.profileInParts;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import io.ctrbeam.schema.Impression;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one-pass profile of a record type, on records whose figures are known by construction. */
class ProfileFnTest {
  private static List<Impression> tenImpressions() {
    List<Impression> out = new ArrayList<>();
    String[] devices = {
      "mobile", "mobile", "mobile", "mobile", "mobile", "desktop", "desktop", "desktop", "tablet",
      null
    };
    for (int i = 0; i < 10; i++) {
      out.add(impression(i, devices[i], i == 3 ? "usa" : (i < 8 ? "US" : null), i + 1));
    }
    return out;
  }

  @Test
  void countsNullsInvalidsAndTopCategoriesExactly() {
    DatasetProfile p = profile(tenImpressions(), null);
    assertThat(p.records(), equalTo(10L));
    assertThat(p.latestEventTime(), equalTo(QualityFixtures.T0 + 9000));
    FieldProfile device = p.field("device");
    assertThat(device.nulls(), equalTo(1L));
    assertThat(device.kind(), equalTo(FieldKind.CATEGORICAL));
    assertThat(device.top().get(0), equalTo(new FieldProfile.CategoryCount("mobile", 5)));
    assertThat(device.bins().categories(), contains("mobile", "desktop", "tablet"));
    assertThat(device.bins().counts(), equalTo(new long[] {5, 3, 1, 0, 1}));
    assertThat(device.bins().exact(), is(true));
    FieldProfile country = p.field("country");
    assertThat(country.invalid(), equalTo(1L));
    assertThat(country.invalidByReason().get("BAD_COUNTRY"), equalTo(1L));
    assertThat(p.field("advertiser_id").nulls(), equalTo(10L));
    assertThat(p.field("user_id").distinct(), closeTo(7, 0.01));
  }

  @Test
  void numericBinsAreTheDecilesAndCountTheData() {
    FieldProfile position = profile(tenImpressions(), null).field("position");
    // Positions 1..10: the deciles at ranks 0.1..0.9 are 1..9.
    assertThat(position.bins().edges(), equalTo(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9}));
    // (<1), [1,2), …, [8,9), (>=9: 9 and 10), null.
    assertThat(position.bins().counts(), equalTo(new long[] {0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0}));
    assertThat(position.min(), equalTo(1.0));
    assertThat(position.max(), equalTo(10.0));
    assertThat(position.mean(), equalTo(5.5));
  }

  @Test
  void aSingleValuedFieldHasOneEdge() {
    List<Impression> same = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      same.add(impression(i, "mobile", "US", 7));
    }
    FieldProfile position = profile(same, null).field("position");
    assertThat(position.bins().edges(), equalTo(new double[] {7}));
    assertThat(position.bins().counts(), equalTo(new long[] {0, 5, 0}));
  }

  @Test
  void tiesLeaveFewEdgesSoTheMaximumIsOne() {
    // Nine 0s and one 1, like "clicked": every decile is 0, so the edge 1 is added.
    List<Impression> r = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      r.add(impression(i, "mobile", "US", i == 0 ? 2 : 1));
    }
    FieldProfile position = profile(r, null).field("position");
    assertThat(position.bins().edges(), equalTo(new double[] {1, 2}));
    assertThat(position.bins().counts(), equalTo(new long[] {0, 9, 1, 0}));
  }

  @Test
  void countsOnTheReferenceBinsPutUnseenCategoriesInOther() {
    DatasetProfile ref = profile(tenImpressions(), null);
    List<Impression> now = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      now.add(impression(i, i < 2 ? "tv" : "mobile", null, 20));
    }
    DatasetProfile p = profile(now, ref);
    // mobile, desktop, tablet, other (tv), null.
    assertThat(p.field("device").onReference().counts(), equalTo(new long[] {2, 0, 0, 2, 0}));
    // An all-null field lands in the null bin; a value above every edge in the last value bin.
    assertThat(p.field("country").onReference().counts(), equalTo(new long[] {0, 0, 0, 4}));
    assertThat(
        p.field("position").onReference().counts(),
        equalTo(new long[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0}));
    assertThat(p.field("impression_id").onReference(), nullValue());
  }

  @Test
  void mergedPartsThroughTheCoderEqualOnePass() {
    List<Impression> r = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      r.add(impression(i, i % 3 == 0 ? "desktop" : "mobile", "US", 1 + i % 10));
    }
    DatasetProfile ref = profile(r.subList(0, 1000), null);
    DatasetProfile one = profile(r, ref);
    DatasetProfile parts = profileInParts(r, ref, 4);
    for (String f : new String[] {"device", "position", "country"}) {
      assertThat(
          f, parts.field(f).onReference().counts(), equalTo(one.field(f).onReference().counts()));
      assertThat(f, parts.field(f).nulls(), equalTo(one.field(f).nulls()));
    }
    assertThat(parts.field("impression_id").distinct(), closeTo(3000, 3000 * 0.05));
    assertThat(parts.field("position").quantiles().get("p50"), closeTo(5, 1));
  }

  @Test
  void anEmptyInputHasAProfileToo() {
    // Combine.globally computes this default for an empty PCollection.
    DatasetProfile p = profile(List.of(), null);
    assertThat(p.records(), equalTo(0L));
    assertThat(p.latestEventTime(), nullValue());
    assertThat(p.field("device").distinct(), nullValue());
    assertThat(p.field("position").bins().counts(), equalTo(new long[] {0, 0}));
  }
}
