package io.ctrbeam.features;

import io.ctrbeam.schema.TrainingExample;
import java.io.Serializable;
import org.apache.beam.sdk.coders.Coder;

/**
 * What a bucketed as-of step keeps per entity, how it answers a query, and how the answer is
 * written onto the asking row. Implementations are plain Java, so the batch sweep and the streaming
 * state run the same code.
 *
 * @param <E> the event payload
 * @param <S> the per-entity state
 * @param <V> the answer to one query (null allowed: no such key, or nothing as of t)
 */
interface AsOfLookup<E, S, V> extends Serializable {
  Coder<S> stateCoder();

  Coder<E> eventCoder();

  /** The coder of an answer; it must accept null. */
  Coder<V> answerCoder();

  S newState();

  /** Adds an event; returns the new state. */
  S add(S state, long time, E event);

  /** True when a query at t sees events at t (as-of joins), false when only before t. */
  boolean inclusive();

  /** The oldest state a query at t still needs: state up to this time may be folded. */
  long horizonFor(long t);

  /** Folds or drops what lies at or before the horizon; returns the new state. */
  S compact(S state, long horizon);

  /** The width of the time slices its streaming state keeps events in (default 1 h). */
  default long sliceMillis() {
    return 3_600_000L;
  }

  /**
   * How long after its last event an idle entity's streaming state is removed, given how far behind
   * the watermark a query may still come ({@code retentionMillis}); default never (an entity's
   * latest version stays the answer for later queries).
   */
  default long idleExpiryMillis(long retentionMillis) {
    return EntityStore.NEVER;
  }

  /**
   * What outlives an idle entity's window state, from its state with every event folded (null:
   * nothing); default nothing.
   */
  default S residue(S folded) {
    return null;
  }

  /** The event time after which a residue no longer matters and is removed. */
  default long residueExpiry(S residue) {
    return Long.MIN_VALUE;
  }

  /** The entity's answer as of t (state null: no such key). */
  V answer(S state, long t);

  /** Writes an answer onto a copied row. */
  void fill(TrainingExample row, V answer);
}
