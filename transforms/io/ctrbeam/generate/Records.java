package io.ctrbeam.generate;

import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.UserProfile;
import org.apache.avro.specific.SpecificRecord;

/** JSON lines of the five record types with the SPEC 1 field names, optionally with one field overridden. */
final class Records {
  private Records() {}

  static String json(SpecificRecord r) {
    return json(r, null, null);
  }

  /** The JSON line of {@code r}; {@code field} is written as the raw {@code token}, or omitted when it is null. */
  static String json(SpecificRecord r, String field, String token) {
    JsonLine j = new JsonLine(field, token);
    if (r instanceof Impression) {
      Impression i = (Impression) r;
      j.str("impression_id", i.getImpressionId())
          .num("event_time", i.getEventTime().toEpochMilli())
          .str("user_id", i.getUserId())
          .str("ad_id", i.getAdId())
          .num("position", i.getPosition())
          .optStr("advertiser_id", i.getAdvertiserId(), false)
          .optStr("ad_category", i.getAdCategory(), false)
          .optStr("device", i.getDevice(), true)
          .optStr("country", i.getCountry(), false)
          .optStr("request_id", i.getRequestId(), false);
    } else if (r instanceof Click) {
      Click c = (Click) r;
      j.str("click_id", c.getClickId())
          .str("impression_id", c.getImpressionId())
          .num("event_time", c.getEventTime().toEpochMilli())
          .optStr("user_id", c.getUserId(), false)
          .optStr("ad_id", c.getAdId(), false);
    } else if (r instanceof Conversion) {
      Conversion c = (Conversion) r;
      j.str("conversion_id", c.getConversionId())
          .str("impression_id", c.getImpressionId())
          .num("event_time", c.getEventTime().toEpochMilli())
          .optNum("value", c.getValue());
    } else if (r instanceof UserProfile) {
      UserProfile u = (UserProfile) r;
      j.str("user_id", u.getUserId())
          .num("updated_at", u.getUpdatedAt().toEpochMilli())
          .optStr("age_bucket", u.getAgeBucket(), false)
          .optStr("gender", u.getGender(), false)
          .strArray("interests", u.getInterests());
    } else if (r instanceof AdMetadata) {
      AdMetadata a = (AdMetadata) r;
      j.str("ad_id", a.getAdId())
          .num("updated_at", a.getUpdatedAt().toEpochMilli())
          .optStr("advertiser_id", a.getAdvertiserId(), false)
          .optStr("category", a.getCategory(), false);
    } else {
      throw new IllegalArgumentException("not a log record: " + r.getClass());
    }
    return j.end();
  }

  /** The name of the event-time field of a record type. */
  static String timeField(RecordType t) {
    return t == RecordType.USER_PROFILE || t == RecordType.AD_METADATA ? "updated_at" : "event_time";
  }

  /** The required fields of a record type, id first (SPEC 1). */
  static String[] requiredFields(RecordType t) {
    switch (t) {
      case IMPRESSION: return new String[] {"impression_id", "event_time", "user_id", "ad_id", "position"};
      case CLICK: return new String[] {"click_id", "impression_id", "event_time"};
      case CONVERSION: return new String[] {"conversion_id", "impression_id", "event_time"};
      case USER_PROFILE: return new String[] {"user_id", "updated_at"};
      default: return new String[] {"ad_id", "updated_at"};
    }
  }
}
