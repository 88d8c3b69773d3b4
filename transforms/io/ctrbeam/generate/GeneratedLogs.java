package io.ctrbeam.generate;

import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.UserProfile;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A generated run held in memory (for tests and small demos). Record lists hold the records that
 * pass ingest validation (contract §6), including orphan clicks and clicks before their impression,
 * which only labeling rejects; all lists are in arrival order.
 */
public final class GeneratedLogs {
  private final GeneratorConfig config;
  private final List<ArrivalEvent> events;
  private final Map<RecordType, List<String>> lines = new EnumMap<>(RecordType.class);
  private final List<Impression> impressions = new ArrayList<>();
  private final List<Click> clicks = new ArrayList<>();
  private final List<Conversion> conversions = new ArrayList<>();
  private final List<UserProfile> userProfiles = new ArrayList<>();
  private final List<AdMetadata> adMetadata = new ArrayList<>();
  private final GroundTruth truth;

  GeneratedLogs(GeneratorConfig config, List<ArrivalEvent> events, GroundTruth truth) {
    this.config = config;
    this.events = Collections.unmodifiableList(events);
    this.truth = truth;
    for (RecordType t : RecordType.values()) {
      lines.put(t, new ArrayList<>());
    }
    for (ArrivalEvent e : events) {
      lines.get(e.type()).add(e.rawLine());
      if (!e.passesIngest()) {
        continue;
      }
      switch (e.type()) {
        case IMPRESSION:
          impressions.add((Impression) e.record());
          break;
        case CLICK:
          clicks.add((Click) e.record());
          break;
        case CONVERSION:
          conversions.add((Conversion) e.record());
          break;
        case USER_PROFILE:
          userProfiles.add((UserProfile) e.record());
          break;
        default:
          adMetadata.add((AdMetadata) e.record());
          break;
      }
    }
  }

  public GeneratorConfig config() {
    return config;
  }

  /**
   * Every record, valid or injected, in arrival order (ties by a deterministic sequence number).
   */
  public List<ArrivalEvent> events() {
    return events;
  }

  /** The records of one type, valid or injected, in arrival order (e.g. to drive a TestStream). */
  public List<ArrivalEvent> events(RecordType type) {
    List<ArrivalEvent> out = new ArrayList<>();
    for (ArrivalEvent e : events) {
      if (e.type() == type) {
        out.add(e);
      }
    }
    return out;
  }

  /** The raw JSON lines of a type in arrival order, injected bad ones included. */
  public List<String> lines(RecordType type) {
    return Collections.unmodifiableList(lines.get(type));
  }

  public List<Impression> impressions() {
    return Collections.unmodifiableList(impressions);
  }

  public List<Click> clicks() {
    return Collections.unmodifiableList(clicks);
  }

  public List<Conversion> conversions() {
    return Collections.unmodifiableList(conversions);
  }

  public List<UserProfile> userProfiles() {
    return Collections.unmodifiableList(userProfiles);
  }

  public List<AdMetadata> adMetadata() {
    return Collections.unmodifiableList(adMetadata);
  }

  public GroundTruth truth() {
    return truth;
  }
}
