package io.ctrbeam.features;

import io.ctrbeam.schema.TrainingExample;
import java.io.Serializable;
import org.apache.beam.sdk.coders.Coder;

/**
 * What a bucketed as-of step keeps per entity and how it answers a query. Implementations are
 * plain Java, so the batch sweep and the streaming state run the same code.
 *
 * @param <E> the event payload
 * @param <S> the per-entity state
 */
interface EntityLogic<E, S> extends Serializable {
  Coder<S> stateCoder();

  Coder<E> eventCoder();

  S newState();

  /** Adds an event; returns the new state. */
  S add(S state, long time, E event);

  /** True when a query at t sees events at t (as-of joins), false when only before t. */
  boolean inclusive();

  /** The oldest state a query at t still needs: state up to this time may be folded. */
  long horizonFor(long t);

  /** Folds or drops what lies at or before the horizon; returns the new state. */
  S compact(S state, long horizon);

  /** A new example: the query with this entity's values as of t (state null: no such key). */
  TrainingExample answer(S state, TrainingExample query, long t);
}
