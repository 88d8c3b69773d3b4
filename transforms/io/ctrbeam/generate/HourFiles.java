package io.ctrbeam.generate;

import io.ctrbeam.ingest.Format;
import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * The files of {@link LogGenerator#write}: records buffered by arrival hour, each complete hour
 * written on a pool to {@code <type>/date=YYYY-MM-DD/hour=HH/part-00000.{jsonl,avro}}.
 */
final class HourFiles {
  private final Path out;
  private final Set<Format> format;
  private final long seed;
  private final ExecutorService pool;
  private final TreeMap<Long, HourBuffer> buffers = new TreeMap<>();
  private final List<Future<long[]>> flushes = new ArrayList<>();

  HourFiles(Path out, Set<Format> format, long seed, ExecutorService pool) {
    this.out = out;
    this.format = format;
    this.seed = seed;
    this.pool = pool;
  }

  /** Waits for every written hour; returns {files, bytes, records}. */
  long[] totals() {
    long[] totals = new long[3];
    for (Future<long[]> f : flushes) {
      long[] r = LogGenerator.get(f);
      for (int i = 0; i < 3; i++) {
        totals[i] += r[i];
      }
    }
    return totals;
  }

  /** The records of one arrival hour, by type. */
  private static final class HourBuffer {
    final long hour;
    final Map<RecordType, List<ArrivalEvent>> byType = new EnumMap<>(RecordType.class);

    HourBuffer(long hour) {
      this.hour = hour;
    }
  }

  /** Files the events under their arrival hours, all after {@code flushedThrough}. */
  void add(List<ArrivalEvent> events, long flushedThrough) {
    for (ArrivalEvent e : events) {
      long hour = Math.floorDiv(e.arrivalTime(), PartitionGenerator.HOUR_MS);
      if (hour <= flushedThrough) {
        throw new IllegalStateException("record arrives in an hour already written: " + e);
      }
      buffers
          .computeIfAbsent(hour, HourBuffer::new)
          .byType
          .computeIfAbsent(e.type(), t -> new ArrayList<>())
          .add(e);
    }
  }

  /** Writes the complete arrival hours up to {@code lastHour}, on the pool. */
  void flushUpTo(long lastHour) {
    Iterator<Map.Entry<Long, HourBuffer>> it =
        buffers.headMap(lastHour, true).entrySet().iterator();
    while (it.hasNext()) {
      HourBuffer b = it.next().getValue();
      it.remove();
      flushes.add(pool.submit(() -> writeHour(b)));
    }
  }

  /** Writes one arrival hour; returns {files, bytes, records}. */
  private long[] writeHour(HourBuffer b) throws IOException {
    LocalDateTime t = LocalDateTime.ofEpochSecond(b.hour * 3600, 0, ZoneOffset.UTC);
    String partition = String.format("date=%s/hour=%02d", t.toLocalDate(), t.getHour());
    long[] result = new long[3];
    for (Map.Entry<RecordType, List<ArrivalEvent>> entry : b.byType.entrySet()) {
      List<ArrivalEvent> events =
          sortByArrival(entry.getValue(), b.hour * PartitionGenerator.HOUR_MS);
      Path dir = out.resolve(entry.getKey().directory()).resolve(partition);
      Files.createDirectories(dir);
      if (format.contains(Format.JSONL)) {
        Path file = dir.resolve("part-00000.jsonl");
        try (Writer w = newWriter(file)) {
          for (ArrivalEvent e : events) {
            w.write(e.rawLine());
            w.write('\n');
          }
        }
        result[0]++;
        result[1] += Files.size(file);
        result[2] += events.size();
      }
      if (format.contains(Format.AVRO)) {
        String relative = entry.getKey().directory() + "/" + partition + "/part-00000.avro";
        long n =
            writeAvro(events, entry.getKey(), out.resolve(relative), syncMarker(seed, relative));
        result[0]++;
        result[1] += Files.size(out.resolve(relative));
        if (!format.contains(Format.JSONL)) {
          result[2] += n;
        }
      }
    }
    return result;
  }

  /**
   * Sorts one hour's records by (arrival, seq) with a primitive sort. Buffers are filled partition
   * by partition in generation order, so the buffer index orders ties exactly as seq does.
   */
  private static List<ArrivalEvent> sortByArrival(List<ArrivalEvent> events, long hourStart) {
    long[] keys = new long[events.size()];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = ((events.get(i).arrivalTime() - hourStart) << 40) | i;
    }
    Arrays.sort(keys);
    List<ArrivalEvent> sorted = new ArrayList<>(keys.length);
    for (long k : keys) {
      sorted.add(events.get((int) (k & ((1L << 40) - 1))));
    }
    return sorted;
  }

  private static long writeAvro(List<ArrivalEvent> events, RecordType type, Path file, byte[] sync)
      throws IOException {
    Schema schema = LogGenerator.schema(type);
    long n = 0;
    try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20);
        DataFileWriter<SpecificRecord> w =
            new DataFileWriter<>(new SpecificDatumWriter<SpecificRecord>(schema))) {
      w.create(schema, os, sync);
      for (ArrivalEvent e : events) {
        if (e.record() != null) {
          w.append(e.record());
          n++;
        }
      }
    }
    return n;
  }

  /**
   * A deterministic Avro sync marker per file, so that Avro output is byte-identical for a seed.
   */
  private static byte[] syncMarker(long seed, String relativePath) {
    SplittableRandom r = new SplittableRandom(LogGenerator.mix(seed, relativePath.hashCode()));
    byte[] sync = new byte[16];
    r.nextBytes(sync);
    return sync;
  }

  static Writer newWriter(Path file) throws IOException {
    return new BufferedWriter(
        new OutputStreamWriter(Files.newOutputStream(file), StandardCharsets.UTF_8), 1 << 20);
  }
}
