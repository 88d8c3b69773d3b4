package io.ctrbeam.storage;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.io.ByteStreams;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.io.CountingOutputStream;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Spreads each partition of {@link WriteRecords} over files: the key becomes the file prefix {@code
 * <partition>/part[-<file index>]}.
 */
final class FileSharding {

  private FileSharding() {}

  /**
   * One file per partition, or {@code ceil(count / targetRecordsPerFile)} or {@code ceil(bytes /
   * targetFileBytes)} files by record hash when either target is set (bytes win).
   */
  static <T> PCollection<KV<String, T>> assign(
      PCollection<KV<String, T>> byPartition,
      Coder<T> sizeCoder,
      long targetRecordsPerFile,
      long targetFileBytes) {
    Coder<KV<String, T>> kvCoder = byPartition.getCoder();
    PCollection<KV<String, T>> byFile;
    if (targetRecordsPerFile > 0 || targetFileBytes > 0) {
      boolean bytes = targetFileBytes > 0;
      long perFile = bytes ? targetFileBytes : targetRecordsPerFile;
      // One small map per window, not a key per partition: DirectRunner pays per key and bundle.
      PCollectionView<Map<String, Long>> amounts =
          byPartition
              .apply(
                  bytes ? "MeasureBytes" : "CountRecords",
                  ParDo.of(new Amount<T>(bytes ? sizeCoder : null)))
              .apply(
                  "AmountPerPartition", Combine.globally(new SumPerPartition()).asSingletonView());
      byFile =
          byPartition
              .apply(
                  "AssignFiles",
                  ParDo.of(new AssignFile<T>(amounts, perFile)).withSideInputs(amounts))
              .setCoder(kvCoder);
    } else {
      byFile = byPartition.apply("FilePrefixes", ParDo.of(new FilePrefix<T>())).setCoder(kvCoder);
    }
    return byFile;
  }

  private static String prefixOf(String partition) {
    return partition.isEmpty() ? "part" : partition + "/part";
  }

  /** Replaces the partition key by the file prefix {@code <partition>/part}. */
  private static final class FilePrefix<T> extends DoFn<KV<String, T>, KV<String, T>> {
    @ProcessElement
    public void process(@Element KV<String, T> e, OutputReceiver<KV<String, T>> out) {
      out.output(KV.of(prefixOf(e.getKey()), e.getValue()));
    }
  }

  /**
   * Files a partition of {@code amount} (records or bytes) gets at {@code perFile} a file: at least
   * 1.
   */
  static long files(long amount, long perFile) {
    return Math.max(1, (amount + perFile - 1) / perFile);
  }

  /** Each record's amount, keyed by its partition: 1, or its Avro binary size given a coder. */
  private static final class Amount<T> extends DoFn<KV<String, T>, KV<String, Long>> {
    private final @Nullable Coder<T> sizeCoder;

    Amount(@Nullable Coder<T> sizeCoder) {
      this.sizeCoder = sizeCoder;
    }

    @ProcessElement
    public void process(@Element KV<String, T> e, OutputReceiver<KV<String, Long>> out)
        throws IOException {
      if (sizeCoder == null) {
        out.output(KV.of(e.getKey(), 1L));
        return;
      }
      CountingOutputStream bytes = new CountingOutputStream(ByteStreams.nullOutputStream());
      sizeCoder.encode(e.getValue(), bytes);
      out.output(KV.of(e.getKey(), bytes.getCount()));
    }
  }

  /** Sums amounts per partition into one map (one entry per partition). */
  static final class SumPerPartition
      extends Combine.CombineFn<KV<String, Long>, Map<String, Long>, Map<String, Long>> {
    @Override
    public Map<String, Long> createAccumulator() {
      return new HashMap<>();
    }

    @Override
    public Map<String, Long> addInput(Map<String, Long> acc, KV<String, Long> in) {
      acc.merge(in.getKey(), in.getValue(), Long::sum);
      return acc;
    }

    @Override
    public Map<String, Long> mergeAccumulators(Iterable<Map<String, Long>> accs) {
      Map<String, Long> merged = new HashMap<>();
      for (Map<String, Long> acc : accs) {
        acc.forEach((k, v) -> merged.merge(k, v, Long::sum));
      }
      return merged;
    }

    @Override
    public Map<String, Long> extractOutput(Map<String, Long> acc) {
      return acc;
    }

    @Override
    public Coder<Map<String, Long>> getAccumulatorCoder(
        CoderRegistry registry, Coder<KV<String, Long>> input) {
      return MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    }

    @Override
    public Coder<Map<String, Long>> getDefaultOutputCoder(
        CoderRegistry registry, Coder<KV<String, Long>> input) {
      return MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    }
  }

  /**
   * Replaces the partition key by {@code <partition>/part-<file index>}, by record hash. The map is
   * read once per bundle and window.
   */
  private static final class AssignFile<T> extends DoFn<KV<String, T>, KV<String, T>> {
    private final PCollectionView<Map<String, Long>> amounts;
    private final long perFile;
    private transient BoundedWindow window;
    private transient Map<String, Long> amountPerPartition;

    AssignFile(PCollectionView<Map<String, Long>> amounts, long perFile) {
      this.amounts = amounts;
      this.perFile = perFile;
    }

    @StartBundle
    public void start() {
      window = null;
    }

    @ProcessElement
    public void process(ProcessContext c, BoundedWindow w) {
      if (!w.equals(window)) {
        amountPerPartition = c.sideInput(amounts);
        window = w;
      }
      KV<String, T> e = c.element();
      long files = files(amountPerPartition.getOrDefault(e.getKey(), 0L), perFile);
      // Mixed so that records hashing alike in low bits still spread over files.
      long mixed = (e.getValue().hashCode() * 0x9E3779B97F4A7C15L) >>> 32;
      long index = Math.floorMod(mixed, files);
      c.output(KV.of(String.format("%s-%05d", prefixOf(e.getKey()), index), e.getValue()));
    }
  }
}
