package io.ctrbeam.label;

import io.ctrbeam.common.BatchGrouping;
import io.ctrbeam.schema.TrainingExample;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;

/** The bounded outcome join: one {@link BatchLabeler} pass per bucket, no state, no timers. */
final class BatchLabelFn
    extends BatchGrouping.RestampingFn<KV<Integer, Iterable<LabelEvent>>, TrainingExample> {
  private final LabelRules rules;
  private final JoinOutputs tags;

  BatchLabelFn(LabelRules rules, JoinOutputs tags) {
    this.rules = rules;
    this.tags = tags;
  }

  @ProcessElement
  public void process(
      @Element KV<Integer, Iterable<LabelEvent>> bucket, MultiOutputReceiver receiver) {
    JoinOutputs.Out out = tags.sink(receiver, BoundedWindow.TIMESTAMP_MIN_VALUE);
    BatchLabeler labeler = new BatchLabeler(rules);
    for (LabelEvent e : bucket.getValue()) {
      if (e.primary() != null) {
        labeler.addPrimary(e.primary(), out);
      } else {
        labeler.addOutcome(e.outcome());
      }
    }
    labeler.finish(out);
  }
}
