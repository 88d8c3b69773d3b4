package io.ctrbeam.baseline;

import io.ctrbeam.features.FeatureParams;
import io.ctrbeam.features.KeyKind;
import io.ctrbeam.ingest.JsonRecordParser;
import io.ctrbeam.ingest.RecordKind;
import io.ctrbeam.label.ApplyLabelConfidence;
import io.ctrbeam.label.BatchLabeler;
import io.ctrbeam.label.LabelImpressions;
import io.ctrbeam.label.LabelMode;
import io.ctrbeam.label.LabelRows;
import io.ctrbeam.label.LabelRules;
import io.ctrbeam.label.Outcome;
import io.ctrbeam.quality.DatasetProfile;
import io.ctrbeam.quality.ProfileRecords;
import io.ctrbeam.quality.RecordFields;
import io.ctrbeam.schema.AdMetadata;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Conversion;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import io.ctrbeam.schema.UserProfile;
import io.ctrbeam.weights.ClickCounts;
import io.ctrbeam.weights.CountClicks;
import io.ctrbeam.weights.Estimator;
import io.ctrbeam.weights.PropensityFit;
import io.ctrbeam.weights.PropensityTable;
import io.ctrbeam.weights.SamplingPlan;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.transforms.Combine.CombineFn;

/**
 * Everything the batch pipeline writes, computed single-threaded in memory with no framework: the
 * benchmark's baseline, the best plain Java does on this machine. It reads JSON lines, applies the
 * ingest rules and the id dedup, labels clicks and conversions with {@link BatchLabeler}, applies
 * confidence with the default λ = ln(1000) / 24 h, weighs and samples the rows as the weights
 * package does, then computes the kept rows' point-in-time features of every key kind with one
 * sorted sweep each ({@link PointInTimeSweep}: every impression counts, and every click, since
 * every positive is kept) and the as-of profile and ad joins.
 *
 * <p>It covers the pipeline's default options (WAIT, W = 30 min, T = 2 h, 7 d conversions, 24 h
 * window and half-life, α = 1, β = 49, EM propensities, IPW clip 20, 10% target positive rate).
 */
public final class PlainJavaPipeline {
  private static final long DEDUP_HORIZON_MS = 24 * 3_600_000L;

  private final Instant clock;
  private final Map<String, Double> stageSeconds = new LinkedHashMap<>();

  public PlainJavaPipeline(Instant clock) {
    this.clock = clock;
  }

  /** Seconds spent per stage in the last {@link #run}. */
  public Map<String, Double> stageSeconds() {
    return stageSeconds;
  }

  /** The training rows of the logs under {@code logs} (the generator's layout). */
  public List<TrainingExample> run(Path logs) {
    stageSeconds.clear();
    long t0 = System.nanoTime();
    List<Impression> imps =
        dedup(
            read(logs.resolve("impressions"), RecordKind.IMPRESSION),
            Impression::getImpressionId,
            i -> i.getEventTime().toEpochMilli());
    List<Click> clicks =
        dedup(
            read(logs.resolve("clicks"), RecordKind.CLICK),
            Click::getClickId,
            c -> c.getEventTime().toEpochMilli());
    List<Conversion> convs =
        dedup(
            read(logs.resolve("conversions"), RecordKind.CONVERSION),
            Conversion::getConversionId,
            c -> c.getEventTime().toEpochMilli());
    List<UserProfile> profiles = read(logs.resolve("users"), RecordKind.USER_PROFILE);
    List<AdMetadata> ads = read(logs.resolve("ads"), RecordKind.AD_METADATA);
    long t1 = lap("ingest", t0);

    List<TrainingExample> rows = label(imps, clicks, convs);
    long t2 = lap("label", t1);
    rows = weigh(rows);
    long t3 = lap("weights", t2);
    features(rows, imps);
    long t4 = lap("features", t3);
    if (!profiles.isEmpty() || !ads.isEmpty()) {
      enrich(rows, profiles, ads);
    }
    long t5 = lap("enrich", t4);
    profile(RecordFields.IMPRESSION, imps);
    profile(RecordFields.CLICK, clicks);
    profile(RecordFields.CONVERSION, convs);
    profile(RecordFields.TRAINING, rows);
    lap("quality", t5);
    return rows;
  }

  /**
   * The quality gate's profile of one record type (its cost; the gate's verdict over four profiles
   * is constant work), with the pipeline's own combine.
   */
  private DatasetProfile profile(RecordFields fields, List<? extends IndexedRecord> records) {
    return all(ProfileRecords.<IndexedRecord>of(fields).withClock(clock).combineFn(), records);
  }

