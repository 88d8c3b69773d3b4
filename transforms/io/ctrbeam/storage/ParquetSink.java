package io.ctrbeam.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.io.FileIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * Writes Avro records to a Parquet file as {@code ParquetIO.sink(schema)} does (Snappy, Parquet's
 * default row groups), but opens each file without re-reading Hadoop's default XML resources.
 *
 * <p>ParquetIO builds a fresh Hadoop {@code Configuration} for every file, and the first lookup in
 * it parses {@code core-default.xml}. With one file per date, hour and country (383 files at 200k
 * impressions) a JFR profile put 6% of DirectRunner's worker CPU there. Parquet reads only its own
 * keys, with defaults in code, so an empty configuration writes the same files.
 */
final class ParquetSink implements FileIO.Sink<GenericRecord> {
  private final String jsonSchema;
  private transient Schema schema;
  private transient ParquetWriter<GenericRecord> writer;

  private ParquetSink(String jsonSchema) {
    this.jsonSchema = jsonSchema;
  }

  static ParquetSink of(Schema schema) {
    return new ParquetSink(schema.toString());
  }

  @Override
  public void open(WritableByteChannel channel) throws IOException {
    if (schema == null) {
      schema = new Schema.Parser().parse(jsonSchema);
    }
    writer =
        AvroParquetWriter.<GenericRecord>builder(new ChannelFile(Channels.newOutputStream(channel)))
            .withSchema(schema)
            .withCompressionCodec(CompressionCodecName.SNAPPY)
            .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
            .withConf(new Configuration(false))
            .build();
  }

  @Override
  public void write(GenericRecord element) throws IOException {
    writer.write(element);
  }

  /** Writes the footer; FileIO closes the channel. */
  @Override
  public void flush() throws IOException {
    writer.close();
  }

  /** The file FileIO opened, as a stream that counts its position. */
  private static final class ChannelFile implements OutputFile {
    private final OutputStream out;

    ChannelFile(OutputStream out) {
      this.out = out;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) {
      return new Counting(out);
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) {
      return new Counting(out);
    }

    @Override
    public boolean supportsBlockSize() {
      return false;
    }

    @Override
    public long defaultBlockSize() {
      return 0;
    }
  }

  private static final class Counting extends PositionOutputStream {
    private final OutputStream out;
    private long pos;

    Counting(OutputStream out) {
      this.out = out;
    }

    @Override
    public long getPos() {
      return pos;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      pos++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      pos += len;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }
}
