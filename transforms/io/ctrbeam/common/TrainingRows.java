package io.ctrbeam.common;

import io.ctrbeam.schema.TrainingExample;

/**
 * Copies of training rows for steps that change a few fields. Avro's {@code newBuilder(row)}
 * deep-copies and validates every field, which the profile showed as the top cost of labeling and
 * features; rows are never mutated after output, so sharing the immutable field values is safe.
 */
public final class TrainingRows {
  private static final int FIELDS = TrainingExample.getClassSchema().getFields().size();

  /**
   * The coder of training rows between steps: {@link FastRecordCoder}, not Avro's reflection walk.
   */
  public static final FastRecordCoder<TrainingExample> CODER =
      FastRecordCoder.of(TrainingExample.class);

  private TrainingRows() {}

  /** A new row with the same field values (strings and lists shared, not copied). */
  public static TrainingExample copy(TrainingExample row) {
    TrainingExample c = new TrainingExample();
    for (int i = 0; i < FIELDS; i++) {
      c.put(i, row.get(i));
    }
    return c;
  }
}
