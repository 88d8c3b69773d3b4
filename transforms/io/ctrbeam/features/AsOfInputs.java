package io.ctrbeam.features;

import io.ctrbeam.common.Buckets;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.LabelCorrection;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * The elements of the as-of steps, keyed by hash bucket: impression and click events per key kind,
 * the clicks that labeler corrections add or move, and the queries of training rows. Shared by
 * {@link AddPointInTimeFeatures} (one kind per step, keyed by the bare key), {@link
 * FeatureSnapshots} (all kinds in one step, keyed by {@link #entity}) and {@link EnrichExamples}.
 */
final class AsOfInputs {
  private AsOfInputs() {}

  /** The entity of a (kind, key): {@code kind|key}; kind labels hold no '|'. */
  static String entity(KeyKind kind, String key) {
    return kind.label + "|" + key;
  }

  /** Which kinds an events DoFn emits for, and how it names their keys. */
  private abstract static class KindsFn<T> extends DoFn<T, KV<Integer, AsOfElement<String>>> {
    private final KeyKind[] kinds;
    private final boolean entities;
    private final int buckets;

    KindsFn(List<KeyKind> kinds, boolean entities, int buckets) {
      this.kinds = kinds.toArray(new KeyKind[0]);
      this.entities = entities;
      this.buckets = buckets;
    }

    /** Emits {@code event} at {@code time} under each kind's key of the four given key parts. */
    final void emit(
        String user,
        String ad,
        String advertiser,
        String category,
        long time,
        String event,
        OutputReceiver<KV<Integer, AsOfElement<String>>> out) {
      for (KeyKind kind : kinds) {
        String key = kind.keyOf(user, ad, advertiser, category);
        if (key != null) {
          String k = entities ? entity(kind, key) : key;
          out.output(KV.of(Buckets.of(k, buckets), AsOfElement.event(k, time, event)));
        }
      }
    }
  }

  /** One impression event per impression and kind with a key. */
  static final class ImpressionEventsFn extends KindsFn<Impression> {
    ImpressionEventsFn(List<KeyKind> kinds, boolean entities, int buckets) {
      super(kinds, entities, buckets);
    }

    @ProcessElement
    public void process(
        @Element Impression i, OutputReceiver<KV<Integer, AsOfElement<String>>> out) {
      emit(
          i.getUserId(),
          i.getAdId(),
          i.getAdvertiserId(),
          i.getAdCategory(),
          i.getEventTime().toEpochMilli(),
          null,
          out);
    }
  }

  /** One click event per positive row and kind, at its click_time, identified by impression_id. */
  static final class ClickEventsFn extends KindsFn<RowKey> {
    ClickEventsFn(List<KeyKind> kinds, boolean entities, int buckets) {
      super(kinds, entities, buckets);
    }

    @ProcessElement
    public void process(@Element RowKey e, OutputReceiver<KV<Integer, AsOfElement<String>>> out) {
      if (e.hasClick()) {
        emit(e.user, e.ad, e.advertiser, e.category, e.clickTime, e.impressionId, out);
      }
    }
  }

  /**
   * The click events of a clicked-label correction that carries its keys: a late click at its time;
   * a click moved earlier, taken back at its old time ({@link EntityHistory#retraction}) and
   * counted at its new one, under an id of its own.
   */
  static final class CorrectionEventsFn extends KindsFn<LabelCorrection> {
    CorrectionEventsFn(List<KeyKind> kinds, boolean entities, int buckets) {
      super(kinds, entities, buckets);
    }

    @ProcessElement
    public void process(
        @Element LabelCorrection c, OutputReceiver<KV<Integer, AsOfElement<String>>> out) {
      if (!"clicked".equals(c.getLabel()) || c.getNewLabel() != 1) {
        return;
      }
      String id = c.getImpressionId();
      long at = c.getCorrectionTime().toEpochMilli();
      String user = c.getUserId();
      String ad = c.getAdId();
      String advertiser = c.getAdvertiserId();
      String category = c.getAdCategory();
      if (c.getPreviousOutcomeTime() == null) {
        emit(user, ad, advertiser, category, at, id, out);
      } else {
        long before = c.getPreviousOutcomeTime().toEpochMilli();
        emit(
            user,
            ad,
            advertiser,
            category,
            before,
            EntityHistory.retraction(id + "@" + before),
            out);
        emit(user, ad, advertiser, category, at, id + "@" + at, out);
      }
    }
  }

  /**
   * The query id of a row's query for one kind in a step that answers all kinds: the kind's ordinal
   * (one digit), then the row id.
   */
  static String kindQueryId(KeyKind kind, String rowId) {
    return kind.ordinal() + rowId;
  }

  /** The kind of a {@link #kindQueryId}. */
  static KeyKind kindOf(String kindQueryId) {
    return KeyKind.values()[kindQueryId.charAt(0) - '0'];
  }

  /** The row id of a {@link #kindQueryId}. */
  static String rowIdOf(String kindQueryId) {
    return kindQueryId.substring(1);
  }

  /**
   * For a step that answers all kinds at once, keyed by {@link #entity}: a row's click events (when
   * positive) and one query per kind under {@link #kindQueryId} (a null key: bucket by that id).
   * One pass over the rows instead of two per kind.
   */
  static final class RowItemsFn extends KindsFn<RowKey> {
    private final int buckets;
    private final boolean rowsAreImpressions;

    /**
     * With {@code rowsAreImpressions} (one row per impression, bounded), each query also stands for
     * the row's impression event ({@link AsOfElement#queryAndImpression}).
     */
    RowItemsFn(int buckets, boolean rowsAreImpressions) {
      super(List.of(KeyKind.values()), true, buckets);
      this.buckets = buckets;
      this.rowsAreImpressions = rowsAreImpressions;
    }

    @ProcessElement
    public void process(
        @Element RowKey e,
        @Timestamp Instant ts,
        OutputReceiver<KV<Integer, AsOfElement<String>>> out) {
      if (e.hasClick()) {
        emit(e.user, e.ad, e.advertiser, e.category, e.clickTime, e.impressionId, out);
      }
      String rowId = e.rowId();
      for (KeyKind kind : KeyKind.values()) {
        String key = kind.keyOf(e);
        String id = kindQueryId(kind, rowId);
        String entity = key == null ? null : entity(kind, key);
        int bucket = Buckets.of(entity != null ? entity : id, buckets);
        out.output(
            KV.of(
                bucket,
                rowsAreImpressions
                    ? AsOfElement.<String>queryAndImpression(
                        entity, id, e.eventTime, ts.getMillis())
                    : AsOfElement.<String>query(entity, id, e.eventTime, ts.getMillis())));
      }
    }
  }

  /** Every row as a query of its key of this kind (a null key: bucket by row id). */
  static final class QueriesFn<E> extends DoFn<RowKey, KV<Integer, AsOfElement<E>>> {
    private final KeyKind kind;
    private final int buckets;

    QueriesFn(KeyKind kind, int buckets) {
      this.kind = kind;
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(
        @Element RowKey e, @Timestamp Instant ts, OutputReceiver<KV<Integer, AsOfElement<E>>> out) {
      String key = kind.keyOf(e);
      String rowId = e.rowId();
      int bucket = Buckets.of(key != null ? key : rowId, buckets);
      out.output(KV.of(bucket, AsOfElement.<E>query(key, rowId, e.eventTime, ts.getMillis())));
    }
  }
}
