package io.ctrbeam.features;

import io.ctrbeam.schema.TrainingExample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.util.CoderUtils;

/**
 * One element of a bucketed as-of step: an event of an entity at a time, or a query (a training
 * example that wants the entity's state as of its time).
 *
 * <p>A query carries its example Avro-encoded and decodes it on first use: grouping and state copy
 * items often (DirectRunner clones a key's whole bag once per upstream bundle), and copying bytes
 * is far cheaper than re-encoding and decoding a full record each time.
 */
final class BucketItem<E> {
  final String entity;
  final long time;
  final E event;
  private final byte[] queryBytes;
  private transient TrainingExample query;
  /** For a query, the time it may be answered and output at (its element timestamp, >= time). */
  final long outTime;

  private BucketItem(String entity, long time, E event, byte[] queryBytes, long outTime) {
    this.entity = entity;
    this.time = time;
    this.event = event;
    this.queryBytes = queryBytes;
    this.outTime = outTime;
  }

  static <E> BucketItem<E> event(String entity, long time, E event) {
    return new BucketItem<>(entity, time, event, null, time);
  }

  static <E> BucketItem<E> query(String entity, TrainingExample ex, long elementTimestamp) {
    long t = ex.getEventTime().toEpochMilli();
    BucketItem<E> item =
        new BucketItem<>(entity, t, null, encode(ex), Math.max(t, elementTimestamp));
    item.query = ex;
    return item;
  }

  boolean isQuery() {
    return queryBytes != null;
  }

  /** The query's example (null for an event), decoded once. */
  TrainingExample query() {
    if (query == null && queryBytes != null) {
      try {
        query = CoderUtils.decodeFromByteArray(ItemCoder.EX, queryBytes);
      } catch (CoderException e) {
        throw new IllegalStateException("cannot decode a query example", e);
      }
    }
    return query;
  }

  private static byte[] encode(TrainingExample ex) {
    try {
      return CoderUtils.encodeToByteArray(ItemCoder.EX, ex);
    } catch (CoderException e) {
      throw new IllegalStateException("cannot encode " + ex.getImpressionId(), e);
    }
  }

  /** Encodes items given the coder of the event payload. */
  static final class ItemCoder<E> extends StructuredCoder<BucketItem<E>> {
    private static final Coder<String> STR = NullableCoder.of(StringUtf8Coder.of());
    private static final Coder<Long> LONG = VarLongCoder.of();
    private static final Coder<TrainingExample> EX = AvroCoder.specific(TrainingExample.class);
    private static final Coder<byte[]> BYTES = NullableCoder.of(ByteArrayCoder.of());
    private final Coder<E> eventCoder;

    ItemCoder(Coder<E> eventCoder) {
      this.eventCoder = NullableCoder.of(eventCoder);
    }

    @Override
    public void encode(BucketItem<E> v, OutputStream os) throws IOException {
      STR.encode(v.entity, os);
      LONG.encode(v.time, os);
      eventCoder.encode(v.event, os);
      BYTES.encode(v.queryBytes, os);
      LONG.encode(v.outTime, os);
    }

    @Override
    public BucketItem<E> decode(InputStream is) throws IOException {
      return new BucketItem<>(
          STR.decode(is), LONG.decode(is), eventCoder.decode(is), BYTES.decode(is), LONG.decode(is));
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
