package io.ctrbeam.common;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.common.GroupByBucket.Packing;
import io.ctrbeam.testing.TestPipelineExtension;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.testing.CrashingRunner;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The grouping packed and plain: the same groups as a brute-force grouping, the same group
 * timestamps as the windowing asks, and on an unbounded stream a plain GroupByKey per window.
 */
@ExtendWith(TestPipelineExtension.class)
class GroupByBucketTest {
  private static final KvCoder<Integer, String> KV_CODER =
      KvCoder.of(VarIntCoder.of(), StringUtf8Coder.of());
  private static final long T0 = 1_704_067_200_000L; // 2024-01-01T00:00:00Z

  /** Five bundles of random keys and values (repeats included), each value timestamped. */
  private static List<List<TimestampedValue<KV<Integer, String>>>> input() {
    Random rnd = new Random(7);
    List<List<TimestampedValue<KV<Integer, String>>>> bundles = new ArrayList<>();
    for (int b = 0; b < 5; b++) {
      List<TimestampedValue<KV<Integer, String>>> bundle = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        bundle.add(
            TimestampedValue.of(
                KV.of(rnd.nextInt(7), "v" + rnd.nextInt(300)),
                new Instant(T0 + rnd.nextInt(1_000_000))));
      }
      bundles.add(bundle);
    }
    return bundles;
  }

  private static PCollection<KV<Integer, String>> read(
      Pipeline p,
      String name,
      List<List<TimestampedValue<KV<Integer, String>>>> bundles,
      TimestampCombiner c) {
    PCollectionList<KV<Integer, String>> parts = PCollectionList.empty(p);
    for (int b = 0; b < bundles.size(); b++) {
      parts =
          parts.and(
              p.apply(name + "Bundle" + b, Create.timestamped(bundles.get(b)).withCoder(KV_CODER)));
    }
    return parts
        .apply(name + "Flatten", Flatten.pCollections())
        .apply(
            name + "Window",
            Window.<KV<Integer, String>>into(new GlobalWindows()).withTimestampCombiner(c));
  }

  /** Each group as "key: sorted values", read twice to show the values can be iterated again. */
  static final class DescribeFn extends DoFn<KV<Integer, Iterable<String>>, String> {
    @ProcessElement
    public void process(@Element KV<Integer, Iterable<String>> g, OutputReceiver<String> out) {
      List<String> first = new ArrayList<>();
      g.getValue().forEach(first::add);
      List<String> second = new ArrayList<>();
      g.getValue().forEach(second::add);
      Collections.sort(first);
      Collections.sort(second);
      out.output(g.getKey() + ": " + first + (first.equals(second) ? "" : " then " + second));
    }
  }

  /** Each group's key and timestamp. */
  static final class StampFn extends DoFn<KV<Integer, Iterable<String>>, KV<Integer, Long>> {
    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<String>> g,
        @Timestamp Instant ts,
        OutputReceiver<KV<Integer, Long>> out) {
      out.output(KV.of(g.getKey(), ts.getMillis()));
    }
  }

  /** Packed and plain, each in the same pipeline. */
  private static final Packing[] BOTH = {Packing.ALWAYS, Packing.NEVER};

  /** Blocks of ~64 bytes: several per key and bundle. */
  private static GroupByBucket<Integer, String> grouping(Packing packing) {
    return GroupByBucket.<Integer, String>create().withPacking(packing).withMaxBlockBytes(64);
  }

  @Test
  void groupsAsABruteForceGroupingDoes(TestPipeline p) {
    List<List<TimestampedValue<KV<Integer, String>>>> bundles = input();
    Map<Integer, List<String>> expected = new TreeMap<>();
    for (List<TimestampedValue<KV<Integer, String>>> b : bundles) {
      for (TimestampedValue<KV<Integer, String>> v : b) {
        expected
            .computeIfAbsent(v.getValue().getKey(), k -> new ArrayList<>())
            .add(v.getValue().getValue());
      }
    }
    List<String> described = new ArrayList<>();
    expected.forEach(
        (k, vs) -> {
          Collections.sort(vs);
          described.add(k + ": " + vs);
        });

    for (Packing packing : BOTH) {
      PCollection<String> groups =
          read(p, packing.name(), bundles, TimestampCombiner.END_OF_WINDOW)
              .apply(packing + "Group", grouping(packing))
              .apply(packing + "Describe", ParDo.of(new DescribeFn()));
      PAssert.that(packing + " groups", groups).containsInAnyOrder(described);
    }
    p.run().waitUntilFinish();
  }

  @Test
  void groupTimestampsFollowTheTimestampCombiner(TestPipeline p) {
    List<List<TimestampedValue<KV<Integer, String>>>> bundles = input();
    Map<Integer, Long> earliest = new TreeMap<>();
    Map<Integer, Long> latest = new TreeMap<>();
    for (List<TimestampedValue<KV<Integer, String>>> b : bundles) {
      for (TimestampedValue<KV<Integer, String>> v : b) {
        earliest.merge(v.getValue().getKey(), v.getTimestamp().getMillis(), Math::min);
        latest.merge(v.getValue().getKey(), v.getTimestamp().getMillis(), Math::max);
      }
    }
    Map<Integer, Long> endOfWindow = new TreeMap<>();
    earliest
        .keySet()
        .forEach(k -> endOfWindow.put(k, GlobalWindow.INSTANCE.maxTimestamp().getMillis()));
    Map<TimestampCombiner, Map<Integer, Long>> expected =
        Map.of(
            TimestampCombiner.EARLIEST, earliest,
            TimestampCombiner.LATEST, latest,
            TimestampCombiner.END_OF_WINDOW, endOfWindow);

    for (Packing packing : BOTH) {
      for (Map.Entry<TimestampCombiner, Map<Integer, Long>> e : expected.entrySet()) {
        String name = packing + "" + e.getKey();
        PAssert.that(
                name + " group timestamps",
                read(p, name, bundles, e.getKey())
                    .apply(name + "Group", grouping(packing))
                    .apply(name + "Stamp", ParDo.of(new StampFn())))
            .containsInAnyOrder(kvs(e.getValue()));
      }
    }
    p.run().waitUntilFinish();
  }

  private static List<KV<Integer, Long>> kvs(Map<Integer, Long> m) {
    List<KV<Integer, Long>> out = new ArrayList<>();
    m.forEach((k, v) -> out.add(KV.of(k, v)));
    return out;
  }

  @Test
  void autoPacksOnDirectRunnerOnly() {
    assertThat(packs(PipelineOptionsFactory.create()), is(true)); // DirectRunner is the default
    PipelineOptions other = PipelineOptionsFactory.create();
    other.setRunner(CrashingRunner.class);
    assertThat(packs(other), is(false));
  }

  private static boolean packs(PipelineOptions options) {
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(KV.of(1, "a")).withCoder(KV_CODER)).apply("Group", GroupByBucket.create());
    AtomicBoolean packed = new AtomicBoolean();
    p.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            packed.compareAndSet(false, node.getFullName().endsWith("/PackBundles"));
            return CompositeBehavior.ENTER_TRANSFORM;
          }
        });
    return packed.get();
  }

  @Test
  void packingAnUnboundedStreamFailsWithAReason() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<KV<Integer, String>> stream =
        p.apply(
            TestStream.create(KV_CODER).addElements(KV.of(1, "a")).advanceWatermarkToInfinity());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                stream.apply(GroupByBucket.<Integer, String>create().withPacking(Packing.ALWAYS)));
    assertThat(e.getMessage(), containsString("bounded input in the global window"));
  }

  /**
   * Unbounded, in one-minute windows under a moving watermark: on-time values group per window,
   * values late within the allowed lateness come as a second pane, and droppably late ones are
   * dropped, as a GroupByKey does.
   */
  @Test
  void onAStreamItGroupsPerWindowAsAGroupByKeyDoes(TestPipeline p) {
    Instant w0 = new Instant(T0);
    Instant w1 = w0.plus(Duration.standardMinutes(1));
    TestStream<KV<Integer, String>> events =
        TestStream.create(KV_CODER)
            .advanceWatermarkTo(w0)
            .addElements(
                TimestampedValue.of(KV.of(1, "a"), w0.plus(Duration.standardSeconds(5))),
                TimestampedValue.of(KV.of(1, "b"), w0.plus(Duration.standardSeconds(50))),
                TimestampedValue.of(KV.of(2, "c"), w1.plus(Duration.standardSeconds(1))))
            .advanceWatermarkTo(w1.plus(Duration.standardSeconds(30)))
            // late for the first window, within its 1-minute lateness
            .addElements(
                TimestampedValue.of(KV.of(1, "late"), w0.plus(Duration.standardSeconds(20))))
            .advanceWatermarkTo(w1.plus(Duration.standardMinutes(3)))
            // past the first window's lateness: dropped
            .addElements(
                TimestampedValue.of(KV.of(1, "dropped"), w0.plus(Duration.standardSeconds(9))))
            .advanceWatermarkToInfinity();
    PCollection<String> groups =
        p.apply(events)
            .apply(
                Window.<KV<Integer, String>>into(FixedWindows.of(Duration.standardMinutes(1)))
                    .withAllowedLateness(Duration.standardMinutes(1))
                    .accumulatingFiredPanes())
            .apply(GroupByBucket.create())
            .apply(ParDo.of(new WindowedDescribeFn()));
    PAssert.that(groups).containsInAnyOrder("0 1: [a, b]", "0 1: [a, b, late]", "1 2: [c]");
    p.run().waitUntilFinish();
  }

  /** "window-index key: sorted values". */
  static final class WindowedDescribeFn extends DoFn<KV<Integer, Iterable<String>>, String> {
    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<String>> g, BoundedWindow w, OutputReceiver<String> out) {
      List<String> vs = new ArrayList<>();
      g.getValue().forEach(vs::add);
      Collections.sort(vs);
      long index = (w.maxTimestamp().getMillis() + 1 - T0) / 60_000L - 1;
      out.output(index + " " + g.getKey() + ": " + vs);
    }
  }
}
