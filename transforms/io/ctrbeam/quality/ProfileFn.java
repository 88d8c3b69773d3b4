package io.ctrbeam.quality;

import io.ctrbeam.common.Reason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.IndexedRecord;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.datasketches.frequencies.ErrorType;
import org.apache.datasketches.frequencies.ItemsSketch;
import org.apache.datasketches.hll.Union;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/**
 * Profiles every field of a record type in one pass: one mergeable accumulator per record type
 * holds, for each field, exact counts and range, an HLL sketch (distinct), a KLL sketch (quantiles,
 * for numbers, times and list sizes), a frequent-items sketch (top categories) and, given a
 * reference, exact counts on the reference's frozen bins.
 */
final class ProfileFn<T extends IndexedRecord>
    extends CombineFn<T, ProfileAccumulator, DatasetProfile> {
  static final int HLL_LG_K = 12;
  static final int KLL_K = 200;
  static final int ITEMS_MAP_SIZE = 1024;
  static final long MIN_SELECTED_COUNT = 30;
  static final double[] QUANTILE_RANKS = {0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99};
  static final double[] DECILE_RANKS = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};

  private final RecordFields spec;
  private final int timeField;
  private final Bins[] reference;
  private final int topK;
  private final long latestMillis;

  ProfileFn(RecordFields spec, DatasetProfile reference, int topK, long latestMillis) {
    this.spec = spec;
    this.timeField = spec.fields().indexOf(spec.field(spec.timeField()));
    this.reference = new Bins[spec.fields().size()];
    for (int i = 0; reference != null && i < this.reference.length; i++) {
      FieldProfile ref = reference.field(spec.fields().get(i).name());
      this.reference[i] = ref == null ? null : ref.bins();
    }
    this.topK = topK;
    this.latestMillis = latestMillis;
  }

  @Override
  public ProfileAccumulator createAccumulator() {
    return new ProfileAccumulator(spec.fields().size());
  }

  @Override
  public ProfileAccumulator addInput(ProfileAccumulator a, T record) {
    a.records++;
    List<FieldSpec> fields = spec.fields();
    for (int i = 0; i < fields.size(); i++) {
      FieldSpec f = fields.get(i);
      Object v = RecordFields.value(record, f);
      FieldState s = a.fields[i];
      Reason broken = FieldRules.check(f, v, i == timeField, latestMillis);
      if (broken != null) {
        s.invalid[broken.ordinal()]++;
      }
      if (i == timeField && v != null) {
        long t = ((Double) v).longValue();
        a.earliest = Math.min(a.earliest, t);
        a.latest = Math.max(a.latest, t);
      }
      add(s, f, v, reference[i]);
    }
    return a;
  }

  private static void add(FieldState s, FieldSpec f, Object v, Bins ref) {
    if (ref != null) {
      if (s.onReference == null) {
        s.onReference = new long[ref.size()];
      }
      s.onReference[
          v instanceof String || (v == null && !ref.isNumeric())
              ? ref.indexOf((String) v)
              : ref.indexOf((Double) v)]++;
    }
    if (v == null) {
      s.nulls++;
      return;
    }
    s.nonNull++;
    if (s.hll == null) {
      s.hll = new Union(HLL_LG_K);
    }
    if (v instanceof String) {
      String str = (String) v;
      s.hll.update(str);
      if (f.kind() == FieldKind.CATEGORICAL) {
        if (s.items == null) {
          s.items = new ItemsSketch<>(ITEMS_MAP_SIZE);
        }
        s.items.update(str);
      }
      return;
    }
    double d = (Double) v;
    s.hll.update(d);
    if (Double.isNaN(d)) {
      return;
    }
    if (s.kll == null) {
      s.kll = KllDoublesSketch.newHeapInstance(KLL_K);
    }
    s.kll.update(d);
    s.min = Math.min(s.min, d);
    s.max = Math.max(s.max, d);
    s.sum += d;
  }

  @Override
  public ProfileAccumulator mergeAccumulators(Iterable<ProfileAccumulator> accumulators) {
    ProfileAccumulator out = null;
    for (ProfileAccumulator a : accumulators) {
      if (out == null) {
        out = a;
        continue;
      }
      out.records += a.records;
      out.earliest = Math.min(out.earliest, a.earliest);
      out.latest = Math.max(out.latest, a.latest);
      for (int i = 0; i < out.fields.length; i++) {
        out.fields[i].merge(a.fields[i]);
      }
    }
    return out == null ? createAccumulator() : out;
  }

  @Override
  public DatasetProfile extractOutput(ProfileAccumulator a) {
    List<FieldProfile> out = new ArrayList<>();
    for (int i = 0; i < a.fields.length; i++) {
      out.add(fieldProfile(spec.fields().get(i), a.fields[i], reference[i], topK));
    }
    return new DatasetProfile(
        spec.recordType(),
        a.records,
        a.earliest == Long.MAX_VALUE ? null : a.earliest,
        a.latest == Long.MIN_VALUE ? null : a.latest,
        out);
  }

  static FieldProfile fieldProfile(FieldSpec f, FieldState s, Bins ref, int topK) {
    long total = s.nonNull + s.nulls;
    Map<String, Long> invalid = new LinkedHashMap<>();
    long invalidTotal = 0;
    for (Reason r : Reason.values()) {
      if (s.invalid[r.ordinal()] > 0) {
        invalid.put(r.name(), s.invalid[r.ordinal()]);
        invalidTotal += s.invalid[r.ordinal()];
      }
    }
    Double distinct = null;
    if (s.hll != null) {
      distinct = s.hll.getEstimate();
    } else if (total > 0) {
      distinct = 0.0;
    }
    Double lower = s.hll == null ? distinct : (Double) s.hll.getLowerBound(2);
    Double upper = s.hll == null ? distinct : (Double) s.hll.getUpperBound(2);
    boolean numbers = s.kll != null && !s.kll.isEmpty();
    Map<String, Double> quantiles = null;
    Bins bins = null;
    if (numbers) {
      quantiles = new LinkedHashMap<>();
      double[] q = s.kll.getQuantiles(QUANTILE_RANKS, QuantileSearchCriteria.INCLUSIVE);
      for (int i = 0; i < q.length; i++) {
        quantiles.put(String.format("p%02d", Math.round(QUANTILE_RANKS[i] * 100)), q[i]);
      }
    }
    if (numbers && (f.kind() == FieldKind.NUMERIC || f.kind() == FieldKind.LIST)) {
      bins = numericBins(s, total);
    } else if (f.kind() == FieldKind.NUMERIC || f.kind() == FieldKind.LIST) {
      bins = Bins.numeric(new double[0], new long[] {0, s.nulls}, total, true);
    }
    List<FieldProfile.CategoryCount> top = null;
    Long topError = null;
    if (f.kind() == FieldKind.CATEGORICAL) {
      top = new ArrayList<>();
      if (s.items != null) {
        ItemsSketch.Row<String>[] rows = s.items.getFrequentItems(ErrorType.NO_FALSE_POSITIVES);
        Arrays.sort(
            rows,
            Comparator.comparingLong((ItemsSketch.Row<String> r) -> -r.getEstimate())
                .thenComparing(ItemsSketch.Row::getItem));
        for (int i = 0; i < Math.min(topK, rows.length); i++) {
          top.add(new FieldProfile.CategoryCount(rows[i].getItem(), rows[i].getEstimate()));
        }
        topError = s.items.getMaximumError();
      } else {
        topError = 0L;
      }
      bins =
          categoricalBins(
              top, s, total, topError == 0, s.items != null && s.items.getNumActiveItems() > topK);
    }
    Bins onRef =
        ref == null
            ? null
            : ref.withCounts(
                s.onReference == null ? new long[ref.size()] : s.onReference, total, true);
    return new FieldProfile(
        f.name(),
        f.kind(),
        f.required(),
        total,
        s.nulls,
        invalidTotal,
        invalid,
        distinct,
        lower,
        upper,
        numbers ? s.min : null,
        numbers ? s.max : null,
        numbers ? s.sum / s.kll.getN() : null,
        quantiles,
        numbers ? s.kll.getNormalizedRankError(false) : null,
        top,
        topError,
        bins,
        onRef);
  }

  /** Bins on this data's own deciles (plus its maximum when ties leave fewer than nine edges). */
  private static Bins numericBins(FieldState s, long total) {
    double[] deciles = s.kll.getQuantiles(DECILE_RANKS, QuantileSearchCriteria.INCLUSIVE);
    double[] edges = Arrays.stream(deciles).distinct().sorted().toArray();
    if (edges.length < DECILE_RANKS.length && s.max > edges[edges.length - 1]) {
      edges = Arrays.copyOf(edges, edges.length + 1);
      edges[edges.length - 1] = s.max;
    }
    double[] pmf = s.kll.getPMF(edges, QuantileSearchCriteria.EXCLUSIVE);
    long[] counts = new long[edges.length + 2];
    long assigned = 0;
    for (int i = 0; i < pmf.length; i++) {
      counts[i] = Math.round(pmf[i] * s.nonNull);
      assigned += counts[i];
    }
    // Rounding must not change the total: the largest bin takes the difference.
    int largest = 0;
    for (int i = 1; i < pmf.length; i++) {
      largest = counts[i] > counts[largest] ? i : largest;
    }
    counts[largest] += s.nonNull - assigned;
    counts[counts.length - 1] = s.nulls;
    return Bins.numeric(edges, counts, total, !s.kll.isEstimationMode());
  }

  /**
   * Bins on the top categories. When the top-K is a selection among more values, a category with
   * few counts is top partly by chance and its share regresses in the next sample (a bias that
   * sampling noise does not cover), so only categories with {@value #MIN_SELECTED_COUNT} counts or
   * more become bins; the rest is "other".
   */
  private static Bins categoricalBins(
      List<FieldProfile.CategoryCount> top,
      FieldState s,
      long total,
      boolean exact,
      boolean selected) {
    List<FieldProfile.CategoryCount> keep =
        selected ? top.stream().filter(t -> t.count() >= MIN_SELECTED_COUNT).toList() : top;
    List<String> cats = new ArrayList<>();
    long[] counts = new long[keep.size() + 2];
    long inTop = 0;
    for (int i = 0; i < keep.size(); i++) {
      cats.add(keep.get(i).value());
      counts[i] = keep.get(i).count();
      inTop += counts[i];
    }
    counts[keep.size()] = Math.max(0, s.nonNull - inTop);
    counts[keep.size() + 1] = s.nulls;
    return Bins.categorical(cats, counts, total, exact);
  }

  @Override
  public Coder<ProfileAccumulator> getAccumulatorCoder(CoderRegistry registry, Coder<T> inputCoder)
      throws CannotProvideCoderException {
    return ProfileAccumulatorCoder.INSTANCE;
  }

  @Override
  public Coder<DatasetProfile> getDefaultOutputCoder(CoderRegistry registry, Coder<T> inputCoder) {
    return QualityCoders.profile();
  }
}
