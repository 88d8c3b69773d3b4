package io.ctrbeam.weights;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Fits both propensity estimators to {@link ClickCounts} (plain Java, deterministic: cells are
 * visited in sorted order).
 *
 * <ul>
 *   <li><b>Naive</b> (the seed's): P̂_p = CTR_p / CTR_ref with CTR_p = (clicks_p + m·r̄) / (impr_p
 *       + m), r̄ the context's CTR and m {@link #withSmoothing pseudo-impressions}.
 *   <li><b>EM</b>: the position-based click model P(click | p, ad) = θ_p · γ_ad, fit by
 *       expectation-maximization (Wang et al., WSDM 2018, with one relevance per ad). The E-step
 *       splits each cell's non-clicks into "examined, not relevant" θ(1−γ)/(1−θγ) and "relevant,
 *       not examined" (1−θ)γ/(1−θγ); the M-step re-estimates θ per (context, position) and γ per ad
 *       from them. θ has a uniform Beta(1, 1) prior and γ a prior of {@link #withRelevancePrior}
 *       pseudo-impressions at the mean relevance, so no estimate reaches 0 or 1. It starts from the
 *       naive estimate and stops when no normalized propensity moves more than the tolerance.
 * </ul>
 *
 * <p>Both are relative to the reference position (the top position with at least {@link
 * #withMinImpressions} impressions, normally 1) and capped to (0, 1]. The stated fallbacks (see
 * {@link Fallback}): no click in a context → every position 1.0; a position never shown or shown
 * less than the minimum → the propensity of the nearest estimated position above (1.0 above the
 * reference); the reference without clicks → its CTR is the smoothed prior.
 */
public final class PropensityFit implements Serializable {
  private final int minImpressions;
  private final double smoothing;
  private final double relevancePrior;
  private final int maxIterations;
  private final double tolerance;
  private final int positions;
  private final Estimator estimator;

  private PropensityFit(
      int minImpressions,
      double smoothing,
      double relevancePrior,
      int maxIterations,
      double tolerance,
      int positions,
      Estimator estimator) {
    this.minImpressions = minImpressions;
    this.smoothing = smoothing;
    this.relevancePrior = relevancePrior;
    this.maxIterations = maxIterations;
    this.tolerance = tolerance;
    this.positions = positions;
    this.estimator = estimator;
  }

  /**
   * Defaults: 100 minimum impressions, m = 10, relevance prior 1, ≤ 10,000 EM iterations to 1e-7,
   * EM used.
   */
  public static PropensityFit create() {
    return new PropensityFit(100, 10.0, 1.0, 10_000, 1e-7, 0, Estimator.EM);
  }

  /** Positions with fewer impressions than this fall back (see {@link Fallback}). */
  public PropensityFit withMinImpressions(int n) {
    checkArgument(n >= 1, "minImpressions must be >= 1, got %s", n);
    return new PropensityFit(
        n, smoothing, relevancePrior, maxIterations, tolerance, positions, estimator);
  }

  /** Pseudo-impressions m at the context's CTR added to each position's CTR (naive estimator). */
  public PropensityFit withSmoothing(double m) {
    checkArgument(m >= 0 && Double.isFinite(m), "smoothing must be >= 0, got %s", m);
    return new PropensityFit(
        minImpressions, m, relevancePrior, maxIterations, tolerance, positions, estimator);
  }

  /** Pseudo-impressions of the prior on each ad's relevance (EM). */
  public PropensityFit withRelevancePrior(double s) {
    checkArgument(s >= 0 && Double.isFinite(s), "relevancePrior must be >= 0, got %s", s);
    return new PropensityFit(
        minImpressions, smoothing, s, maxIterations, tolerance, positions, estimator);
  }

  /**
   * EM stops after this many iterations or when no propensity moves more than {@code tolerance}.
   */
  public PropensityFit withConvergence(int maxIterations, double tolerance) {
    checkArgument(maxIterations >= 1, "maxIterations must be >= 1, got %s", maxIterations);
    checkArgument(tolerance > 0, "tolerance must be > 0, got %s", tolerance);
    return new PropensityFit(
        minImpressions, smoothing, relevancePrior, maxIterations, tolerance, positions, estimator);
  }

  /** Report positions 1..n even when some were never shown; 0 = up to the deepest shown. */
  public PropensityFit withPositions(int n) {
    checkArgument(n >= 0, "positions must be >= 0, got %s", n);
    return new PropensityFit(
        minImpressions, smoothing, relevancePrior, maxIterations, tolerance, n, estimator);
  }

  /** The estimator rows look up. */
  public PropensityFit withEstimator(Estimator e) {
    checkArgument(e != null, "estimator must not be null, got %s", e);
    return new PropensityFit(
        minImpressions, smoothing, relevancePrior, maxIterations, tolerance, positions, e);
  }

  public Estimator estimator() {
    return estimator;
  }

  Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("estimator", estimator);
    m.put("minImpressions", minImpressions);
    m.put("smoothing", smoothing);
    m.put("relevancePrior", relevancePrior);
    m.put("maxIterations", maxIterations);
    m.put("tolerance", tolerance);
    m.put("positions", positions);
    return m;
  }

  /**
   * Fits both estimators; per context when the counts have contexts, always with an all-device
   * table.
   */
  public PropensityTable fit(ClickCounts counts) {
    List<PropensityTable.Entry> entries = new ArrayList<>();
    Em all = new Em(counts.withoutContext());
    entries.addAll(all.entries());
    boolean perContext =
        counts.sorted().keySet().stream().anyMatch(c -> !c.context().equals(ClickCounts.ALL));
    int iterations = all.iterations;
    boolean converged = all.converged;
    if (perContext) {
      Em byContext = new Em(counts);
      iterations = Math.max(iterations, byContext.iterations);
      converged &= byContext.converged;
      for (PropensityTable.Entry e : byContext.entries()) {
        boolean own =
            e.fallback() == Fallback.NONE || e.fallback() == Fallback.REFERENCE_WITHOUT_CLICKS;
        entries.add(
            own
                ? e
                : new PropensityTable.Entry(
                    e.context(),
                    e.position(),
                    e.impressions(),
                    e.clicks(),
                    e.naive(),
                    e.em(),
                    Fallback.ALL_DEVICES));
      }
    }
    return new PropensityTable(estimator, "estimated", iterations, converged, entries);
  }

  /** One fit over the contexts of its counts: θ per (context, position), γ per ad shared. */
  private final class Em {
    final String[] contexts;
    final int depth;
    final long[][] n;
    final long[][] k;
    final int[] cellContext;
    final int[] cellPosition;
    final int[] cellAd;
    final long[] cellN;
    final long[] cellK;
    final int ads;
    final double[][] naive;
    final double[][] em;
    final Fallback[][] fallback;
    int iterations;
    boolean converged;

    Em(ClickCounts counts) {
      TreeMap<ClickCounts.Cell, long[]> cells = counts.sorted();
      TreeSet<String> ctx = new TreeSet<>();
      TreeSet<String> adSet = new TreeSet<>();
      int deepest = positions;
      for (ClickCounts.Cell c : cells.keySet()) {
        ctx.add(c.context());
        adSet.add(c.ad());
        deepest = Math.max(deepest, c.position());
      }
      if (ctx.isEmpty()) {
        ctx.add(ClickCounts.ALL);
      }
      contexts = ctx.toArray(new String[0]);
      depth = Math.max(1, deepest);
      List<String> adList = new ArrayList<>(adSet);
      Map<String, Integer> adIndex = new LinkedHashMap<>();
      adList.forEach(a -> adIndex.put(a, adIndex.size()));
      List<String> ctxList = List.of(contexts);
      ads = adList.size();
      int m = cells.size();
      cellContext = new int[m];
      cellPosition = new int[m];
      cellAd = new int[m];
      cellN = new long[m];
      cellK = new long[m];
      n = new long[contexts.length][depth + 1];
      k = new long[contexts.length][depth + 1];
      int i = 0;
      for (Map.Entry<ClickCounts.Cell, long[]> e : cells.entrySet()) {
        ClickCounts.Cell c = e.getKey();
        cellContext[i] = ctxList.indexOf(c.context());
        cellPosition[i] = c.position();
        cellAd[i] = adIndex.get(c.ad());
        cellN[i] = e.getValue()[0];
        cellK[i] = Math.min(e.getValue()[1], e.getValue()[0]);
        n[cellContext[i]][c.position()] += cellN[i];
        k[cellContext[i]][c.position()] += cellK[i];
        i++;
      }
      naive = new double[contexts.length][depth + 1];
      em = new double[contexts.length][depth + 1];
      fallback = new Fallback[contexts.length][depth + 1];
      for (int c = 0; c < contexts.length; c++) {
        naive[c] = finish(c, naiveRaw(c));
      }
      fitEm();
    }

    private double[] naiveRaw(int c) {
      long nn = 0;
      long kk = 0;
      for (int p = 1; p <= depth; p++) {
        nn += n[c][p];
        kk += k[c][p];
      }
      double rate = nn == 0 ? 0 : (double) kk / nn;
      double[] ctr = new double[depth + 1];
      for (int p = 1; p <= depth; p++) {
        ctr[p] = (k[c][p] + smoothing * rate) / (n[c][p] + smoothing);
      }
      return ctr;
    }

    private int reference(int c) {
      for (int p = 1; p <= depth; p++) {
        if (n[c][p] >= minImpressions) {
          return p;
        }
      }
      return -1;
    }

    /**
     * Relative to the reference, capped to (0, 1], with the stated fallbacks; also sets the flags.
     */
    private double[] finish(int c, double[] raw) {
      double[] out = new double[depth + 1];
      long clicks = 0;
      for (int p = 1; p <= depth; p++) {
        clicks += k[c][p];
      }
      int ref = reference(c);
      double last = 1.0;
      for (int p = 1; p <= depth; p++) {
        Fallback f;
        double v;
        if (clicks == 0) {
          f = Fallback.NO_CLICKS;
          v = 1.0;
        } else if (ref < 0 || p < ref || n[c][p] < minImpressions) {
          f = n[c][p] == 0 ? Fallback.NOT_SHOWN : Fallback.FEW_IMPRESSIONS;
          v = ref < 0 || p < ref ? 1.0 : last;
        } else if (p == ref) {
          f = k[c][p] == 0 ? Fallback.REFERENCE_WITHOUT_CLICKS : Fallback.NONE;
          v = 1.0;
        } else {
          f = Fallback.NONE;
          double ratio = raw[ref] > 0 ? raw[p] / raw[ref] : 1.0;
          v = Double.isFinite(ratio) && ratio > 0 ? Math.min(1.0, ratio) : last;
        }
        out[p] = v;
        last = v;
        fallback[c][p] = f;
      }
      return out;
    }

    private void fitEm() {
      int nc = contexts.length;
      double[][] theta = new double[nc][depth + 1];
      for (int c = 0; c < nc; c++) {
        for (int p = 1; p <= depth; p++) {
          theta[c][p] = Math.max(0.01, Math.min(0.99, naive[c][p]));
        }
      }
      double[] gamma = new double[ads];
      double[] exposure = new double[ads];
      long[] adClicks = new long[ads];
      double totalExposure = 0;
      long totalClicks = 0;
      for (int i = 0; i < cellN.length; i++) {
        double x = theta[cellContext[i]][cellPosition[i]] * cellN[i];
        exposure[cellAd[i]] += x;
        adClicks[cellAd[i]] += cellK[i];
        totalExposure += x;
        totalClicks += cellK[i];
      }
      double meanRelevance =
          totalExposure > 0 ? Math.min(0.5, Math.max(1e-6, totalClicks / totalExposure)) : 0.5;
      for (int a = 0; a < ads; a++) {
        gamma[a] =
            clamp((adClicks[a] + relevancePrior * meanRelevance) / (exposure[a] + relevancePrior));
      }
      double[][] previous = new double[nc][];
      for (int c = 0; c < nc; c++) {
        previous[c] = relative(c, theta[c]);
      }
      converged = cellN.length == 0;
      iterations = 0;
      while (!converged && iterations < maxIterations) {
        iterations++;
        double[][] thetaNum = new double[nc][depth + 1];
        double[] gammaNum = new double[ads];
        double[] gammaDen = new double[ads];
        for (int i = 0; i < cellN.length; i++) {
          double t = theta[cellContext[i]][cellPosition[i]];
          double g = gamma[cellAd[i]];
          double d = Math.max(1e-12, 1 - t * g);
          double nonClicks = cellN[i] - cellK[i];
          thetaNum[cellContext[i]][cellPosition[i]] += cellK[i] + nonClicks * t * (1 - g) / d;
          gammaNum[cellAd[i]] += cellK[i] + nonClicks * (1 - t) * g / d;
          gammaDen[cellAd[i]] += cellN[i];
        }
        for (int c = 0; c < nc; c++) {
          for (int p = 1; p <= depth; p++) {
            theta[c][p] = clamp((thetaNum[c][p] + 1) / (n[c][p] + 2));
          }
        }
        for (int a = 0; a < ads; a++) {
          gamma[a] =
              clamp(
                  (gammaNum[a] + relevancePrior * meanRelevance) / (gammaDen[a] + relevancePrior));
        }
        double moved = 0;
        for (int c = 0; c < nc; c++) {
          double[] now = relative(c, theta[c]);
          for (int p = 1; p <= depth; p++) {
            moved = Math.max(moved, Math.abs(now[p] - previous[c][p]));
          }
          previous[c] = now;
        }
        converged = moved < tolerance;
      }
      for (int c = 0; c < nc; c++) {
        em[c] = finish(c, theta[c]);
      }
    }

    private double[] relative(int c, double[] theta) {
      int ref = Math.max(1, reference(c));
      double[] out = new double[depth + 1];
      for (int p = 1; p <= depth; p++) {
        out[p] = theta[p] / theta[ref];
      }
      return out;
    }

    List<PropensityTable.Entry> entries() {
      List<PropensityTable.Entry> out = new ArrayList<>();
      for (int c = 0; c < contexts.length; c++) {
        for (int p = 1; p <= depth; p++) {
          out.add(
              new PropensityTable.Entry(
                  contexts[c], p, n[c][p], k[c][p], naive[c][p], em[c][p], fallback[c][p]));
        }
      }
      return out;
    }
  }

  private static double clamp(double v) {
    return Math.max(1e-9, Math.min(1 - 1e-9, v));
  }
}
