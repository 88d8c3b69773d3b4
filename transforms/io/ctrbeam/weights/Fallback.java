package io.ctrbeam.weights;

/** Why a position's propensity is not its own estimate (or is one from little data). */
public enum Fallback {
  /** Its own estimate. */
  NONE,
  /** Never shown: takes the propensity of the nearest estimated position above it (1.0 if none). */
  NOT_SHOWN,
  /** Shown fewer than the minimum impressions: as {@link #NOT_SHOWN}. */
  FEW_IMPRESSIONS,
  /** No click in the whole context: every position 1.0 (no correction). */
  NO_CLICKS,
  /** The reference position had no click: its CTR is the smoothed prior; ratios are capped at 1. */
  REFERENCE_WITHOUT_CLICKS,
  /** A per-device entry with too little data: the all-device entry is used. */
  ALL_DEVICES
}
