package io.ctrbeam.quality;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * The profile of one field over a data set (a run or a window).
 *
 * <p>Exact: {@code total}, {@code nulls}, {@code invalid}, {@code min}, {@code max}, {@code mean}
 * and the counts in {@code onReference}. Approximate: {@code distinct} (HLL, with bounds at 2
 * standard errors), {@code quantiles} (KLL, normalized rank error {@code quantileRankError}),
 * {@code top} (frequent items, each count within {@code topMaxError}) and the shares of a profile's
 * own {@code bins} (read off those sketches).
 */
public record FieldProfile(
    String name,
    FieldKind kind,
    boolean required,
    long total,
    long nulls,
    long invalid,
    Map<String, Long> invalidByReason,
    Double distinct,
    Double distinctLower,
    Double distinctUpper,
    Double min,
    Double max,
    Double mean,
    Map<String, Double> quantiles,
    Double quantileRankError,
    List<CategoryCount> top,
    Long topMaxError,
    Bins bins,
    Bins onReference)
    implements Serializable {

  /** One of the most frequent values and its (estimated) count. */
  public record CategoryCount(String value, long count) implements Serializable {}

  public long nonNull() {
    return total - nulls;
  }
}
