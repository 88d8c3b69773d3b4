package io.ctrbeam.storage;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.kafka.ReadKafkaRecords;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.serving.WriteFeaturesToRedis;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;

/** Option checks and display data of the IO transforms (no pipeline run). */
class WriteRecordsOptionsTest {
  @Test
  void badOptionsAreRefusedAtOnce() {
    WriteRecords<TrainingExample> w = WriteTrainingData.to("out");
    assertThrows(IllegalArgumentException.class, () -> w.withNumShards(-1));
    assertThrows(IllegalArgumentException.class, () -> w.withFixedWindows(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> w.withTargetFileSize(0, 100));
    assertThrows(IllegalArgumentException.class, () -> w.to(""));
    assertThrows(IllegalArgumentException.class, () -> WriteFeaturesToRedis.to("h", 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> WriteFeaturesToRedis.to("h", 6379).withTtl(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> ReadKafkaRecords.from("b:9092", ""));
    assertThrows(
        IllegalArgumentException.class,
        () -> ReadKafkaRecords.from("b:9092", "t").withMaxNumRecords(0));
  }

  @Test
  void optionsShowInDisplayDataAndInstancesStayImmutable() {
    WriteRecords<TrainingExample> base = WriteTrainingData.to("out");
    WriteRecords<TrainingExample> sized =
        base.withTargetFileSize(256L << 20, 1024).withFormat(FileFormat.AVRO);
    DisplayData d = DisplayData.from(sized);
    assertThat(item(d, "targetRecordsPerFile"), equalTo(String.valueOf(262_144L)));
    assertThat(item(d, "format"), equalTo("AVRO"));
    assertThat(item(d, "partitioning"), equalTo("date=/hour=/country= of event_time"));
    assertThat(item(DisplayData.from(base), "format"), equalTo("PARQUET"));
    assertThat(item(DisplayData.from(base), "targetRecordsPerFile"), equalTo(String.valueOf(0L)));

    DisplayData redis = DisplayData.from(WriteFeaturesToRedis.to("h", 6379));
    assertThat(item(redis, "ttl"), equalTo(String.valueOf(Duration.standardHours(48).getMillis())));
    assertThat(item(redis, "keyPrefix"), equalTo("ctr:feat"));
    DisplayData kafka =
        DisplayData.from(
            ReadKafkaRecords.from("b:9092", "t").withMaxDelay(Duration.standardSeconds(30)));
    assertThat(item(kafka, "maxDelay"), equalTo("30000"));
  }

  @Test
  void partitionPathsAreUtcHiveStyle() {
    java.time.Instant t = java.time.Instant.parse("2024-12-31T23:59:59.999Z");
    assertThat(Partitions.dateHourCountry(t, "DE"), equalTo("date=2024-12-31/hour=23/country=DE"));
    assertThat(
        Partitions.dateHourCountry(t, null), equalTo("date=2024-12-31/hour=23/country=unknown"));
    assertThat(Partitions.date(t.plusMillis(1)), equalTo("date=2025-01-01"));
  }

  private static String item(DisplayData d, String key) {
    for (DisplayData.Item i : d.items()) {
      if (i.getKey().equals(key)) {
        return String.valueOf(i.getValue());
      }
    }
    return "<no item " + key + ">";
  }
}
