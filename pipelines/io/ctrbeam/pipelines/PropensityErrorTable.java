package io.ctrbeam.pipelines;

import io.ctrbeam.generate.ExpectedLabel;
import io.ctrbeam.generate.GeneratedLogs;
import io.ctrbeam.generate.GeneratorConfig;
import io.ctrbeam.generate.LogGenerator;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.weights.ClickCounts;
import io.ctrbeam.weights.Estimator;
import io.ctrbeam.weights.PropensityFit;
import io.ctrbeam.weights.PropensityTable;
import java.io.PrintStream;
import java.util.Map;

/**
 * The estimator error table of the README: for each seed, generates logs with known examination
 * probabilities (better ads ranked higher), counts clicks per (position, ad) from the generator's
 * labels, fits both estimators and prints, per position, the truth θ_p / θ_1, each estimate and its
 * absolute error, then the maximum and mean absolute error of each estimator.
 *
 * <pre>How to run:
 * mvn -q compile exec:java -Dexec.mainClass=io.ctrbeam.pipelines.PropensityErrorTable \
 *   -Dexec.args="200000 1000 42 7"   # impressions, ads, seeds...
 * </pre>
 */
public final class PropensityErrorTable {
  private PropensityErrorTable() {}

  /** Max and mean absolute error of one estimator against the truth, over positions 2..P. */
  public record Errors(double max, double mean) {}

  public static void main(String[] args) {
    long impressions = args.length > 0 ? Long.parseLong(args[0]) : 200_000L;
    int ads = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
    long[] seeds = args.length > 2 ? new long[args.length - 2] : new long[] {42L, 7L};
    for (int i = 2; i < args.length; i++) {
      seeds[i - 2] = Long.parseLong(args[i]);
    }
    for (long seed : seeds) {
      GeneratorConfig config =
          GeneratorConfig.defaults().withImpressionsPerDay(impressions).withAds(ads).withSeed(seed);
      print(config, System.out);
    }
  }

  /** Generates, fits and prints one seed's table; returns the errors of NAIVE and EM. */
  public static Map<Estimator, Errors> print(GeneratorConfig config, PrintStream out) {
    GeneratedLogs logs = LogGenerator.generate(config);
    PropensityTable t =
        PropensityFit.create().withPositions(config.positions()).fit(counts(logs, false));
    out.printf(
        "seed %d: %d impressions, %d ads, %d positions, rank noise %.2f; %d EM iterations%s%n",
        config.seed(),
        config.totalImpressions(),
        config.ads(),
        config.positions(),
        config.rankNoise(),
        t.emIterations(),
        t.emConverged() ? "" : " (not converged)");
    out.println("| position | truth | naive | abs err | EM | abs err |");
    out.println("|---:|---:|---:|---:|---:|---:|");
    for (PropensityTable.Entry e : t.positions()) {
      double truth = truth(config, e.position());
      out.printf(
          "| %d | %.3f | %.3f | %.3f | %.3f | %.3f |%n",
          e.position(),
          truth,
          e.naive(),
          Math.abs(e.naive() - truth),
          e.em(),
          Math.abs(e.em() - truth));
    }
    Errors naive = errors(config, t, Estimator.NAIVE);
    Errors em = errors(config, t, Estimator.EM);
    out.printf(
        "| max / mean (2..%d) | | | %.3f / %.3f | | %.3f / %.3f |%n%n",
        config.positions(), naive.max(), naive.mean(), em.max(), em.mean());
    return Map.of(Estimator.NAIVE, naive, Estimator.EM, em);
  }

  /** The generator's true examination probability of a position relative to position 1. */
  public static double truth(GeneratorConfig config, int position) {
    return config.examination(position) / config.examination(1);
  }

  /** Max and mean absolute error over positions 2..P (position 1 is 1.0 by definition). */
  public static Errors errors(GeneratorConfig config, PropensityTable t, Estimator e) {
    double max = 0;
    double sum = 0;
    int n = 0;
    for (PropensityTable.Entry x : t.positions()) {
      if (x.position() == 1) {
        continue;
      }
      double err = Math.abs(x.value(e) - truth(config, x.position()));
      max = Math.max(max, err);
      sum += err;
      n++;
    }
    return new Errors(max, n == 0 ? 0 : sum / n);
  }

  /** Impressions and clicks per (device or *, position, ad), labels from the generator's truth. */
  public static ClickCounts counts(GeneratedLogs logs, boolean byDevice) {
    Map<String, ExpectedLabel> labels = logs.truth().labels();
    ClickCounts c = new ClickCounts();
    for (Impression im : logs.impressions()) {
      ExpectedLabel l = labels.get(im.getImpressionId());
      if (l == null) {
        continue;
      }
      String context = byDevice ? ClickCounts.deviceContext(im.getDevice()) : ClickCounts.ALL;
      c.add(context, im.getPosition(), im.getAdId(), 1, l.clicked() ? 1 : 0);
    }
    return c;
  }
}
