package io.ctrbeam.common;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;

import io.ctrbeam.testing.TestPipelineExtension;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A counter kept per bundle reports, once flushed, what per-element increments would have. */
@ExtendWith(TestPipelineExtension.class)
class BundleCounterTest {
  private static final String NS = "bundle-counter-test";

  @Test
  void aBoundedRunCountsEveryElementOnce(TestPipeline p) {
    PCollection<Integer> in =
        p.apply(Create.of(IntStream.range(0, 5_000).boxed().collect(Collectors.toList())));
    in.apply(ParDo.of(new EvensFn(true)));
    Map<String, Long> c = MetricsReader.read(p.run(), NS);
    // 5,000 elements, 2,500 of them even: counted from the input, not by the DoFn's rule.
    assertThat(c.get("seen"), equalTo(5_000L));
    assertThat(c.get("even"), equalTo(2_500L));
  }

  @Test
  void aStreamOfSmallBundlesCountsEveryElementOnce(TestPipeline p) {
    TestStream.Builder<Integer> s = TestStream.create(VarIntCoder.of());
    for (int i = 0; i < 40; i += 4) {
      s = s.addElements(i, i + 1, i + 2, i + 3);
    }
    p.apply(s.advanceWatermarkToInfinity()).apply(ParDo.of(new EvensFn(true)));
    Map<String, Long> c = MetricsReader.read(p.run(), NS);
    assertThat(c.get("seen"), equalTo(40L));
    assertThat(c.get("even"), equalTo(20L));
  }

  @Test
  void withoutTheFlushNothingIsReported(TestPipeline p) {
    p.apply(Create.of(1, 2, 3)).apply(ParDo.of(new EvensFn(false)));
    PipelineResult r = p.run();
    assertThat(MetricsReader.read(r, NS), not(hasKey("seen")));
  }

  private static final class EvensFn extends DoFn<Integer, Void> {
    private final boolean flush;
    private final BundleCounter seen = BundleCounter.of(NS, "seen");
    private final BundleCounter even = BundleCounter.of(NS, "even");

    EvensFn(boolean flush) {
      this.flush = flush;
    }

    @ProcessElement
    public void process(@Element Integer i) {
      seen.inc();
      if (i % 2 == 0) {
        even.inc(1);
      }
    }

    @FinishBundle
    public void finish() {
      if (flush) {
        BundleCounter.flushAll(seen, even);
      }
    }
  }
}
