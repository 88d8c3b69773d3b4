package io.ctrbeam.label;

/**
 * Which delayed-feedback strategy produces the rows: the {@code label_kind} column (contract §2.3).
 * t is the impression's time, W the attribution window, T the label wait.
 */
public enum LabelMode {
  /** Wait T: a positive as soon as its click comes, a negative once the watermark passes t + T. */
  WAIT,
  /** Every impression at once as a negative, and again as a positive when its click comes. */
  FAKE_NEGATIVE,
  /** A negative after a shorter wait tau; a later valid click adds a positive row. */
  ELAPSED
}
