package io.ctrbeam.features;

import io.ctrbeam.schema.TrainingExample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Bounded: the count features of every kind and the as-of profile and ad-metadata versions in one
 * grouping by {@code kind|key}. A user's profile versions are events of the entity {@code user|id},
 * an ad's metadata versions of {@code ad|id}, so the queries that the count features already send
 * there also find the version as of their time, and the two as-of joins need no grouping of their
 * own, nor parts of their own in the attach.
 *
 * <p>At equal times a version comes before a query (as-of joins are inclusive: updated_at ≤ t) and
 * a query before an impression or click (features count only events before t). The lookup that
 * answers is {@link #answering}; the one of each kind's answer set, {@link #filling}, writes the
 * kind's features and, for users and ads, the version.
 */
final class CountsAndVersions
    implements AsOfLookup<
        CountsAndVersions.Event, CountsAndVersions.State, CountsAndVersions.Answer> {
  private final CountFeaturesLookup counts;
  private final @Nullable KeyKind kind;
  private final EnrichExamples.@Nullable LatestVersionLookup<?> versions;

  private CountsAndVersions(
      CountFeaturesLookup counts,
      @Nullable KeyKind kind,
      EnrichExamples.@Nullable LatestVersionLookup<?> versions) {
    this.counts = counts;
    this.kind = kind;
    this.versions = versions;
  }

  /** The lookup of the grouping, which answers every kind; it does not fill. */
  static CountsAndVersions answering(FeatureParams params) {
    return new CountsAndVersions(CountFeaturesLookup.allKinds(params), null, null);
  }

  /**
   * The lookup of one kind's answer set: it fills the kind's features and, when {@code versions} is
   * given, the version fields that lookup fills.
   */
  static CountsAndVersions filling(
      KeyKind kind,
      FeatureParams params,
      EnrichExamples.@Nullable LatestVersionLookup<?> versions) {
    return new CountsAndVersions(new CountFeaturesLookup(kind, params), kind, versions);
  }

  /** An impression (a null event), a click with its id, or a version as its encoded bytes. */
  static final class Event {
    final @Nullable String clickId;
    final byte @Nullable [] version;

    private Event(@Nullable String clickId, byte @Nullable [] version) {
      this.clickId = clickId;
      this.version = version;
    }

    static Event click(String clickId) {
      return new Event(clickId, null);
    }

    static Event version(byte[] encoded) {
      return new Event(null, encoded);
    }

    boolean isVersion() {
      return version != null;
    }
  }

  /** An entity's counts and its latest version so far. */
  static final class State {
    final EntityHistory history;
    byte @Nullable [] version;

    State(EntityHistory history, byte @Nullable [] version) {
      this.history = history;
      this.version = version;
    }
  }

  /** One query's features (null: no such key) and version (null: none as of t). */
  static final class Answer {
    final @Nullable FeatureValues values;
    final byte @Nullable [] version;

    Answer(@Nullable FeatureValues values, byte @Nullable [] version) {
      this.values = values;
      this.version = version;
    }
  }

  @Override
  public Coder<Event> eventCoder() {
    return EventCoder.INSTANCE;
  }

  @Override
  public Coder<State> stateCoder() {
    return new StateCoder(counts.stateCoder());
  }

  @Override
  public Coder<Answer> answerCoder() {
    return NullableCoder.of(AnswerCoder.INSTANCE);
  }

  @Override
  public State newState() {
    return new State(counts.newState(), null);
  }

  @Override
  public State add(State s, long time, @Nullable Event e) {
    if (e != null && e.isVersion()) {
      s.version = e.version;
    } else {
      counts.add(s.history, time, e == null ? null : e.clickId);
    }
    return s;
  }

  /** Not used for ordering: see {@link #order()}. */
  @Override
  public boolean inclusive() {
    return false;
  }

  /** By time; at equal times versions, then queries, then impressions and clicks. */
  @Override
  public Comparator<AsOfElement<Event>> order() {
    return Comparator.<AsOfElement<Event>>comparingLong(i -> i.time)
        .thenComparingInt(CountsAndVersions::rank);
  }

  private static int rank(AsOfElement<Event> i) {
    if (i.isQuery()) {
      return 1;
    }
    return i.event != null && i.event.isVersion() ? 0 : 2;
  }

  @Override
  public long horizonFor(long t) {
    return counts.horizonFor(t);
  }

  /** Folds old events into the counts' base sums; the latest version stays. */
  @Override
  public State compact(State s, long horizon) {
    counts.compact(s.history, horizon);
    return s;
  }

  @Override
  public Answer answer(@Nullable State s, long t) {
    return s == null ? new Answer(null, null) : new Answer(counts.answer(s.history, t), s.version);
  }

  @Override
  public void fill(TrainingExample row, Answer a) {
    if (kind == null) {
      throw new IllegalStateException("the answering lookup does not fill; each kind's does");
    }
    kind.fill(row, a == null ? null : a.values);
    if (versions != null) {
      try {
        versions.fillEncoded(row, a == null ? null : a.version);
      } catch (CoderException e) {
        throw new IllegalStateException("cannot decode the " + kind.label + " version", e);
      }
    }
  }

  /** A tag byte (0 click, 1 version), then the click id or the version's bytes. */
  static final class EventCoder extends StructuredCoder<Event> {
    static final EventCoder INSTANCE = new EventCoder();

    @Override
    public void encode(Event e, OutputStream os) throws IOException {
      if (e.isVersion()) {
        os.write(1);
        ByteArrayCoder.of().encode(e.version, os);
      } else {
        os.write(0);
        StringUtf8Coder.of().encode(e.clickId, os);
      }
    }

    @Override
    public Event decode(InputStream is) throws IOException {
      int tag = is.read();
      if (tag < 0) {
        throw new CoderException("Event: no tag");
      }
      return tag == 1
          ? Event.version(ByteArrayCoder.of().decode(is))
          : Event.click(StringUtf8Coder.of().decode(is));
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of();
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** The history, then the latest version's bytes (nullable). */
  static final class StateCoder extends StructuredCoder<State> {
    private static final Coder<byte[]> VERSION = NullableCoder.of(ByteArrayCoder.of());
    private final Coder<EntityHistory> history;

    StateCoder(Coder<EntityHistory> history) {
      this.history = history;
    }

    @Override
    public void encode(State s, OutputStream os) throws IOException {
      history.encode(s.history, os);
      VERSION.encode(s.version, os);
    }

    @Override
    public State decode(InputStream is) throws IOException {
      return new State(history.decode(is), VERSION.decode(is));
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(history);
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean equals(Object o) {
      return o instanceof StateCoder c && c.history.equals(history);
    }

    @Override
    public int hashCode() {
      return history.hashCode();
    }
  }

  /** The features (nullable), then the version's bytes (nullable). */
  static final class AnswerCoder extends StructuredCoder<Answer> {
    static final AnswerCoder INSTANCE = new AnswerCoder();
    private static final Coder<FeatureValues> VALUES = NullableCoder.of(FeatureValues.Coder.of());
    private static final Coder<byte[]> VERSION = NullableCoder.of(ByteArrayCoder.of());

    @Override
    public void encode(Answer a, OutputStream os) throws IOException {
      VALUES.encode(a.values, os);
      VERSION.encode(a.version, os);
    }

    @Override
    public Answer decode(InputStream is) throws IOException {
      return new Answer(VALUES.decode(is), VERSION.decode(is));
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of();
    }

    @Override
    public void verifyDeterministic() {}
  }
}
