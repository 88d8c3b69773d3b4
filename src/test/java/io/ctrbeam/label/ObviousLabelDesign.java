package io.ctrbeam.label;

import io.ctrbeam.common.TrainingRows;
import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Impression;
import io.ctrbeam.schema.TrainingExample;
import java.time.Instant;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

/**
 * The obvious labeling design, kept as the benchmark's comparison row: one Beam key per
 * impression_id, a ValueState holding the impression's row, one holding its earliest click time,
 * and one event-time timer at t + T that emits the labeled row. Same row type and coder as {@link
 * LabelImpressions}; no dead letters, corrections or stats.
 */
final class ObviousLabelDesign
    extends PTransform<PCollectionList<KV<String, LabelEvent>>, PCollection<TrainingExample>> {
  static final String NAMESPACE = "obvious";
  private final long windowMs;
  private final long waitMs;

  ObviousLabelDesign(long windowMs, long waitMs) {
    this.windowMs = windowMs;
    this.waitMs = waitMs;
  }

  static PCollectionList<KV<String, LabelEvent>> inputs(
      PCollection<Impression> imps, PCollection<Click> clicks) {
    KvCoder<String, LabelEvent> kv =
        KvCoder.of(StringUtf8Coder.of(), LabelEvent.LabelEventCoder.of());
    return PCollectionList.of(
            imps.apply(
                    "KeyImpressions",
                    ParDo.of(
                        new DoFn<Impression, KV<String, LabelEvent>>() {
                          @ProcessElement
                          public void process(
                              @Element Impression i, OutputReceiver<KV<String, LabelEvent>> out) {
                            out.output(
                                KV.of(
                                    i.getImpressionId(),
                                    LabelEvent.primary(LabelRows.toRow(i, LabelMode.WAIT))));
                          }
                        }))
                .setCoder(kv))
        .and(
            clicks
                .apply(
                    "KeyClicks",
                    ParDo.of(
                        new DoFn<Click, KV<String, LabelEvent>>() {
                          @ProcessElement
                          public void process(
                              @Element Click c, OutputReceiver<KV<String, LabelEvent>> out) {
                            out.output(
                                KV.of(c.getImpressionId(), LabelEvent.outcome(Outcome.of(c))));
                          }
                        }))
                .setCoder(kv));
  }

  @Override
  public PCollection<TrainingExample> expand(PCollectionList<KV<String, LabelEvent>> in) {
    return in.apply("FlattenEvents", Flatten.pCollections())
        .apply("LabelPerImpression", ParDo.of(new PerImpressionFn(windowMs, waitMs)))
        .setCoder(TrainingRows.CODER);
  }

  static final class PerImpressionFn extends DoFn<KV<String, LabelEvent>, TrainingExample> {
    private final long windowMs;
    private final long waitMs;
    private final Counter positives = Metrics.counter(NAMESPACE, "positive");
    private final Counter negatives = Metrics.counter(NAMESPACE, "negative");

    @StateId("row")
    private final StateSpec<ValueState<TrainingExample>> rowSpec =
        StateSpecs.value(TrainingRows.CODER);

    @StateId("click")
    private final StateSpec<ValueState<Long>> clickSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId("due")
    private final TimerSpec dueSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    PerImpressionFn(long windowMs, long waitMs) {
      this.windowMs = windowMs;
      this.waitMs = waitMs;
    }

    @ProcessElement
    public void process(
        @Element KV<String, LabelEvent> e,
        @StateId("row") ValueState<TrainingExample> row,
        @StateId("click") ValueState<Long> click,
        @TimerId("due") Timer due) {
      if (e.getValue().primary() != null) {
        TrainingExample r = e.getValue().primary();
        row.write(r);
        due.set(new org.joda.time.Instant(r.getEventTime().toEpochMilli() + waitMs));
      } else {
        long t = e.getValue().outcome().timeMs();
        Long prev = click.read();
        if (prev == null || t < prev) {
          click.write(t);
        }
        if (row.read() == null) {
          due.set(new org.joda.time.Instant(t + waitMs));
        }
      }
    }

    @OnTimer("due")
    public void onDue(
        @StateId("row") ValueState<TrainingExample> row,
        @StateId("click") ValueState<Long> click,
        OutputReceiver<TrainingExample> out) {
      TrainingExample r = row.read();
      Long c = click.read();
      row.clear();
      click.clear();
      if (r == null) {
        return;
      }
      long t = r.getEventTime().toEpochMilli();
      TrainingExample l = TrainingRows.copy(r);
      if (c != null && c > t && c - t <= windowMs) {
        l.setClicked(1);
        l.setClickTime(Instant.ofEpochMilli(c));
        l.setClickDelayMs(c - t);
        l.setLabelTime(Instant.ofEpochMilli(c));
        l.setElapsedMs(c - t);
        l.setLabelConfidence(1.0);
        positives.inc();
      } else {
        l.setLabelTime(Instant.ofEpochMilli(t + waitMs));
        l.setElapsedMs(waitMs);
        l.setLabelConfidence(
            ApplyLabelConfidence.confidence(0, waitMs, LabelImpressions.DEFAULT_LAMBDA_PER_MS));
        negatives.inc();
      }
      out.output(l);
    }
  }
}
