package io.ctrbeam.generate;

import io.ctrbeam.common.RecordJson;
import java.util.Objects;

/**
 * The label contract §2.1/2.2 gives one valid impression in a bounded run with the config's W, T
 * and window.
 */
public final class ExpectedLabel {
  private final String impressionId;
  private final long eventTime;
  private final int position;
  private final boolean clicked;
  private final Long clickTime;
  private final boolean converted;
  private final Long conversionTime;

  public ExpectedLabel(
      String impressionId,
      long eventTime,
      int position,
      boolean clicked,
      Long clickTime,
      boolean converted,
      Long conversionTime) {
    this.impressionId = impressionId;
    this.eventTime = eventTime;
    this.position = position;
    this.clicked = clicked;
    this.clickTime = clickTime;
    this.converted = converted;
    this.conversionTime = conversionTime;
  }

  public String impressionId() {
    return impressionId;
  }

  public long eventTime() {
    return eventTime;
  }

  public int position() {
    return position;
  }

  public boolean clicked() {
    return clicked;
  }

  /** Event time of the first attributing click, or null. */
  public Long clickTime() {
    return clickTime;
  }

  public boolean converted() {
    return converted;
  }

  /** Event time of the attributed conversion, or null. */
  public Long conversionTime() {
    return conversionTime;
  }

  /** The truth/labels.jsonl line. */
  public String toJson() {
    StringBuilder sb = new StringBuilder(96).append("{\"impression_id\":");
    RecordJson.quote(sb, impressionId);
    return sb.append(",\"clicked\":")
        .append(clicked ? 1 : 0)
        .append(",\"click_time\":")
        .append(clickTime)
        .append(",\"converted\":")
        .append(converted ? 1 : 0)
        .append(",\"conversion_time\":")
        .append(conversionTime)
        .append('}')
        .toString();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ExpectedLabel)) {
      return false;
    }
    ExpectedLabel l = (ExpectedLabel) o;
    return impressionId.equals(l.impressionId)
        && eventTime == l.eventTime
        && position == l.position
        && clicked == l.clicked
        && Objects.equals(clickTime, l.clickTime)
        && converted == l.converted
        && Objects.equals(conversionTime, l.conversionTime);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        impressionId, eventTime, position, clicked, clickTime, converted, conversionTime);
  }

  @Override
  public String toString() {
    return toJson();
  }
}
