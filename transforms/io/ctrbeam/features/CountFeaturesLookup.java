package io.ctrbeam.features;

import io.ctrbeam.schema.TrainingExample;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;

/**
 * Point-in-time features of one key kind. An event's payload is null for an impression and the
 * impression_id for a click; a query at t sees only events before t.
 */
final class CountFeaturesLookup implements AsOfLookup<String, EntityHistory, FeatureValues> {
  private final KeyKind kind;
  private final FeatureParams params;
  private final Counter inexact;

  CountFeaturesLookup(KeyKind kind, FeatureParams params) {
    this(kind, params, kind.label + "_beyond_history");
  }

  private CountFeaturesLookup(KeyKind kind, FeatureParams params, String inexactCounter) {
    this.kind = kind;
    this.params = params;
    this.inexact = Metrics.counter(AddPointInTimeFeatures.class, inexactCounter);
  }

  /**
   * The lookup of a step whose entities are {@code kind|key} for every kind; it answers, and the
   * per-kind lookups fill.
   */
  static CountFeaturesLookup allKinds(FeatureParams params) {
    return new CountFeaturesLookup(null, params, "beyond_history");
  }

  @Override
  public Coder<EntityHistory> stateCoder() {
    return new EntityHistory.Coder(params.lambdaPerMs);
  }

  @Override
  public Coder<String> eventCoder() {
    return NullableCoder.of(StringUtf8Coder.of());
  }

  @Override
  public EntityHistory newState() {
    return new EntityHistory(params.lambdaPerMs);
  }

  @Override
  public EntityHistory add(EntityHistory h, long time, String clickId) {
    h.add(time, clickId != null, clickId);
    return h;
  }

  @Override
  public boolean inclusive() {
    return false;
  }

  @Override
  public long horizonFor(long t) {
    return t - params.windowMillis;
  }

  @Override
  public long sliceMillis() {
    return EntityStore.sliceFor(params.windowMillis);
  }

  /**
   * Window + retention: a query is at most retention behind the watermark, so once the watermark is
   * that far past an entity's last event, no query's window holds any of its events.
   */
  @Override
  public long idleExpiryMillis(long retentionMillis) {
    return params.windowMillis + retentionMillis;
  }

  /**
   * The decayed sums outlive the window: a key idle past window + retention keeps only them (a
   * fixed few dozen bytes) until they decay below {@link EntityHistory#NEGLIGIBLE}.
   */
  @Override
  public EntityHistory residue(EntityHistory folded) {
    return folded.negligibleAfter() == Long.MIN_VALUE ? null : folded;
  }

  @Override
  public long residueExpiry(EntityHistory residue) {
    return residue.negligibleAfter();
  }

  @Override
  public EntityHistory compact(EntityHistory h, long horizon) {
    h.compact(horizon);
    return h;
  }

  @Override
  public Coder<FeatureValues> answerCoder() {
    return NullableCoder.of(FeatureValues.Coder.of());
  }

  @Override
  public FeatureValues answer(EntityHistory h, long t) {
    if (h == null) {
      return null;
    }
    if (!h.exactAt(t, params.windowMillis)) {
      inexact.inc();
    }
    return h.valuesAt(t, false, params);
  }

  @Override
  public void fill(TrainingExample row, FeatureValues v) {
    if (kind == null) {
      throw new IllegalStateException("the all-kinds lookup does not fill; each kind's does");
    }
    kind.fill(row, v);
  }
}
