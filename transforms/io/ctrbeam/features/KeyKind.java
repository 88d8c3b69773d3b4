package io.ctrbeam.features;

import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;

/** The key kinds of contract §3 and the TrainingExample fields each one fills. */
public enum KeyKind {
  USER("user"),
  AD("ad"),
  ADVERTISER("advertiser"),
  USER_CATEGORY("user_category");

  /** The name used as key_kind in snapshots and as field prefix in training examples. */
  public final String label;

  /** The TrainingExample schema positions of this kind's six fields. */
  private final int[] positions;

  KeyKind(String label) {
    this.label = label;
    this.positions = new int[Suffixes.ALL.length];
    for (int i = 0; i < positions.length; i++) {
      positions[i] = TrainingExample.getClassSchema().getField(label + Suffixes.ALL[i]).pos();
    }
  }

  /** The schema positions of this kind's six fields, in {@link FeatureValues} order. */
  public int[] fieldPositions() {
    return positions.clone();
  }

  /** The key of this kind for an impression, or null when a part of it is null. */
  public String keyOf(Impression i) {
    return key(i.getUserId(), i.getAdId(), i.getAdvertiserId(), i.getAdCategory());
  }

  /** The key of this kind for a training example, or null when a part of it is null. */
  public String keyOf(TrainingExample e) {
    return key(e.getUserId(), e.getAdId(), e.getAdvertiserId(), e.getAdCategory());
  }

  /** The key of this kind for a row's keys, or null when a part of it is null. */
  String keyOf(RowKey k) {
    return key(k.user, k.ad, k.advertiser, k.category);
  }

  /** The key of this kind from a row's entity keys, or null when a part of it is null. */
  public String keyOf(String user, String ad, String advertiser, String category) {
    return key(user, ad, advertiser, category);
  }

  private String key(String user, String ad, String advertiser, String category) {
    switch (this) {
      case USER:
        return user;
      case AD:
        return ad;
      case ADVERTISER:
        return advertiser;
      default:
        return user == null || category == null ? null : user + "|" + category;
    }
  }

  /** Writes the six features of this kind onto a (copied) example; null values clear them. */
  void fill(TrainingExample e, FeatureValues v) {
    int[] at = positions;
    e.put(at[0], v == null ? null : v.impressions24h);
    e.put(at[1], v == null ? null : v.clicks24h);
    e.put(at[2], v == null ? null : v.ctr24h);
    e.put(at[3], v == null ? null : v.decayedImpressions);
    e.put(at[4], v == null ? null : v.decayedClicks);
    e.put(at[5], v == null ? null : v.decayedCtr);
  }

  /**
   * The six feature-field suffixes, in {@link FeatureValues} order; a holder, as an enum
   * constructor cannot read its own statics.
   */
  private static final class Suffixes {
    static final String[] ALL = {
      "_impressions_24h", "_clicks_24h", "_ctr_24h",
      "_decayed_impressions", "_decayed_clicks", "_decayed_ctr"
    };
  }
}
