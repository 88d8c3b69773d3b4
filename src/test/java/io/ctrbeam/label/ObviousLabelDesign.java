package io.ctrbeam.label;

import io.ctrbeam.schema.Click;
import io.ctrbeam.schema.Impression;
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
import org.apache.beam.sdk.values.PDone;
import org.joda.time.Instant;

/**
 * The obvious labeling design, kept as the benchmark's comparison row: one Beam key per
 * impression_id, a ValueState holding the impression's time, one for its earliest click, and one
 * event-time timer at t + T that emits the label. Rows are counted, not built.
 */
final class ObviousLabelDesign extends PTransform<PCollectionList<KV<String, Long>>, PDone> {
  static final String NAMESPACE = "obvious";
  private final long windowMs;
  private final long waitMs;

  ObviousLabelDesign(long windowMs, long waitMs) {
    this.windowMs = windowMs;
    this.waitMs = waitMs;
  }

  /** Impressions as (id, +t) and clicks as (impression id, -t - 1), so one KV type carries both. */
  static PCollectionList<KV<String, Long>> inputs(PCollection<Impression> imps, PCollection<Click> clicks) {
    KvCoder<String, Long> kv = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    return PCollectionList.of(imps.apply("KeyImpressions", ParDo.of(new DoFn<Impression, KV<String, Long>>() {
              @ProcessElement
              public void process(@Element Impression i, OutputReceiver<KV<String, Long>> out) {
                out.output(KV.of(i.getImpressionId(), i.getEventTime().toEpochMilli()));
              }
            })).setCoder(kv))
        .and(clicks.apply("KeyClicks", ParDo.of(new DoFn<Click, KV<String, Long>>() {
              @ProcessElement
              public void process(@Element Click c, OutputReceiver<KV<String, Long>> out) {
                out.output(KV.of(c.getImpressionId(), -c.getEventTime().toEpochMilli() - 1));
              }
            })).setCoder(kv));
  }

  @Override
  public PDone expand(PCollectionList<KV<String, Long>> in) {
    in.apply("FlattenEvents", Flatten.pCollections()).apply("LabelPerImpression", ParDo.of(new PerImpressionFn(windowMs, waitMs)));
    return PDone.in(in.getPipeline());
  }

  static final class PerImpressionFn extends DoFn<KV<String, Long>, Void> {
    private final long windowMs;
    private final long waitMs;
    private final Counter positives = Metrics.counter(NAMESPACE, "positive");
    private final Counter negatives = Metrics.counter(NAMESPACE, "negative");
    private final Counter orphans = Metrics.counter(NAMESPACE, "orphan");

    @StateId("impression")
    private final StateSpec<ValueState<Long>> impSpec = StateSpecs.value(VarLongCoder.of());

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
        @Element KV<String, Long> e,
        @StateId("impression") ValueState<Long> imp,
        @StateId("click") ValueState<Long> click,
        @TimerId("due") Timer due) {
      long v = e.getValue();
      if (v >= 0) {
        imp.write(v);
        due.set(new Instant(v + waitMs));
      } else {
        long t = -v - 1;
        Long prev = click.read();
        if (prev == null || t < prev) {
          click.write(t);
        }
        if (imp.read() == null) {
          due.set(new Instant(t + waitMs));
        }
      }
    }

    @OnTimer("due")
    public void onDue(@StateId("impression") ValueState<Long> imp, @StateId("click") ValueState<Long> click) {
      Long t = imp.read();
      Long c = click.read();
      if (t == null) {
        orphans.inc();
      } else if (c != null && c > t && c - t <= windowMs) {
        positives.inc();
      } else {
        negatives.inc();
      }
      imp.clear();
      click.clear();
    }
  }
}
