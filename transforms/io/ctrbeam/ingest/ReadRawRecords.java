package io.ctrbeam.ingest;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.common.FastRecordCoder;
import io.ctrbeam.schema.RawRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * Reads JSON lines or Avro container files into {@link RawRecord}s through Beam FileSystems (local,
 * gs://, s3://). {@code source} is the file, {@code source_offset} the 1-based line number (JSON
 * lines) or 1-based record index (Avro). JSON lines carry their text; Avro records carry their
 * single-object encoding in the file's writer schema (see {@link #writerSchemas}).
 *
 * <p>Fails at construction with an {@link IllegalArgumentException} naming the pattern when it
 * matches no file (or, with {@link Format#AUTO}, a file of unknown extension). Each file is read
 * whole by one DoFn call, so line numbers are exact; parallelism comes from many files.
 */
public final class ReadRawRecords extends PTransform<PBegin, PCollection<RawRecord>> {
  private final String filePattern;
  private final Format format;

  private ReadRawRecords(String filePattern, Format format) {
    this.filePattern = filePattern;
    this.format = format;
  }

  /** Reads the files a pattern matches, format by extension. */
  public static ReadRawRecords from(String filePattern) {
    checkArgument(
        filePattern != null && !filePattern.isEmpty(),
        "a file pattern is required, got %s",
        filePattern);
    return new ReadRawRecords(filePattern, Format.AUTO);
  }

  /** The file format; {@link Format#AUTO} (default) decides by each file's extension. */
  public ReadRawRecords withFormat(Format format) {
    checkArgument(format != null, "format must be set, got %s", format);
    return new ReadRawRecords(filePattern, format);
  }

  public String filePattern() {
    return filePattern;
  }

  public Format format() {
    return format;
  }

  @Override
  public PCollection<RawRecord> expand(PBegin input) {
    for (MatchResult.Metadata file : match(input.getPipeline().getOptions())) {
      if (format.resolve(file.resourceId().getFilename()) == null) {
        throw new IllegalArgumentException(
            "File "
                + file.resourceId()
                + " matched by "
                + filePattern
                + " is neither .jsonl/.json nor .avro; give the format explicitly");
      }
    }
    return input
        .apply("MatchFiles", FileIO.match().filepattern(filePattern))
        .apply("ReadMatches", FileIO.readMatches())
        .apply("ReadRecords", ParDo.of(new ReadFileFn(format)))
        .setCoder(FastRecordCoder.forRecords(RawRecord.class));
  }

  /** The files the pattern matches now; throws IllegalArgumentException when there are none. */
  List<MatchResult.Metadata> match(PipelineOptions options) {
    FileSystems.setDefaultPipelineOptions(options);
    MatchResult result;
    try {
      result = FileSystems.match(filePattern, EmptyMatchTreatment.ALLOW);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot match input file pattern " + filePattern, e);
    }
    List<MatchResult.Metadata> files;
    try {
      files = result.status() == MatchResult.Status.OK ? result.metadata() : List.of();
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot match input file pattern " + filePattern, e);
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("No input files match " + filePattern);
    }
    return files;
  }

  /**
   * The distinct Avro writer schemas of the Avro files the pattern matches now, read from their
   * headers (one small read per file), so a parser can decode their payloads.
   */
  public List<Schema> writerSchemas(PipelineOptions options) {
    Map<String, Schema> schemas = new LinkedHashMap<>();
    for (MatchResult.Metadata file : match(options)) {
      if (format.resolve(file.resourceId().getFilename()) != Format.AVRO) {
        continue;
      }
      try (InputStream in = Channels.newInputStream(FileSystems.open(file.resourceId()));
          DataFileStream<GenericRecord> avro =
              new DataFileStream<>(in, new GenericDatumReader<>())) {
        schemas.putIfAbsent(avro.getSchema().toString(), avro.getSchema());
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "Cannot read the Avro header of " + file.resourceId(), e);
      }
    }
    return Collections.unmodifiableList(new ArrayList<>(schemas.values()));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("filePattern", filePattern).withLabel("Input file pattern"))
        .add(DisplayData.item("format", format.name()).withLabel("Input format"));
  }

  /** Emits every line or Avro record of one file. */
  static final class ReadFileFn extends DoFn<FileIO.ReadableFile, RawRecord> {
    private final Format format;

    ReadFileFn(Format format) {
      this.format = format;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, OutputReceiver<RawRecord> out)
        throws IOException {
      String source = file.getMetadata().resourceId().toString();
      Format fileFormat = format.resolve(file.getMetadata().resourceId().getFilename());
      if (fileFormat == null) {
        throw new IOException("Unknown format of " + source + ": neither .jsonl/.json nor .avro");
      }
      try (InputStream in = Channels.newInputStream(file.open())) {
        if (fileFormat == Format.AVRO) {
          readAvro(in, source, out);
        } else {
          readLines(in, source, out);
        }
      }
    }

    private static void readLines(InputStream in, String source, OutputReceiver<RawRecord> out)
        throws IOException {
      BufferedReader reader =
          new BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
      long line = 0;
      for (String text = reader.readLine(); text != null; text = reader.readLine()) {
        line++;
        out.output(new RawRecord(source, line, text, null));
      }
    }

    private static void readAvro(InputStream in, String source, OutputReceiver<RawRecord> out)
        throws IOException {
      try (DataFileStream<GenericRecord> records =
          new DataFileStream<>(in, new GenericDatumReader<>())) {
        long index = 0;
        GenericRecord record = null;
        while (records.hasNext()) {
          record = records.next(record);
          index++;
          out.output(
              new RawRecord(source, index, null, ByteBuffer.wrap(AvroPayloads.encode(record))));
        }
      }
    }
  }
}
