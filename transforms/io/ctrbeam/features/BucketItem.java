package io.ctrbeam.features;

import io.ctrbeam.schema.TrainingExample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;

/**
 * One element of a bucketed as-of step: an event of an entity at a time, or a query (a training
 * example that wants the entity's state as of its time).
 */
final class BucketItem<E> {
  final String entity;
  final long time;
  final E event;
  final TrainingExample query;
  /** For a query, the time it may be answered and output at (its element timestamp, >= time). */
  final long outTime;

  private BucketItem(String entity, long time, E event, TrainingExample query, long outTime) {
    this.entity = entity;
    this.time = time;
    this.event = event;
    this.query = query;
    this.outTime = outTime;
  }

  static <E> BucketItem<E> event(String entity, long time, E event) {
    return new BucketItem<>(entity, time, event, null, time);
  }

  static <E> BucketItem<E> query(String entity, TrainingExample ex, long elementTimestamp) {
    long t = ex.getEventTime().toEpochMilli();
    return new BucketItem<>(entity, t, null, ex, Math.max(t, elementTimestamp));
  }

  boolean isQuery() {
    return query != null;
  }

  /** The hash bucket of a key. */
  static int bucket(String key, int buckets) {
    return Math.floorMod(key.hashCode(), buckets);
  }

  /** Encodes items given the coder of the event payload. */
  static final class ItemCoder<E> extends StructuredCoder<BucketItem<E>> {
    private static final Coder<String> STR = NullableCoder.of(StringUtf8Coder.of());
    private static final Coder<Long> LONG = VarLongCoder.of();
    private static final Coder<TrainingExample> EX =
        NullableCoder.of(AvroCoder.specific(TrainingExample.class));
    private final Coder<E> eventCoder;

    ItemCoder(Coder<E> eventCoder) {
      this.eventCoder = NullableCoder.of(eventCoder);
    }

    @Override
    public void encode(BucketItem<E> v, OutputStream os) throws IOException {
      STR.encode(v.entity, os);
      LONG.encode(v.time, os);
      eventCoder.encode(v.event, os);
      EX.encode(v.query, os);
      LONG.encode(v.outTime, os);
    }

    @Override
    public BucketItem<E> decode(InputStream is) throws IOException {
      return new BucketItem<>(
          STR.decode(is), LONG.decode(is), eventCoder.decode(is), EX.decode(is), LONG.decode(is));
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return Arrays.asList(eventCoder);
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      eventCoder.verifyDeterministic();
    }
  }
}
