package io.ctrbeam.generate;

import io.ctrbeam.common.Reason;
import io.ctrbeam.common.RecordJson;
import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.UserProfile;
import java.time.Instant;
import java.util.SplittableRandom;
import org.apache.avro.specific.SpecificRecord;

/**
 * The defective records a partition injects (contract §6 reasons), next to a valid host record:
 * which reasons each type can get, and the record and line of each.
 */
final class Defects {
  /** 2100-01-01: a timestamp far in the future of any run's clock. */
  private static final long FAR_FUTURE = 4_102_444_800_000L;

  private static final long YEAR_2000 = 946_684_800_000L;

  private static final String[] BAD_COUNTRIES = {
    "usa", "us", "U", "1A", "GBR", "", " US", "Us", "u$"
  };

  /** The reasons a record of each type can be injected with. */
  static final Reason[] IMPRESSION = {
    Reason.PARSE_ERROR,
    Reason.MISSING_FIELD,
    Reason.BAD_TIMESTAMP,
    Reason.BAD_POSITION,
    Reason.BAD_COUNTRY,
    Reason.DUPLICATE_ID
  };

  static final Reason[] CLICK = {
    Reason.PARSE_ERROR,
    Reason.MISSING_FIELD,
    Reason.BAD_TIMESTAMP,
    Reason.DUPLICATE_ID,
    Reason.ORPHAN_CLICK,
    Reason.CLICK_BEFORE_IMPRESSION
  };
  static final Reason[] CONVERSION = {
    Reason.PARSE_ERROR, Reason.MISSING_FIELD, Reason.BAD_TIMESTAMP
  };
  static final Reason[] PROFILE = {Reason.PARSE_ERROR, Reason.MISSING_FIELD};

  /** An injected record: its Avro form (null when it has none), its JSON line, its event time. */
  record Defect(SpecificRecord avro, String line, long eventTime) {}

  private Defects() {}

  /**
   * The defect {@code reason} (not DUPLICATE_ID) of {@code base}, a copy of the host with a new id;
   * draws from {@code rnd}. A CLICK_BEFORE_IMPRESSION click stays inside the event hour.
   */
  static Defect make(
      Reason reason,
      RecordType type,
      SpecificRecord base,
      long hostTime,
      long impressionTime,
      long hourStart,
      String orphanOf,
      SplittableRandom rnd) {
    String field = null;
    String token = null;
    SpecificRecord avro = base;
    long eventTime = hostTime;
    switch (reason) {
      case PARSE_ERROR:
        avro = null;
        break;
      case MISSING_FIELD:
        String[] required = type.requiredFields();
        field = required[rnd.nextInt(required.length)];
        avro = null;
        break;
      case BAD_TIMESTAMP:
        field = type.timeField();
        int variant = rnd.nextInt(3);
        long bad =
            variant == 1
                ? rnd.nextLong(YEAR_2000 - 1)
                : FAR_FUTURE + rnd.nextLong(100L * 365 * 24 * PartitionGenerator.HOUR_MS);
        if (variant == 0) {
          token = RecordJson.quote(Instant.ofEpochMilli(hostTime).toString());
          avro = null;
        } else {
          token = Long.toString(bad);
          avro = withTime(base, bad);
        }
        break;
      case BAD_POSITION:
        int position = -rnd.nextInt(3);
        field = "position";
        token = Integer.toString(position);
        ((Impression) avro).setPosition(position);
        break;
      case BAD_COUNTRY:
        String country = BAD_COUNTRIES[rnd.nextInt(BAD_COUNTRIES.length)];
        field = "country";
        token = RecordJson.quote(country);
        ((Impression) avro).setCountry(country);
        break;
      case ORPHAN_CLICK:
        ((Click) avro).setImpressionId(orphanOf);
        break;
      case CLICK_BEFORE_IMPRESSION:
        // Stays inside the event hour, so that it lands in no arrival hour already written.
        eventTime = Math.max(hourStart, impressionTime - rnd.nextLong(120_000L));
        ((Click) avro).setEventTime(Instant.ofEpochMilli(eventTime));
        break;
      default:
        throw new IllegalStateException("no injector for " + reason);
    }
    String line = RecordJson.logLine(base, PartitionGenerator.NULLS_WRITTEN, field, token);
    if (reason == Reason.PARSE_ERROR) {
      line = line.substring(0, 1 + rnd.nextInt(line.length() - 1));
    }
    return new Defect(avro, line, eventTime);
  }

  /** A copy of {@code host} with {@code badId} appended to its id. */
  static SpecificRecord withNewId(RecordType type, SpecificRecord host, String badId) {
    switch (type) {
      case IMPRESSION:
        Impression i = Impression.newBuilder((Impression) host).build();
        i.setImpressionId(i.getImpressionId() + badId);
        return i;
      case CLICK:
        Click k = Click.newBuilder((Click) host).build();
        k.setClickId(k.getClickId() + badId);
        return k;
      case CONVERSION:
        Conversion v = Conversion.newBuilder((Conversion) host).build();
        v.setConversionId(v.getConversionId() + badId);
        return v;
      case USER_PROFILE:
        return UserProfile.newBuilder((UserProfile) host).build();
      default:
        return AdMetadata.newBuilder((AdMetadata) host).build();
    }
  }

  private static SpecificRecord withTime(SpecificRecord r, long t) {
    Instant i = Instant.ofEpochMilli(t);
    if (r instanceof Impression) {
      ((Impression) r).setEventTime(i);
    } else if (r instanceof Click) {
      ((Click) r).setEventTime(i);
    } else if (r instanceof Conversion) {
      ((Conversion) r).setEventTime(i);
    } else if (r instanceof UserProfile) {
      ((UserProfile) r).setUpdatedAt(i);
    } else {
      ((AdMetadata) r).setUpdatedAt(i);
    }
    return r;
  }
}
