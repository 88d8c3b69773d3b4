/**
 * Delayed-click and conversion labeling on event time: contract §2 of the README defines W, T, tau,
 * the modes and the labeling reasons (also listed in §6).
 *
 * <p>{@link io.ctrbeam.label.LabelImpressions} applies one generic {@link
 * io.ctrbeam.label.OutcomeJoin} twice: impressions x clicks, then clicked examples x conversions.
 * The rules ({@link io.ctrbeam.label.LabelRules}, which keep no Beam state) are shared by the
 * bounded path (GroupByKey by hash bucket, one in-memory {@link io.ctrbeam.label.BatchLabeler} pass
 * per bucket, no timers) and the unbounded path ({@link io.ctrbeam.label.StatefulLabelFn}: a
 * stateful DoFn per bucket with MapState, a time index and one event-time timer per second that
 * holds due entries).
 *
 * <p>State kept per impression by the stateful path, by mode (t is the impression's time):
 *
 * <ul>
 *   <li>WAIT: the row until its positive or until t + T; then a tombstone (times and label) until t
 *       + W + T + allowed lateness, to recognise duplicates and late clicks (corrections).
 *   <li>FAKE_NEGATIVE: the negative goes out at once; the row is kept only until t + W (no valid
 *       click can be later in event time), just to build the positive. Nothing is kept past t + W
 *       (a positive's tombstone ends there too), so a click processed later is LATE_CLICK.
 *   <li>ELAPSED: the row until max(tau, W), the negative at t + tau; then the tombstone, as WAIT.
 * </ul>
 *
 * Clicks that come before their impression are buffered until their own time + T (then
 * ORPHAN_CLICK). An unmatched click whose time + T + lateness is already behind the bucket's
 * watermark (as proven by its last timer firing) is LATE_CLICK.
 */
package io.ctrbeam.label;
