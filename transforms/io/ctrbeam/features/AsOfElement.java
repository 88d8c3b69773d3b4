package io.ctrbeam.features;

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

/**
 * One element of a bucketed as-of step: an event of an entity at a time, or a query for the
 * entity's state as of a time. A query carries only the id of the row that asked ({@link
 * AttachAnswers#rowId}), never the row: the answer goes back to the row in one final grouping, so
 * the as-of groupings move ids and times, not whole training rows.
 */
final class AsOfElement<E> {
  final String entity;
  final long time;
  final E event;

  /** For a query, the id of the asking row; null for an event. */
  final String queryId;

  /** For a query, the time it may be answered and output at (its element timestamp, >= time). */
  final long outTime;

  private AsOfElement(String entity, long time, E event, String queryId, long outTime) {
    this.entity = entity;
    this.time = time;
    this.event = event;
    this.queryId = queryId;
    this.outTime = outTime;
  }

  static <E> AsOfElement<E> event(String entity, long time, E event) {
    return new AsOfElement<>(entity, time, event, null, time);
  }

  /**
   * A query of row {@code queryId} as of {@code time}, answered once event time reaches its
   * timestamp.
   */
  static <E> AsOfElement<E> query(String entity, String queryId, long time, long elementTimestamp) {
    return new AsOfElement<>(entity, time, null, queryId, Math.max(time, elementTimestamp));
  }

  boolean isQuery() {
    return queryId != null;
  }

  /** Encodes items given the coder of the event payload. */
  static final class ItemCoder<E> extends StructuredCoder<AsOfElement<E>> {
    private static final Coder<String> STR = NullableCoder.of(StringUtf8Coder.of());
    private static final Coder<Long> LONG = VarLongCoder.of();
    private final Coder<E> eventCoder;

    ItemCoder(Coder<E> eventCoder) {
      this.eventCoder = NullableCoder.of(eventCoder);
    }

    @Override
    public void encode(AsOfElement<E> v, OutputStream os) throws IOException {
      STR.encode(v.entity, os);
      LONG.encode(v.time, os);
      eventCoder.encode(v.event, os);
      STR.encode(v.queryId, os);
      LONG.encode(v.outTime, os);
    }

    @Override
    public AsOfElement<E> decode(InputStream is) throws IOException {
      return new AsOfElement<>(
          STR.decode(is), LONG.decode(is), eventCoder.decode(is), STR.decode(is), LONG.decode(is));
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
