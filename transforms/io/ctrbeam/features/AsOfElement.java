package io.ctrbeam.features;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
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

  /** A query that is also an event with a null payload at its time: the asking row's impression. */
  final boolean alsoEvent;

  private AsOfElement(String entity, long time, E event, String queryId, long outTime) {
    this(entity, time, event, queryId, outTime, false);
  }

  private AsOfElement(
      String entity, long time, E event, String queryId, long outTime, boolean alsoEvent) {
    this.entity = entity;
    this.time = time;
    this.event = event;
    this.queryId = queryId;
    this.outTime = outTime;
    this.alsoEvent = alsoEvent;
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

  /**
   * A {@link #query} that also stands for the row's own impression event (null payload, same entity
   * and time): one element instead of two, when each impression has exactly one row.
   */
  static <E> AsOfElement<E> queryAndImpression(
      String entity, String queryId, long time, long elementTimestamp) {
    return new AsOfElement<>(
        entity, time, null, queryId, Math.max(time, elementTimestamp), entity != null);
  }

  boolean isQuery() {
    return queryId != null;
  }

  /** The impression event a {@link #queryAndImpression} element stands for. */
  AsOfElement<E> impressionEvent() {
    return event(entity, time, null);
  }

  /**
   * Encodes items given the coder of the event payload. The {@link #alsoEvent} flag is encoded only
   * by {@link #withImpressionFlag}, for bounded groupings: the streaming state keeps its format.
   */
  static final class ItemCoder<E> extends StructuredCoder<AsOfElement<E>> {
    private static final Coder<String> STR = NullableCoder.of(StringUtf8Coder.of());
    private static final Coder<Long> LONG = VarLongCoder.of();
    private final Coder<E> payloadCoder;
    private final Coder<E> eventCoder;
    private final boolean flagged;

    ItemCoder(Coder<E> eventCoder) {
      this(eventCoder, false);
    }

    private ItemCoder(Coder<E> payloadCoder, boolean flagged) {
      this.payloadCoder = payloadCoder;
      this.eventCoder = NullableCoder.of(payloadCoder);
      this.flagged = flagged;
    }

    /** This coder plus one byte: whether a query also stands for its impression event. */
    ItemCoder<E> withImpressionFlag() {
      return new ItemCoder<>(payloadCoder, true);
    }

    @Override
    public void encode(AsOfElement<E> v, OutputStream os) throws IOException {
      STR.encode(v.entity, os);
      LONG.encode(v.time, os);
      eventCoder.encode(v.event, os);
      STR.encode(v.queryId, os);
      LONG.encode(v.outTime, os);
      if (flagged) {
        os.write(v.alsoEvent ? 1 : 0);
      }
    }

    @Override
    public AsOfElement<E> decode(InputStream is) throws IOException {
      String entity = STR.decode(is);
      long time = LONG.decode(is);
      E event = eventCoder.decode(is);
      String queryId = STR.decode(is);
      long outTime = LONG.decode(is);
      boolean alsoEvent = false;
      if (flagged) {
        int b = is.read();
        if (b < 0) {
          throw new EOFException("AsOfElement: no impression flag");
        }
        alsoEvent = b == 1;
      }
      return new AsOfElement<>(entity, time, event, queryId, outTime, alsoEvent);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ItemCoder<?> c && c.flagged == flagged && c.eventCoder.equals(eventCoder);
    }

    @Override
    public int hashCode() {
      return Objects.hash(eventCoder, flagged);
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
