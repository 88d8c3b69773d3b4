package io.ctrbeam.ingest;

import io.ctrbeam.common.FastRecordCoder;
import io.ctrbeam.common.Provenance;
import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.UserProfile;
import java.io.Serializable;
import java.time.Instant;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.SerializableFunction;

/**
 * One contract §1 record type: its name in metrics and dead letters, its Avro class, its event-time
 * field, its id field (null for types without duplicate checks) and how to build it from fields.
 */
public final class RecordKind<T extends SpecificRecord> implements Serializable {
  /** Builds a typed record from fields, or throws with the first broken rule. */
  interface Builder<T> extends Serializable {
    T build(Fields f) throws InvalidRecordException;
  }

  public static final RecordKind<Impression> IMPRESSION =
      new RecordKind<>(
          "impression",
          "Impressions",
          Impression.class,
          "event_time",
          "impression_id",
          f ->
              Impression.newBuilder()
                  .setImpressionId(f.requiredString("impression_id"))
                  .setEventTime(Instant.ofEpochMilli(f.requiredTime("event_time")))
                  .setUserId(f.requiredString("user_id"))
                  .setAdId(f.requiredString("ad_id"))
                  .setPosition(position(f))
                  .setAdvertiserId(f.optionalString("advertiser_id"))
                  .setAdCategory(f.optionalString("ad_category"))
                  .setDevice(f.optionalString("device"))
                  .setCountry(f.optionalCountry("country"))
                  .setRequestId(f.optionalString("request_id"))
                  .build(),
          r -> r.getEventTime(),
          r -> r.getImpressionId());

  public static final RecordKind<Click> CLICK =
      new RecordKind<>(
          "click",
          "Clicks",
          Click.class,
          "event_time",
          "click_id",
          f ->
              Click.newBuilder()
                  .setClickId(f.requiredString("click_id"))
                  .setImpressionId(f.requiredString("impression_id"))
                  .setEventTime(Instant.ofEpochMilli(f.requiredTime("event_time")))
                  .setUserId(f.optionalString("user_id"))
                  .setAdId(f.optionalString("ad_id"))
                  .build(),
          r -> r.getEventTime(),
          r -> r.getClickId());

  public static final RecordKind<Conversion> CONVERSION =
      new RecordKind<>(
          "conversion",
          "Conversions",
          Conversion.class,
          "event_time",
          "conversion_id",
          f ->
              Conversion.newBuilder()
                  .setConversionId(f.requiredString("conversion_id"))
                  .setImpressionId(f.requiredString("impression_id"))
                  .setEventTime(Instant.ofEpochMilli(f.requiredTime("event_time")))
                  .setValue(f.optionalDouble("value"))
                  .build(),
          r -> r.getEventTime(),
          r -> r.getConversionId());

  public static final RecordKind<UserProfile> USER_PROFILE =
      new RecordKind<>(
          "user_profile",
          "UserProfiles",
          UserProfile.class,
          "updated_at",
          null,
          f ->
              UserProfile.newBuilder()
                  .setUserId(f.requiredString("user_id"))
                  .setUpdatedAt(Instant.ofEpochMilli(f.requiredTime("updated_at")))
                  .setAgeBucket(f.optionalString("age_bucket"))
                  .setGender(f.optionalString("gender"))
                  .setInterests(f.optionalStringList("interests"))
                  .build(),
          r -> r.getUpdatedAt(),
          null);

  public static final RecordKind<AdMetadata> AD_METADATA =
      new RecordKind<>(
          "ad_metadata",
          "AdMetadata",
          AdMetadata.class,
          "updated_at",
          null,
          f ->
              AdMetadata.newBuilder()
                  .setAdId(f.requiredString("ad_id"))
                  .setUpdatedAt(Instant.ofEpochMilli(f.requiredTime("updated_at")))
                  .setAdvertiserId(f.optionalString("advertiser_id"))
                  .setCategory(f.optionalString("category"))
                  .build(),
          r -> r.getUpdatedAt(),
          null);

  private final String name;
  private final String stepSuffix;
  private final Class<T> recordClass;
  private final String timeField;
  private final String idField;
  private final Builder<T> builder;
  private final SerializableFunction<T, Instant> eventTime;
  private final SerializableFunction<T, String> id;

  private RecordKind(
      String name,
      String stepSuffix,
      Class<T> recordClass,
      String timeField,
      String idField,
      Builder<T> builder,
      SerializableFunction<T, Instant> eventTime,
      SerializableFunction<T, String> id) {
    this.name = name;
    this.stepSuffix = stepSuffix;
    this.recordClass = recordClass;
    this.timeField = timeField;
    this.idField = idField;
    this.builder = builder;
    this.eventTime = eventTime;
    this.id = id;
  }

  private static int position(Fields f) throws InvalidRecordException {
    int p = f.requiredInt("position");
    if (p < 1) {
      throw new InvalidRecordException(
          io.ctrbeam.common.Reason.BAD_POSITION, "position " + p + " is below 1");
    }
    return p;
  }

  /** The record type name used in metrics and dead letters, e.g. {@code impression}. */
  public String name() {
    return name;
  }

  /** The plural CamelCase suffix of step names, e.g. {@code Impressions}. */
  public String stepSuffix() {
    return stepSuffix;
  }

  public Class<T> recordClass() {
    return recordClass;
  }

  /** The coder of these records between steps ({@link FastRecordCoder}, not Avro's schema walk). */
  public Coder<T> coder() {
    return FastRecordCoder.forRecords(recordClass);
  }

  /** The §1 field that is the record's event time: event_time or updated_at. */
  public String timeField() {
    return timeField;
  }

  /** The §1 id field checked for duplicates, or null when the type has none. */
  public String idField() {
    return idField;
  }

  /** The §1 schema: the generated class's without its {@link Provenance} fields. */
  public Schema schema() {
    return Provenance.specSchema(fullSchema());
  }

  /** The generated class's schema, provenance fields included. */
  public Schema fullSchema() {
    return org.apache.avro.specific.SpecificData.get().getSchema(recordClass);
  }

  public Instant eventTime(T record) {
    return eventTime.apply(record);
  }

  /** The record's id; only for kinds with an {@link #idField()}. */
  public String id(T record) {
    return id.apply(record);
  }

  T build(Fields fields) throws InvalidRecordException {
    return builder.build(fields);
  }

  @Override
  public String toString() {
    return name;
  }
}
