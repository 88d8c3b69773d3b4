package io.ctrbeam.features;

import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;

/** The key kinds of SPEC §3 and the TrainingExample fields each one fills. */
public enum KeyKind {
  USER("user"),
  AD("ad"),
  ADVERTISER("advertiser"),
  USER_CATEGORY("user_category");

  /** The name used as key_kind in snapshots and as field prefix in training examples. */
  public final String label;

  KeyKind(String label) {
    this.label = label;
  }

  /** The key of this kind for an impression, or null when a part of it is null. */
  public String keyOf(Impression i) {
    return key(i.getUserId(), i.getAdId(), i.getAdvertiserId(), i.getAdCategory());
  }

  /** The key of this kind for a training example, or null when a part of it is null. */
  public String keyOf(TrainingExample e) {
    return key(e.getUserId(), e.getAdId(), e.getAdvertiserId(), e.getAdCategory());
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

  /** Writes the six features of this kind onto a (copied) example. */
  void fill(TrainingExample e, FeatureValues v) {
    e.put(label + "_impressions_24h", v.impressions24h);
    e.put(label + "_clicks_24h", v.clicks24h);
    e.put(label + "_ctr_24h", v.ctr24h);
    e.put(label + "_decayed_impressions", v.decayedImpressions);
    e.put(label + "_decayed_clicks", v.decayedClicks);
    e.put(label + "_decayed_ctr", v.decayedCtr);
  }
}
