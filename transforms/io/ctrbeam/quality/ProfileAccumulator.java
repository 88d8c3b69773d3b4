package io.ctrbeam.quality;

/**
 * The accumulator of {@link ProfileFn}: a record count, the event-time range and one {@link
 * FieldState} per field.
 */
final class ProfileAccumulator {
  long records;
  long earliest = Long.MAX_VALUE;
  long latest = Long.MIN_VALUE;
  final FieldState[] fields;

  ProfileAccumulator(int fieldCount) {
    fields = new FieldState[fieldCount];
    for (int i = 0; i < fieldCount; i++) {
      fields[i] = new FieldState();
    }
  }

  ProfileAccumulator(FieldState[] fields) {
    this.fields = fields;
  }
}
