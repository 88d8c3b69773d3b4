package io.ctrbeam.generate;

import io.ctrbeam.common.Reason;
import java.util.List;

/**
 * Mergeable counts of one partition (or a whole run): injected defects and the expected labeling
 * outcome.
 */
final class Tally {
  final long[][] injected = new long[RecordType.values().length][Reason.values().length];
  final long[][] injectedAvro = new long[RecordType.values().length][Reason.values().length];
  final long[] records = new long[RecordType.values().length];
  long lateRecords;
  long impressions;
  long positives;
  long validClicks;
  long duplicateClicks;
  long clicksBeforeImpression;
  long clicksOutsideWindow;
  long clicksAfterHorizon;
  long orphanClicks;
  long conversions;
  long conversionsAttributed;
  long conversionsOutsideWindow;
  long conversionsUnattributed;
  final long[] positionImpressions;
  final long[] positionPositives;
  final double[] positionTrueCtrSum;

  Tally(int positions) {
    positionImpressions = new long[positions];
    positionPositives = new long[positions];
    positionTrueCtrSum = new double[positions];
  }

  void merge(Tally o) {
    for (int t = 0; t < injected.length; t++) {
      records[t] += o.records[t];
      for (int r = 0; r < injected[t].length; r++) {
        injected[t][r] += o.injected[t][r];
        injectedAvro[t][r] += o.injectedAvro[t][r];
      }
    }
    lateRecords += o.lateRecords;
    impressions += o.impressions;
    positives += o.positives;
    validClicks += o.validClicks;
    duplicateClicks += o.duplicateClicks;
    clicksBeforeImpression += o.clicksBeforeImpression;
    clicksOutsideWindow += o.clicksOutsideWindow;
    clicksAfterHorizon += o.clicksAfterHorizon;
    orphanClicks += o.orphanClicks;
    conversions += o.conversions;
    conversionsAttributed += o.conversionsAttributed;
    conversionsOutsideWindow += o.conversionsOutsideWindow;
    conversionsUnattributed += o.conversionsUnattributed;
    for (int p = 0; p < positionImpressions.length; p++) {
      positionImpressions[p] += o.positionImpressions[p];
      positionPositives[p] += o.positionPositives[p];
      positionTrueCtrSum[p] += o.positionTrueCtrSum[p];
    }
  }

  /**
   * Applies contract §2.1/2.2 to one valid impression and the valid clicks on it (bounded run): a
   * click with 0 < d <= W makes it positive (dated by the first, others are duplicates); d <= 0 and
   * d > W are counted apart. It converts when its conversion follows the first click within the
   * window.
   */
  ExpectedLabel label(
      GeneratorConfig c,
      String impressionId,
      long t,
      int position,
      double trueCtr,
      long[] clickTimes,
      int nClicks,
      long conversionTime,
      List<ExpectedLabel> sink) {
    impressions++;
    positionImpressions[position - 1]++;
    positionTrueCtrSum[position - 1] += trueCtr;
    long first = Long.MAX_VALUE;
    int inWindow = 0;
    for (int i = 0; i < nClicks; i++) {
      long d = clickTimes[i] - t;
      if (d <= 0) {
        clicksBeforeImpression++;
      } else if (d > c.windowMs()) {
        clicksOutsideWindow++;
        if (d > c.horizonMs()) {
          clicksAfterHorizon++;
        }
      } else {
        inWindow++;
        first = Math.min(first, clickTimes[i]);
      }
    }
    boolean positive = inWindow > 0;
    boolean converted = false;
    if (positive) {
      positives++;
      positionPositives[position - 1]++;
      duplicateClicks += inWindow - 1;
    }
    if (conversionTime >= 0) {
      long d = conversionTime - first;
      if (!positive) {
        conversionsUnattributed++;
      } else if (d > 0 && d <= c.conversionWindowMs()) {
        converted = true;
        conversionsAttributed++;
      } else {
        conversionsOutsideWindow++;
      }
    }
    ExpectedLabel l =
        new ExpectedLabel(
            impressionId,
            t,
            position,
            positive,
            positive ? first : null,
            converted,
            converted ? conversionTime : null);
    if (sink != null) {
      sink.add(l);
    }
    return l;
  }
}
