package io.ctrbeam.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;

/**
 * What weighting did to a run: rows and positives before and after downsampling, unweighted and
 * weighted, and the clipped rows. One per row merges into one per run ({@link #combineFn}).
 */
public final class WeightStats implements Serializable {
  private static final int N = 12;
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  // rowsIn, positivesIn, ipwIn, ipwPositivesIn, rowsOut, positivesOut, samplingWeightOut,
  // samplingWeightPositivesOut, weightOut, weightPositivesOut, clipped, samplingRate (max)
  private final double[] v;

  private WeightStats(double[] v) {
    this.v = v;
  }

  public static WeightStats empty() {
    return new WeightStats(new double[N]);
  }

  /** One input row: its label, IPW, whether kept and its sampling weight. */
  public static WeightStats row(
      boolean positive,
      double ipw,
      boolean clipped,
      boolean kept,
      double samplingWeight,
      double samplingRate) {
    double[] v = new double[N];
    double pos = positive ? 1 : 0;
    v[0] = 1;
    v[1] = pos;
    v[2] = ipw;
    v[3] = ipw * pos;
    if (kept) {
      v[4] = 1;
      v[5] = pos;
      v[6] = samplingWeight;
      v[7] = samplingWeight * pos;
      v[8] = ipw * samplingWeight;
      v[9] = ipw * samplingWeight * pos;
    }
    v[10] = clipped ? 1 : 0;
    v[11] = positive ? 0 : samplingRate;
    return new WeightStats(v);
  }

  WeightStats merge(WeightStats o) {
    double[] out = new double[N];
    for (int i = 0; i < N - 1; i++) {
      out[i] = v[i] + o.v[i];
    }
    out[N - 1] = Math.max(v[N - 1], o.v[N - 1]);
    return new WeightStats(out);
  }

  public long rowsIn() {
    return Math.round(v[0]);
  }

  public long positivesIn() {
    return Math.round(v[1]);
  }

  public long rowsOut() {
    return Math.round(v[4]);
  }

  public long positivesOut() {
    return Math.round(v[5]);
  }

  public long clippedRows() {
    return Math.round(v[10]);
  }

  /** Negatives dropped by downsampling. */
  public long negativesDropped() {
    return rowsIn() - rowsOut() - (positivesIn() - positivesOut());
  }

  /** The negative sampling rate applied (1 when nothing was sampled). */
  public double samplingRate() {
    return v[11] == 0 ? 1.0 : v[11];
  }

  /** Positives / rows before downsampling. */
  public double positiveRateIn() {
    return ratio(v[1], v[0]);
  }

  /** Σ ipw · clicked / Σ ipw before downsampling. */
  public double ipwPositiveRateIn() {
    return ratio(v[3], v[2]);
  }

  /** Positives / rows after downsampling. */
  public double positiveRateOut() {
    return ratio(v[5], v[4]);
  }

  /**
   * Σ sampling_weight · clicked / Σ sampling_weight after: ≈ {@link #positiveRateIn} within
   * sampling error.
   */
  public double samplingWeightedPositiveRateOut() {
    return ratio(v[7], v[6]);
  }

  /** Σ weight · clicked / Σ weight after: ≈ {@link #ipwPositiveRateIn}. */
  public double weightedPositiveRateOut() {
    return ratio(v[9], v[8]);
  }

  private static double ratio(double a, double b) {
    return b == 0 ? 0.0 : a / b;
  }

  public String toJson() {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("rows_in", rowsIn());
    o.put("positives_in", positivesIn());
    o.put("rows_out", rowsOut());
    o.put("positives_out", positivesOut());
    o.put("negatives_dropped", negativesDropped());
    o.put("clipped_rows", clippedRows());
    o.put("negative_sampling_rate", samplingRate());
    o.put("positive_rate_in", positiveRateIn());
    o.put("ipw_weighted_positive_rate_in", ipwPositiveRateIn());
    o.put("positive_rate_out", positiveRateOut());
    o.put("sampling_weighted_positive_rate_out", samplingWeightedPositiveRateOut());
    o.put("weighted_positive_rate_out", weightedPositiveRateOut());
    try {
      return MAPPER.writeValueAsString(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return toJson().replaceAll("\\s+", " ");
  }

  /** Sums per-row stats into the run's. */
  public static Combine.CombineFn<WeightStats, WeightStats, WeightStats> combineFn() {
    return new Sum();
  }

  private static final class Sum extends Combine.CombineFn<WeightStats, WeightStats, WeightStats> {
    @Override
    public WeightStats createAccumulator() {
      return empty();
    }

    @Override
    public WeightStats addInput(WeightStats acc, WeightStats in) {
      return acc.merge(in);
    }

    @Override
    public WeightStats mergeAccumulators(Iterable<WeightStats> accs) {
      WeightStats out = empty();
      for (WeightStats a : accs) {
        out = out.merge(a);
      }
      return out;
    }

    @Override
    public WeightStats extractOutput(WeightStats acc) {
      return acc;
    }

    @Override
    public Coder<WeightStats> getAccumulatorCoder(CoderRegistry r, Coder<WeightStats> in)
        throws CannotProvideCoderException {
      return WeightStatsCoder.INSTANCE;
    }

    @Override
    public Coder<WeightStats> getDefaultOutputCoder(CoderRegistry r, Coder<WeightStats> in)
        throws CannotProvideCoderException {
      return WeightStatsCoder.INSTANCE;
    }
  }

  /** Twelve doubles. */
  public static final class WeightStatsCoder extends AtomicCoder<WeightStats> {
    public static final WeightStatsCoder INSTANCE = new WeightStatsCoder();

    @Override
    public void encode(WeightStats value, OutputStream out) throws IOException {
      DataOutputStream d = new DataOutputStream(out);
      for (double x : value.v) {
        d.writeDouble(x);
      }
      d.flush();
    }

    @Override
    public WeightStats decode(InputStream in) throws IOException {
      DataInputStream d = new DataInputStream(in);
      double[] v = new double[N];
      for (int i = 0; i < N; i++) {
        v[i] = d.readDouble();
      }
      return new WeightStats(v);
    }

    @Override
    public void verifyDeterministic() {}
  }
}
