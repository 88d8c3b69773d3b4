package io.ctrbeam.features;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.util.CoderUtils;

/**
 * The heap that {@link BucketedAsOf.SweepFn} holds per impression of one entity: items decoded as
 * the grouping delivers them (a query that also stands for its impression, with its own strings),
 * collected by {@link BucketedAsOf#byEntity}, plus the entity's {@link EntityHistory}. The README's
 * memory section uses it to say how hot an entity a task's heap can sweep.
 *
 * <pre>
 * mvn -q test-compile exec:java -Dexec.mainClass=io.ctrbeam.features.SweepItemBytes \
 *   -Dexec.classpathScope=test -Dexec.args="1000000"
 * </pre>
 */
public final class SweepItemBytes {
  private SweepItemBytes() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    AsOfElement.ItemCoder<String> coder =
        new AsOfElement.ItemCoder<>(NullableCoder.of(StringUtf8Coder.of())).withImpressionFlag();
    long start = 1_748_736_000_000L;
    byte[][] encoded = new byte[1000][];
    for (int i = 0; i < encoded.length; i++) {
      long t = start + i * 8_640L;
      encoded[i] =
          CoderUtils.encodeToByteArray(
              coder,
              AsOfElement.queryAndImpression(
                  "advertiser|adv_0042", "advertiser|" + UUID.randomUUID(), t, t + 7_200_000L));
    }
    long before = usedAfterGc();
    List<AsOfElement<String>> decoded = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      decoded.add(CoderUtils.decodeFromByteArray(coder, encoded[i % encoded.length]));
    }
    Map<String, List<AsOfElement<String>>> entities = BucketedAsOf.byEntity(decoded);
    decoded = null;
    List<AsOfElement<String>> items = entities.values().iterator().next();
    EntityHistory history = new EntityHistory(1e-8);
    for (AsOfElement<String> e : items) {
      if (!e.isQuery()) {
        history.add(e.time, false, null);
      }
    }
    long after = usedAfterGc();
    System.out.printf(
        "%,d impressions of one entity: %.0f bytes each (items %,d, history %,d)%n",
        n, (after - before) / (double) n, items.size(), history.keptEvents());
  }

  private static long usedAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 2; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return rt.totalMemory() - rt.freeMemory();
  }
}
