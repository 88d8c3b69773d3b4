package io.ctrbeam.storage;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;
import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkNotNull;

import io.ctrbeam.common.FastRecordCoder;
import io.ctrbeam.common.RecordJson;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.extensions.avro.io.AvroIO;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Writes generated Avro records as Parquet, Avro or JSON-lines files under one output directory, in
 * partition folders chosen per record (e.g. {@code date=…/hour=…/country=…/}), through Beam's
 * {@code FileSystems} (local paths, {@code gs://}, {@code s3://}).
 *
 * <p>Files are named {@code <partition>/part[-<file>][-<window>][-<pane>]-<shard>-of-<n><suffix>}.
 * Bounded input is written once at the end, at one file a key by {@link WriteAndCommitFiles}
 * (staged, then moved into place in one step); unbounded input must be windowed (by {@link
 * #withFixedWindows} or upstream) and is written once per window and pane by FileIO. The output is
 * the names of the files written.
 *
 * <p>File size: by default one file per partition and window ({@link #withNumShards} sets another
 * count; 0 lets the runner choose, bounded input only, which on DirectRunner means a file per
 * bundle and partition). {@link #withTargetRecordsPerFile} instead counts each partition's records
 * (per window) and spreads them over {@code ceil(count / n)} files by a hash of the record, so
 * files hold about {@code n} records each (hash-balanced, not a hard cap). {@link
 * #withTargetFileSize} derives {@code n} from a target size and an estimated bytes per row; {@link
 * #withTargetFileSize(long)} measures the bytes instead.
 *
 * <pre>{@code
 * examples.apply("WriteTrainingData",
 *     WriteTrainingData.to("gs://bucket/training").withFormat(FileFormat.PARQUET));
 * }</pre>
 */
public final class WriteRecords<T extends SpecificRecord>
    extends PTransform<PCollection<T>, PCollection<String>> {
  private final Class<T> type;
  private final @Nullable String outputDir;
  private final FileFormat format;
  private final SerializableFunction<T, String> partitioning;
  private final String partitioningName;
  private final @Nullable FileWindows windowing;
  private final int numShards;
  private final long targetRecordsPerFile;
  private final long targetFileBytes;

  private WriteRecords(
      Class<T> type,
      @Nullable String outputDir,
      FileFormat format,
      SerializableFunction<T, String> partitioning,
      String partitioningName,
      @Nullable FileWindows windowing,
      int numShards,
      long targetRecordsPerFile,
      long targetFileBytes) {
    this.type = type;
    this.outputDir = outputDir;
    this.format = format;
    this.partitioning = partitioning;
    this.partitioningName = partitioningName;
    this.windowing = windowing;
    this.numShards = numShards;
    this.targetRecordsPerFile = targetRecordsPerFile;
    this.targetFileBytes = targetFileBytes;
  }

  /** Writes records of the generated class {@code type}: Parquet, no partition folders. */
  public static <T extends SpecificRecord> WriteRecords<T> of(Class<T> type) {
    checkNotNull(type, "type");
    return new WriteRecords<>(
        type, null, FileFormat.PARQUET, Partitions.none(), "none", null, 1, 0, 0);
  }

  /** The output directory (a local path or a Beam filesystem URI). Required. */
  public WriteRecords<T> to(String outputDir) {
    checkArgument(outputDir != null && !outputDir.isEmpty(), "outputDir must not be empty");
    return new WriteRecords<>(
        type,
        outputDir,
        format,
        partitioning,
        partitioningName,
        windowing,
        numShards,
        targetRecordsPerFile,
        targetFileBytes);
  }

  /** The file format; default PARQUET. */
  public WriteRecords<T> withFormat(FileFormat format) {
    checkNotNull(format, "format");
    return new WriteRecords<>(
        type,
        outputDir,
        format,
        partitioning,
        partitioningName,
        windowing,
        numShards,
        targetRecordsPerFile,
        targetFileBytes);
  }

  /**
   * The partition folder of each record, relative to the output directory and without slashes at
   * either end ({@code ""} for none), e.g. {@link Partitions#dateHourCountry}. {@code name}
   * describes it in display data.
   */
  public WriteRecords<T> withPartitioning(SerializableFunction<T, String> fn, String name) {
    checkNotNull(fn, "partitioning");
    checkArgument(name != null && !name.isEmpty(), "partitioning name must not be empty");
    return new WriteRecords<>(
        type,
        outputDir,
        format,
        fn,
        name,
        windowing,
        numShards,
        targetRecordsPerFile,
        targetFileBytes);
  }

  /**
   * Windows the input into fixed event-time windows of {@code size} before writing. Records that
   * arrive after the watermark passed their window are dropped: for outputs that are late by
   * construction (corrections, dead letters) use {@link #withPeriodicWrites}.
   */
  public WriteRecords<T> withFixedWindows(Duration size) {
    checkArgument(size != null && size.getMillis() > 0, "window size must be > 0, got %s", size);
    return new WriteRecords<>(
        type,
        outputDir,
        format,
        partitioning,
        partitioningName,
        FileWindows.fixed(size),
        numShards,
        targetRecordsPerFile,
        targetFileBytes);
  }

  /**
   * Writes the input in the global window, a pane of files every {@code period} of processing time:
   * no record is ever too late to be written, whatever its event time.
   */
  public WriteRecords<T> withPeriodicWrites(Duration period) {
    checkArgument(period != null && period.getMillis() > 0, "period must be > 0, got %s", period);
    return new WriteRecords<>(
        type,
        outputDir,
        format,
        partitioning,
        partitioningName,
        FileWindows.periodic(period),
        numShards,
        targetRecordsPerFile,
        targetFileBytes);
  }

  /** Files per partition, window and pane; 0 lets the runner choose (bounded input only). */
  public WriteRecords<T> withNumShards(int numShards) {
    checkArgument(numShards >= 0, "numShards must be >= 0, got %s", numShards);
    return new WriteRecords<>(
        type,
        outputDir,
        format,
        partitioning,
        partitioningName,
        windowing,
        numShards,
        targetRecordsPerFile,
        targetFileBytes);
  }

  /**
   * About {@code n} records a file: each partition's records (per window) are counted and spread
   * over {@code ceil(count / n)} files by record hash. Overrides {@link #withNumShards}. 0 = off.
   */
  public WriteRecords<T> withTargetRecordsPerFile(long n) {
    checkArgument(n >= 0, "target records per file must be >= 0, got %s", n);
    return new WriteRecords<>(
        type, outputDir, format, partitioning, partitioningName, windowing, numShards, n, 0);
  }

  /**
   * Files of about {@code targetBytes}, given an estimate of one row's size in the written format
   * ({@code targetBytes / estimatedRowBytes} records a file, see {@link
   * #withTargetRecordsPerFile}).
   */
  public WriteRecords<T> withTargetFileSize(long targetBytes, long estimatedRowBytes) {
    checkArgument(targetBytes > 0, "targetBytes must be > 0, got %s", targetBytes);
    checkArgument(
        estimatedRowBytes > 0, "estimatedRowBytes must be > 0, got %s", estimatedRowBytes);
    return withTargetRecordsPerFile(Math.max(1, targetBytes / estimatedRowBytes));
  }

  /**
   * Files of at most about {@code targetBytes}, from measured sizes: each record's Avro binary
   * encoding is measured, summed per partition (and window), and the partition is spread over
   * {@code ceil(bytes / targetBytes)} files by record hash. Parquet's columnar encoding and
   * compression make its files smaller than the Avro bytes, so files come out at or under the
   * target. Overrides {@link #withNumShards} and {@link #withTargetRecordsPerFile}. 0 = off.
   */
  public WriteRecords<T> withTargetFileSize(long targetBytes) {
    checkArgument(targetBytes >= 0, "targetBytes must be >= 0, got %s", targetBytes);
    return new WriteRecords<>(
        type,
        outputDir,
        format,
        partitioning,
        partitioningName,
        windowing,
        numShards,
        0,
        targetBytes);
  }

  private Coder<T> rowCoder() {
    return FastRecordCoder.forRecords(type);
  }

  /** The Avro schema of the written records. */
  public Schema schema() {
    return SpecificData.getForClass(type).getSchema(type);
  }

  @Override
  public PCollection<String> expand(PCollection<T> input) {
    checkArgument(outputDir != null, "call to(outputDir) before applying %s", getName());
    PCollection<T> windowed =
        windowing == null ? input : input.apply(windowing.name(), windowing.<T>window());
    boolean unbounded = input.isBounded() == PCollection.IsBounded.UNBOUNDED;
    checkArgument(
        !unbounded
            || !(windowed.getWindowingStrategy().getWindowFn() instanceof GlobalWindows)
            || !(windowed.getWindowingStrategy().getTrigger() instanceof DefaultTrigger),
        "unbounded input must be windowed: use withFixedWindows(...), withPeriodicWrites(...) or window it upstream");

    KvCoder<String, T> kvCoder = KvCoder.of(StringUtf8Coder.of(), rowCoder());
    PCollection<KV<String, T>> byPartition =
        windowed
            .apply(
                "KeyByPartition", WithKeys.of(partitioning).withKeyType(TypeDescriptors.strings()))
            .setCoder(kvCoder);
    PCollection<KV<String, T>> byFile =
        FileSharding.assign(
            byPartition, AvroCoder.specific(type), targetRecordsPerFile, targetFileBytes);

    int shards =
        targetRecordsPerFile > 0 || targetFileBytes > 0
            ? 1
            : (numShards == 0 && unbounded ? 1 : numShards);
    boolean oneCommit =
        !unbounded
            && shards == 1
            && windowed.getWindowingStrategy().getWindowFn() instanceof GlobalWindows;
    switch (format) {
      case PARQUET:
        return write(byFile, oneCommit, shards, PlainRecords::toGeneric, ParquetSink.of(schema()));
      case AVRO:
        return write(byFile, oneCommit, shards, PlainRecords::toGeneric, AvroIO.sink(schema()));
      case JSONL:
        return write(byFile, oneCommit, shards, RecordJson::allFields, TextIO.sink());
      default:
        throw new IllegalArgumentException("format must be PARQUET, AVRO or JSONL, got " + format);
    }
  }

  /**
   * Bounded input in the global window at one file a key: {@link WriteAndCommitFiles}. Windowed or
   * unbounded input, or several shards a key: FileIO's dynamic write.
   */
  private <OutputT> PCollection<String> write(
      PCollection<KV<String, T>> byFile,
      boolean oneCommit,
      int shards,
      SerializableFunction<T, OutputT> toOutput,
      FileIO.Sink<OutputT> sink) {
    String step = "Write" + format.name();
    String suffix = format.suffix();
    if (oneCommit) {
      return byFile.apply(step, new WriteAndCommitFiles<>(outputDir, suffix, toOutput, sink));
    }
    FileIO.Write<String, KV<String, T>> write =
        FileIO.<String, KV<String, T>>writeDynamic()
            .by(KV::getKey)
            .withDestinationCoder(StringUtf8Coder.of())
            .to(outputDir)
            .withNaming(prefix -> FileIO.Write.defaultNaming(prefix, suffix))
            .via(Contextful.fn(kv -> toOutput.apply(kv.getValue())), sink);
    if (shards > 0) {
      write = write.withNumShards(shards);
    }
    return byFile
        .apply(step, write)
        .getPerDestinationOutputFilenames()
        .apply(step + "FileNames", Values.create());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("recordType", type.getName()))
        .addIfNotNull(DisplayData.item("outputDir", outputDir))
        .add(DisplayData.item("format", format.name()))
        .add(DisplayData.item("partitioning", partitioningName))
        .addIfNotNull(
            DisplayData.item("windowing", windowing == null ? null : windowing.toString()))
        .add(DisplayData.item("numShards", numShards))
        .add(DisplayData.item("targetRecordsPerFile", targetRecordsPerFile))
        .add(DisplayData.item("targetFileBytes", targetFileBytes));
  }
}
