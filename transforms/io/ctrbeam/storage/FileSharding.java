package io.ctrbeam.storage;

import java.io.IOException;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Keys;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.io.ByteStreams;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.io.CountingOutputStream;

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
      PCollection<KV<String, Long>> files;
      if (targetFileBytes > 0) {
        files =
            byPartition
                .apply("MeasureBytes", ParDo.of(new EncodedSize<T>(sizeCoder)))
                .apply("BytesPerPartition", Sum.longsPerKey())
                .apply(
                    "FilesPerPartition",
                    MapElements.into(kvs())
                        .via(kv -> KV.of(kv.getKey(), files(kv.getValue(), targetFileBytes))));
      } else {
        files =
            byPartition
                .apply("PartitionOfEach", Keys.create())
                .apply("CountPerPartition", Count.perElement())
                .apply(
                    "FilesPerPartition",
                    MapElements.into(kvs())
                        .via(kv -> KV.of(kv.getKey(), files(kv.getValue(), targetRecordsPerFile))));
      }
      PCollectionView<Map<String, Long>> filesView = files.apply("PartitionFiles", View.asMap());
      byFile =
          byPartition
              .apply(
                  "AssignFiles", ParDo.of(new AssignFile<T>(filesView)).withSideInputs(filesView))
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

  private static TypeDescriptor<KV<String, Long>> kvs() {
    return TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs());
  }

  /** The Avro binary size of each record, keyed by its partition. */
  private static final class EncodedSize<T> extends DoFn<KV<String, T>, KV<String, Long>> {
    private final Coder<T> coder;

    EncodedSize(Coder<T> coder) {
      this.coder = coder;
    }

    @ProcessElement
    public void process(@Element KV<String, T> e, OutputReceiver<KV<String, Long>> out)
        throws IOException {
      CountingOutputStream bytes = new CountingOutputStream(ByteStreams.nullOutputStream());
      coder.encode(e.getValue(), bytes);
      out.output(KV.of(e.getKey(), bytes.getCount()));
    }
  }

  /**
   * Replaces the partition key by {@code <partition>/part-<file index>}, by record hash. The map is
   * read once per bundle and window: DirectRunner rebuilds a map side input on every read.
   */
  private static final class AssignFile<T> extends DoFn<KV<String, T>, KV<String, T>> {
    private final PCollectionView<Map<String, Long>> counts;
    private transient BoundedWindow window;
    private transient Map<String, Long> filesPerPartition;

    AssignFile(PCollectionView<Map<String, Long>> counts) {
      this.counts = counts;
    }

    @StartBundle
    public void start() {
      window = null;
    }

    @ProcessElement
    public void process(ProcessContext c, BoundedWindow w) {
      if (!w.equals(window)) {
        filesPerPartition = c.sideInput(counts);
        window = w;
      }
      KV<String, T> e = c.element();
      long files = filesPerPartition.getOrDefault(e.getKey(), 1L);
      // Mixed so that records hashing alike in low bits still spread over files.
      long mixed = (e.getValue().hashCode() * 0x9E3779B97F4A7C15L) >>> 32;
      long index = Math.floorMod(mixed, files);
      c.output(KV.of(String.format("%s-%05d", prefixOf(e.getKey()), index), e.getValue()));
    }
  }
}
