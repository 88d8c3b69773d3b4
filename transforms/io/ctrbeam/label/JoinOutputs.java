package io.ctrbeam.label;

import io.ctrbeam.common.DeadLetters;
import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.LabelCorrection;
import io.ctrbeam.schema.TrainingExample;
import java.io.Serializable;
import org.apache.beam.sdk.transforms.DoFn.MultiOutputReceiver;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Instant;

/** The outputs of one outcome join, and a {@link LabelRules.Sink} writing to them. */
final class JoinOutputs implements Serializable {
  final TupleTag<TrainingExample> main = new TupleTag<TrainingExample>("rows") {};
  final TupleTag<DeadLetter> deadLetters = DeadLetters.TAG;
  final TupleTag<LabelCorrection> corrections = new TupleTag<LabelCorrection>("corrections") {};
  final TupleTag<Long> delays = new TupleTag<Long>("delays") {};

  TupleTagList additional() {
    return TupleTagList.of(deadLetters).and(corrections).and(delays);
  }

  Out sink(MultiOutputReceiver receiver, Instant floor) {
    return new Out(receiver, floor.getMillis());
  }

  /** Writes to the outputs, never earlier than the current element's or timer's timestamp. */
  final class Out implements LabelRules.Sink {
    private final MultiOutputReceiver out;
    private final long floor;

    private Out(MultiOutputReceiver out, long floor) {
      this.out = out;
      this.floor = floor;
    }

    private Instant at(long ts) {
      return new Instant(Math.max(ts, floor));
    }

    @Override
    public void example(TrainingExample row, long ts) {
      out.get(main).outputWithTimestamp(row, at(ts));
    }

    @Override
    public void deadLetter(DeadLetter dl, long ts) {
      out.get(deadLetters).outputWithTimestamp(dl, at(ts));
    }

    @Override
    public void correction(LabelCorrection c, long ts) {
      out.get(corrections).outputWithTimestamp(c, at(ts));
    }

    @Override
    public void delay(long delayMs, long ts) {
      out.get(delays).outputWithTimestamp(delayMs, at(ts));
    }
  }
}
