package io.ctrbeam.storage;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.common.Reason;
import io.ctrbeam.common.RecordJson;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.TrainingExample;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

class RecordJsonTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void trainingExampleIsPlainJsonWithSnakeCaseNamesMillisAndNulls() throws Exception {
    TrainingExample e = SampleRecords.example("i1", SampleRecords.T0 + 123, null, 1);
    JsonNode json = MAPPER.readTree(RecordJson.allFields(e));

    List<String> names = new ArrayList<>();
    json.fieldNames().forEachRemaining(names::add);
    List<String> schemaNames = new ArrayList<>();
    e.getSchema().getFields().forEach(f -> schemaNames.add(f.name()));
    assertThat(names, equalTo(schemaNames));
    assertThat(json.get("event_time").isIntegralNumber(), equalTo(true));
    assertThat(json.get("event_time").asLong(), equalTo(SampleRecords.T0 + 123));
    assertThat(json.get("click_time").asLong(), equalTo(SampleRecords.T0 + 123 + 5_000));
    assertThat(json.get("country").isNull(), equalTo(true));
    assertThat(json.get("user_ctr_24h").asDouble(), equalTo(0.25));
    assertThat(json.get("user_interests").isArray(), equalTo(true));
    assertThat(json.get("user_interests").get(1).asText(), equalTo("news"));
    assertThat(json.get("weight").asDouble(), equalTo(1.5));
  }

  @Test
  void bytesAreBase64AndGenericCopyGivesTheSameJson() throws Exception {
    byte[] raw = {0, 1, 2, (byte) 0xff};
    DeadLetter dl = DeadLetters.ofBytes("click", Reason.PARSE_ERROR, "bad avro", "t-0", 42L, raw);
    JsonNode json = MAPPER.readTree(RecordJson.allFields(dl));
    assertThat(Base64.getDecoder().decode(json.get("raw_bytes").asText()), equalTo(raw));
    assertThat(json.get("raw").isNull(), equalTo(true));
    assertThat(json.get("source_offset").asLong(), equalTo(42L));
    assertThat(json.get("rejected_at").asLong(), equalTo(dl.getRejectedAt().toEpochMilli()));

    GenericRecord plain = PlainRecords.toGeneric(dl);
    assertThat(plain.get("rejected_at"), equalTo(dl.getRejectedAt().toEpochMilli()));
    assertThat(RecordJson.allFields(plain), equalTo(RecordJson.allFields(dl)));
  }

  @Test
  void arraysOfPlainCopyStayLists() {
    GenericRecord plain =
        PlainRecords.toGeneric(SampleRecords.example("i2", SampleRecords.T0, "US", 0));
    assertThat((List<?>) plain.get("user_interests"), contains("sports", "news"));
  }
}
