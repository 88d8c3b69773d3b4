package io.ctrbeam.common;

/** Why a record went to the dead-letter output (contract §6). */
public enum Reason {
  PARSE_ERROR,
  MISSING_FIELD,
  /** Not a number, before 2000-01-01, or more than 1 h in the future of the run's clock. */
  BAD_TIMESTAMP,
  BAD_POSITION,
  BAD_COUNTRY,
  /** An impression_id or click_id seen before. */
  DUPLICATE_ID,
  ORPHAN_CLICK,
  CLICK_BEFORE_IMPRESSION,
  CLICK_OUTSIDE_WINDOW,
  LATE_CLICK
}