  /**
   * The default weighting: EM propensities from click counts, IPW clipped at 20, negatives sampled
   * to 10%.
   */
  private static List<TrainingExample> weigh(List<TrainingExample> rows) {
    CombineFn<TrainingExample, ?, ClickCounts> count = CountClicks.perPosition();
    ClickCounts counts = countAll(count, rows);
    PropensityTable table =
        PropensityFit.create().withMinImpressions(100).fit(counts).using(Estimator.EM);
    SamplingPlan plan = new SamplingPlan(table.positiveRate(), 0.10, true);
    List<TrainingExample> kept = new ArrayList<>(rows.size() / 4);
    for (TrainingExample e : rows) {
      boolean positive = e.getClicked() == 1;
      if (!plan.keep(positive, e.getImpressionId(), 0L)) {
        continue;
      }
      double p = table.propensity(e.getDevice(), e.getPosition());
      double ipw = Math.min(20.0, 1.0 / p);
      double rate = positive ? 1.0 : plan.negativeRate();
      e.setPositionPropensity(p);
      e.setIpwWeight(ipw);
      e.setSamplingRate(rate);
      e.setSamplingWeight(1.0 / rate);
      e.setWeight(ipw / rate);
      kept.add(e);
    }
    return kept;
  }

  private static <A> ClickCounts countAll(
      CombineFn<TrainingExample, A, ClickCounts> fn, List<TrainingExample> rows) {
    return all(fn, rows);
  }

  /** A combine over every element, in one accumulator. */
  private static <T, A, O> O all(CombineFn<T, A, O> fn, List<? extends T> xs) {
    A acc = fn.createAccumulator();
    for (T x : xs) {
      acc = fn.addInput(acc, x);
    }
    return fn.extractOutput(acc);
  }

  private long lap(String stage, long since) {
    long now = System.nanoTime();
    stageSeconds.put(stage, (now - since) / 1e9);
    return now;
  }

  private <T extends SpecificRecord> List<T> read(Path dir, RecordKind<T> kind) {
    List<T> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    JsonRecordParser<T> parser = new JsonRecordParser<>(kind, clock);
    forEachLine(
        dir,
        line -> {
          T r = parser.parseOrNull(line);
          if (r != null) {
            out.add(r);
          }
        });
    return out;
  }

  /** Keeps the earliest record per id; a repeat within the horizon is a duplicate. */
  static <T> List<T> dedup(List<T> in, Function<T, String> id, ToLongFunction<T> time) {
    Map<String, Object> byId = new HashMap<>(in.size() * 2);
    boolean repeats = false;
    for (T r : in) {
      Object prev = byId.putIfAbsent(id.apply(r), r);
      if (prev != null) {
        repeats = true;
        @SuppressWarnings("unchecked")
        List<T> same = prev instanceof List ? (List<T>) prev : new ArrayList<>(List.of((T) prev));
        same.add(r);
        byId.put(id.apply(r), same);
      }
    }
    if (!repeats) {
      return in;
    }
    List<T> out = new ArrayList<>(byId.size());
    for (Object v : byId.values()) {
      if (!(v instanceof List)) {
        @SuppressWarnings("unchecked")
        T r = (T) v;
        out.add(r);
        continue;
      }
      @SuppressWarnings("unchecked")
      List<T> same = (List<T>) v;
      same.sort(Comparator.comparingLong(time));
      long keptAt = Long.MIN_VALUE;
      for (T r : same) {
        long t = time.applyAsLong(r);
        if (keptAt == Long.MIN_VALUE || t >= keptAt + DEDUP_HORIZON_MS) {
          keptAt = t;
          out.add(r);
        }
      }
    }
    return out;
  }

  private static List<TrainingExample> label(
      List<Impression> imps, List<Click> clicks, List<Conversion> convs) {
    LabelImpressions cfg = LabelImpressions.create();
    Rows clicked = new Rows();
    BatchLabeler clickJoin = new BatchLabeler(cfg.clickRules());
    for (Impression i : imps) {
      clickJoin.addPrimary(LabelRows.toRow(i, LabelMode.WAIT), clicked);
    }
    for (Click c : clicks) {
      clickJoin.addOutcome(Outcome.of(c));
    }
    clickJoin.finish(clicked);

    Rows out = new Rows();
    BatchLabeler convJoin = new BatchLabeler(cfg.conversionRules());
    for (TrainingExample r : clicked.rows) {
      if (r.getClicked() == 1 && r.getClickTime() != null) {
        convJoin.addPrimary(r, out);
      } else {
        out.rows.add(r);
      }
    }
    for (Conversion c : convs) {
      convJoin.addOutcome(Outcome.of(c));
    }
    convJoin.finish(out);

    double lambda = LabelImpressions.DEFAULT_LAMBDA_PER_MS;
    for (TrainingExample r : out.rows) {
      r.setLabelConfidence(
          ApplyLabelConfidence.confidence(r.getClicked(), r.getElapsedMs(), lambda));
    }
    return out.rows;
  }

