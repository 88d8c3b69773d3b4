package io.ctrbeam.common;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.RawRecord;
import io.ctrbeam.schema.TrainingExample;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

class FastRecordCoderTest {
  private static TrainingExample full() {
    TrainingExample r = new TrainingExample();
    for (org.apache.avro.Schema.Field f : r.getSchema().getFields()) {
      org.apache.avro.Schema s = f.schema().isUnion() ? f.schema().getTypes().get(1) : f.schema();
      Object v =
          s.getLogicalType() != null
              ? Instant.ofEpochMilli(1_750_000_000_123L + f.pos())
              : switch (s.getType()) {
                case STRING -> "v-" + f.name() + "-é";
                case INT -> f.pos() - 3;
                case LONG -> -1L - f.pos() * 1_000_000_007L;
                case DOUBLE -> Math.PI * f.pos() - 1e-300;
                case ARRAY -> List.of("sports", "", "news");
                default -> throw new AssertionError(s);
              };
      r.put(f.pos(), v);
    }
    return r;
  }

  @Test
  void everyFieldRoundTripsAndEqualsAvrosDecoding() throws Exception {
    FastRecordCoder<TrainingExample> coder = TrainingRows.CODER;
    TrainingExample r = full();
    CoderProperties.coderDecodeEncodeEqual(coder, r);
    TrainingExample viaAvro = CoderUtils.clone(AvroCoder.specific(TrainingExample.class), r);
    assertThat(CoderUtils.clone(coder, r), equalTo(viaAvro));
  }

  @Test
  void nullsOfOptionalFieldsRoundTrip() throws Exception {
    TrainingExample r = full();
    for (org.apache.avro.Schema.Field f : r.getSchema().getFields()) {
      if (f.schema().isUnion()) {
        r.put(f.pos(), null);
      }
    }
    CoderProperties.coderDecodeEncodeEqual(TrainingRows.CODER, r);
    CoderProperties.coderSerializable(TrainingRows.CODER);
  }

  @Test
  void bytesFieldsRoundTripFromTheirPositionAndEqualAvrosDecoding() throws Exception {
    FastRecordCoder<RawRecord> coder = FastRecordCoder.of(RawRecord.class);
    ByteBuffer payload = ByteBuffer.wrap(new byte[] {9, 0, -1, 42, 7});
    payload.get(); // a reader has consumed one byte: only the remaining four are the value
    RawRecord r =
        RawRecord.newBuilder().setSource("topic-3").setSourceOffset(17L).setBytes(payload).build();
    RawRecord back = CoderUtils.clone(coder, r);
    assertThat(back.getBytes(), equalTo(ByteBuffer.wrap(new byte[] {0, -1, 42, 7})));
    assertThat(payload.position(), equalTo(1));
    assertThat(back, equalTo(CoderUtils.clone(AvroCoder.specific(RawRecord.class), r)));
    r.setBytes(null);
    r.setText("{}");
    CoderProperties.coderDecodeEncodeEqual(coder, r);
    assertThat(FastRecordCoder.forRecords(Click.class), equalTo(FastRecordCoder.of(Click.class)));
  }

  @Test
  void aMissingRequiredFieldIsRefusedByName() {
    Impression i = new Impression();
    CoderException e =
        assertThrows(
            CoderException.class,
            () -> CoderUtils.encodeToByteArray(FastRecordCoder.of(Impression.class), i));
    assertThat(e.getMessage(), containsString("required"));
  }
}
