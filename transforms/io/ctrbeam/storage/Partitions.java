package io.ctrbeam.storage;

import java.io.Serializable;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.apache.beam.sdk.transforms.SerializableFunction;

/** Hive-style partition paths (contract §7), all from UTC event time. */
public final class Partitions {
  /** The country folder for a record without a country. */
  public static final String UNKNOWN_COUNTRY = "unknown";

  private Partitions() {}

  /** {@code date=YYYY-MM-DD/hour=HH/country=CC}; country {@code unknown} when null or empty. */
  public static String dateHourCountry(Instant eventTime, String country) {
    LocalDateTime t = LocalDateTime.ofInstant(eventTime, ZoneOffset.UTC);
    String cc = country == null || country.isEmpty() ? UNKNOWN_COUNTRY : country;
    return String.format("date=%s/hour=%02d/country=%s", t.toLocalDate(), t.getHour(), cc);
  }

  /** {@code date=YYYY-MM-DD}. */
  public static String date(Instant time) {
    return "date=" + LocalDateTime.ofInstant(time, ZoneOffset.UTC).toLocalDate();
  }

  /** No partition folders: every file directly under the output directory. */
  public static <T> SerializableFunction<T, String> none() {
    return new None<>();
  }

  private static final class None<T> implements SerializableFunction<T, String>, Serializable {
    @Override
    public String apply(T input) {
      return "";
    }
  }
}
