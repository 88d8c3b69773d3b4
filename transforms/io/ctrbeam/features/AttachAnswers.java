package io.ctrbeam.features;

import io.ctrbeam.common.BatchGrouping;
import io.ctrbeam.common.Buckets;
import io.ctrbeam.common.GroupByBucket;
import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.TrainingExample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Instant;

/**
 * Writes the answers of several as-of steps onto the rows that asked, in one grouping by the row's
 * id: the only step of the features that moves whole rows. Every row gets exactly one answer from
 * each set, so a row is complete, and leaves, once it holds them all.
 *
 * <p>Bounded input: a GroupByKey by hash bucket of the row id (or, when asked, the stateful path:
 * Flink runs a batch GroupByKey as a list-building combine plus a second sort, a stateful DoFn as
 * one sort). Unbounded input: a stateful DoFn per bucket holding each row's parts only until its
 * last answer arrives, so the state is bounded by the rows in flight.
 */
final class AttachAnswers
    extends PTransform<PCollection<TrainingExample>, PCollection<TrainingExample>> {
  private static final int ROW = -1;

  private final List<AnswerSet<?>> sets;
  private final transient List<PCollection<KV<Integer, Part>>> sharedParts;
  private final int buckets;
  private final boolean statefulInBatch;

  AttachAnswers(List<AnswerSet<?>> sets, int buckets, boolean statefulInBatch) {
    this(sets, List.of(), buckets, statefulInBatch);
  }

  /**
   * {@code sharedParts} carry the answers of the sets built with {@link AnswerSet#inSharedParts},
   * as parts already keyed by the row id's bucket (one as-of step answering several sets).
   */
  AttachAnswers(
      List<AnswerSet<?>> sets,
      List<PCollection<KV<Integer, Part>>> sharedParts,
      int buckets,
      boolean statefulInBatch) {
    this.sets = sets;
    this.sharedParts = sharedParts;
    this.buckets = buckets;
    this.statefulInBatch = statefulInBatch;
  }

  /**
   * The id a row asks its queries under: one row per impression and label (FAKE_NEGATIVE has two).
   */
  static String rowId(TrainingExample e) {
    return e.getImpressionId() + "#" + e.getClicked();
  }

  /** The answers of one as-of step and how to write them. */
  static final class AnswerSet<V> implements Serializable {
    final String name;
    final transient PCollection<KV<String, V>> answers;
    final AsOfLookup<?, ?, V> lookup;

    /** Built once: a lookup's coder getters may build a new (costly) Avro coder per call. */
    final Coder<V> coder;

    AnswerSet(String name, PCollection<KV<String, V>> answers, AsOfLookup<?, ?, V> lookup) {
      this.name = name;
      this.answers = answers;
      this.lookup = lookup;
      this.coder = lookup.answerCoder();
    }

    /** A set whose answers come in {@link AttachAnswers}' shared parts, under its index. */
    static <V> AnswerSet<V> inSharedParts(String name, AsOfLookup<?, ?, V> lookup) {
      return new AnswerSet<>(name, null, lookup);
    }

    void fill(TrainingExample row, byte[] encoded) throws CoderException {
      lookup.fill(row, CoderUtils.decodeFromByteArray(coder, encoded));
    }
  }

  @Override
  public PCollection<TrainingExample> expand(PCollection<TrainingExample> rows) {
    KvCoder<Integer, Part> coder = partsCoder();
    PCollectionList<KV<Integer, Part>> parts =
        PCollectionList.of(
            rows.apply("RowParts", ParDo.of(new RowPartFn(buckets))).setCoder(coder));
    for (int i = 0; i < sets.size(); i++) {
      if (sets.get(i).answers != null) {
        parts = parts.and(answerParts(sets.get(i), i).setCoder(coder));
      }
    }
    for (PCollection<KV<Integer, Part>> shared : sharedParts) {
      parts = parts.and(shared.setCoder(coder));
    }
    PCollection<KV<Integer, Part>> all = parts.apply("FlattenParts", Flatten.pCollections());
    PCollection<TrainingExample> out;
    if (all.isBounded() == PCollection.IsBounded.BOUNDED && !statefulInBatch) {
      out =
          BatchGrouping.globalWindow("PartsGlobal", all)
              .apply("GroupByRow", GroupByBucket.create())
              .apply("AttachToRows", ParDo.of(new AttachFn(sets)));
    } else {
      out =
          BucketedAsOf.asOfInput("PartsGlobal", all)
              .apply("AttachToRowsStateful", ParDo.of(new AttachStreamFn(sets)));
    }
    return out.setCoder(TrainingRows.CODER);
  }

  /** The parts coder, for steps that build {@code sharedParts}. */
  static KvCoder<Integer, Part> partsCoder() {
    return KvCoder.of(VarIntCoder.of(), Part.Coder.INSTANCE);
  }

  private <V> PCollection<KV<Integer, Part>> answerParts(AnswerSet<V> s, int index) {
    return s.answers.apply(
        s.name + "AnswerParts", ParDo.of(new AnswerPartFn<>(s.coder, index, buckets)));
  }

  /** One part of a row: the row itself (index -1) or the answer of set {@code index}, encoded. */
  static final class Part {
    final int index;
    final String rowId;
    final byte[] payload;
    final long timestamp;

    Part(int index, String rowId, byte[] payload, long timestamp) {
      this.index = index;
      this.rowId = rowId;
      this.payload = payload;
      this.timestamp = timestamp;
    }

    static final class Coder extends StructuredCoder<Part> {
      static final Coder INSTANCE = new Coder();

      @Override
      public void encode(Part p, OutputStream os) throws IOException {
        VarIntCoder.of().encode(p.index, os);
        StringUtf8Coder.of().encode(p.rowId, os);
        ByteArrayCoder.of().encode(p.payload, os);
        VarLongCoder.of().encode(p.timestamp, os);
      }

      @Override
      public Part decode(InputStream is) throws IOException {
        return new Part(
            VarIntCoder.of().decode(is), StringUtf8Coder.of().decode(is),
            ByteArrayCoder.of().decode(is), VarLongCoder.of().decode(is));
      }

      @Override
      public List<? extends org.apache.beam.sdk.coders.Coder<?>> getCoderArguments() {
        return List.of();
      }

      @Override
      public void verifyDeterministic() {}
    }
  }

  private static final class RowPartFn extends DoFn<TrainingExample, KV<Integer, Part>> {
    private static final Coder<TrainingExample> ROWS = TrainingRows.CODER;
    private final int buckets;

    RowPartFn(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(
        @Element TrainingExample row, @Timestamp Instant ts, OutputReceiver<KV<Integer, Part>> out)
        throws CoderException {
      String id = rowId(row);
      out.output(
          KV.of(
              Buckets.of(id, buckets),
              new Part(ROW, id, CoderUtils.encodeToByteArray(ROWS, row), ts.getMillis())));
    }
  }

  private static final class AnswerPartFn<V> extends DoFn<KV<String, V>, KV<Integer, Part>> {
    private final Coder<V> coder;
    private final int index;
    private final int buckets;

    AnswerPartFn(Coder<V> coder, int index, int buckets) {
      this.coder = coder;
      this.index = index;
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(
        @Element KV<String, V> a, @Timestamp Instant ts, OutputReceiver<KV<Integer, Part>> out)
        throws CoderException {
      byte[] payload = CoderUtils.encodeToByteArray(coder, a.getValue());
      out.output(
          KV.of(
              Buckets.of(a.getKey(), buckets),
              new Part(index, a.getKey(), payload, ts.getMillis())));
    }
  }

  /**
   * Writes answers onto as many rows as have one answer from every set, outputs them at their
   * latest part's time, and returns the parts left waiting. Rows with the same id (duplicate rows)
   * ask the same queries, so their answers are interchangeable.
   */
  static List<Part> attach(
      List<AnswerSet<?>> sets, List<Part> parts, DoFn.OutputReceiver<TrainingExample> out)
      throws CoderException {
    List<List<Part>> byIndex = new ArrayList<>(sets.size() + 1);
    for (int i = 0; i <= sets.size(); i++) {
      byIndex.add(new ArrayList<>(1));
    }
    for (Part p : parts) {
      byIndex.get(p.index + 1).add(p);
    }
    int complete = Integer.MAX_VALUE;
    for (List<Part> l : byIndex) {
      complete = Math.min(complete, l.size());
    }
    for (int r = 0; r < complete; r++) {
      Part rowPart = byIndex.get(0).get(r);
      TrainingExample row = CoderUtils.decodeFromByteArray(RowPartFn.ROWS, rowPart.payload);
      long ts = rowPart.timestamp;
      for (int i = 0; i < sets.size(); i++) {
        Part answer = byIndex.get(i + 1).get(r);
        sets.get(i).fill(row, answer.payload);
        ts = Math.max(ts, answer.timestamp);
      }
      out.outputWithTimestamp(row, new Instant(ts));
    }
    List<Part> left = new ArrayList<>();
    for (List<Part> l : byIndex) {
      left.addAll(l.subList(Math.min(complete, l.size()), l.size()));
    }
    return left;
  }

  /** Bounded: all parts of a bucket at once. */
  private static final class AttachFn
      extends BatchGrouping.RestampingFn<KV<Integer, Iterable<Part>>, TrainingExample> {
    private final List<AnswerSet<?>> sets;

    AttachFn(List<AnswerSet<?>> sets) {
      this.sets = sets;
    }

    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<Part>> bucket, OutputReceiver<TrainingExample> out)
        throws CoderException {
      Map<String, List<Part>> byRow = new HashMap<>();
      for (Part p : bucket.getValue()) {
        byRow.computeIfAbsent(p.rowId, k -> new ArrayList<>(sets.size() + 1)).add(p);
      }
      for (Map.Entry<String, List<Part>> e : byRow.entrySet()) {
        List<Part> left = attach(sets, e.getValue(), out);
        if (left.stream().anyMatch(p -> p.index == ROW)) {
          throw new IllegalStateException(
              "row " + e.getKey() + " did not get an answer from every step");
        }
      }
    }
  }

  /** Unbounded: a row's parts wait in state until the last one comes, then leave together. */
  private static final class AttachStreamFn extends DoFn<KV<Integer, Part>, TrainingExample> {
    private static final String PARTS = "parts";
    private final List<AnswerSet<?>> sets;

    @StateId(PARTS)
    private final StateSpec<MapState<String, List<Part>>> partsSpec =
        StateSpecs.map(StringUtf8Coder.of(), ListCoder.of(Part.Coder.INSTANCE));

    AttachStreamFn(List<AnswerSet<?>> sets) {
      this.sets = sets;
    }

    @ProcessElement
    public void process(
        @Element KV<Integer, Part> element,
        @StateId(PARTS) MapState<String, List<Part>> pending,
        OutputReceiver<TrainingExample> out)
        throws CoderException {
      Part p = element.getValue();
      List<Part> parts = pending.get(p.rowId).read();
      parts = parts == null ? new ArrayList<>(sets.size() + 1) : new ArrayList<>(parts);
      parts.add(p);
      List<Part> left = parts.size() > sets.size() ? attach(sets, parts, out) : parts;
      if (left.isEmpty()) {
        pending.remove(p.rowId);
      } else {
        pending.put(p.rowId, left);
      }
    }
  }
}