  private static void features(List<TrainingExample> rows, List<Impression> imps) {
    FeatureParams params = new FeatureParams(24 * 3_600_000L, 24 * 3_600_000L, 1.0, 49.0);
    for (KeyKind kind : KeyKind.values()) {
      Map<String, Integer> ids = new HashMap<>();
      PointInTimeSweep sweep = new PointInTimeSweep(params);
      for (Impression i : imps) {
        String k = kind.keyOf(i);
        if (k != null) {
          sweep.addEvent(
              ids.computeIfAbsent(k, x -> ids.size()), i.getEventTime().toEpochMilli(), false);
        }
      }
      int[] qKey = new int[rows.size()];
      long[] qTime = new long[rows.size()];
      for (int i = 0; i < rows.size(); i++) {
        TrainingExample r = rows.get(i);
        String k = kind.keyOf(r);
        Integer id = k == null ? null : ids.computeIfAbsent(k, x -> ids.size());
        qKey[i] = id == null ? -1 : id;
        qTime[i] = r.getEventTime().toEpochMilli();
        if (id != null && r.getClicked() == 1 && r.getClickTime() != null) {
          sweep.addEvent(id, r.getClickTime().toEpochMilli(), true);
        }
      }
      double[] v = sweep.answer(qKey, qTime);
      int[] at = kind.fieldPositions();
      for (int i = 0; i < rows.size(); i++) {
        TrainingExample r = rows.get(i);
        boolean none = Double.isNaN(v[4 * i]);
        long wi = (long) v[4 * i];
        long wc = (long) v[4 * i + 1];
        r.put(at[0], none ? null : wi);
        r.put(at[1], none ? null : wc);
        r.put(at[2], none ? null : FeatureParams.windowCtr(wc, wi));
        r.put(at[3], none ? null : v[4 * i + 2]);
        r.put(at[4], none ? null : v[4 * i + 3]);
        r.put(at[5], none ? null : params.smoothedCtr(v[4 * i + 3], v[4 * i + 2]));
      }
    }
  }

  private static void enrich(
      List<TrainingExample> rows, List<UserProfile> profiles, List<AdMetadata> ads) {
    AsOf<UserProfile> users =
        new AsOf<>(profiles, UserProfile::getUserId, u -> u.getUpdatedAt().toEpochMilli());
    AsOf<AdMetadata> meta =
        new AsOf<>(ads, AdMetadata::getAdId, a -> a.getUpdatedAt().toEpochMilli());
    for (TrainingExample r : rows) {
      long t = r.getEventTime().toEpochMilli();
      UserProfile u = users.at(r.getUserId(), t);
      r.setUserAgeBucket(u == null ? null : u.getAgeBucket());
      r.setUserGender(u == null ? null : u.getGender());
      r.setUserInterests(u == null ? null : u.getInterests());
      AdMetadata a = meta.at(r.getAdId(), t);
      r.setAdMetaAdvertiserId(a == null ? null : a.getAdvertiserId());
      r.setAdMetaCategory(a == null ? null : a.getCategory());
    }
  }

  /** Versions per id sorted by time; the latest at or before t. */
  private static final class AsOf<R> {
    private final Map<String, List<R>> byId = new HashMap<>();
    private final ToLongFunction<R> time;

    AsOf(List<R> versions, Function<R, String> id, ToLongFunction<R> time) {
      this.time = time;
      for (R r : versions) {
        byId.computeIfAbsent(id.apply(r), k -> new ArrayList<>(2)).add(r);
      }
      for (List<R> l : byId.values()) {
        l.sort(Comparator.comparingLong(time));
      }
    }

    R at(String id, long t) {
      List<R> l = id == null ? null : byId.get(id);
      if (l == null) {
        return null;
      }
      R best = null;
      for (R r : l) {
        if (time.applyAsLong(r) > t) {
          break;
        }
        best = r;
      }
      return best;
    }
  }

  private static void forEachLine(Path dir, Consumer<String> f) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.filter(x -> x.toString().endsWith(".jsonl")).sorted().toList()) {
        try (BufferedReader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
          for (String line = r.readLine(); line != null; line = r.readLine()) {
            if (!line.isBlank()) {
              f.accept(line);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Collects the rows. */
  private static final class Rows extends LabelRules.RowsOnlySink {
    final List<TrainingExample> rows = new ArrayList<>();

    @Override
    public void example(TrainingExample row, long ts) {
      rows.add(row);
    }
  }
}
