package io.ctrbeam.label;

import io.ctrbeam.schema.TrainingExample;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/** The bounded outcome join: one {@link BatchLabeler} pass per bucket, no state, no timers. */
final class BatchLabelFn extends DoFn<KV<Integer, Iterable<LabelEvent>>, TrainingExample> {
  private final LabelRules rules;
  private final JoinTags tags;

  BatchLabelFn(LabelRules rules, JoinTags tags) {
    this.rules = rules;
    this.tags = tags;
  }

  @ProcessElement
  public void process(
      @Element KV<Integer, Iterable<LabelEvent>> bucket,
      @Timestamp Instant ts,
      MultiOutputReceiver receiver) {
    JoinTags.Out out = tags.sink(receiver, ts);
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
