/**
 * Ingest: input files or Kafka payloads to valid, unique contract §1 records plus dead letters.
 *
 * <ul>
 *   <li>{@link io.ctrbeam.ingest.ReadRawRecords}: files (JSON lines or Avro container files,
 *       through Beam FileSystems) to {@link io.ctrbeam.schema.RawRecord}s. Fails at construction
 *       when the pattern matches nothing.
 *   <li>{@link io.ctrbeam.ingest.ParseRecords}: RawRecords (JSON text or Avro bytes) to typed
 *       records timestamped with their event time, plus PARSE_ERROR, MISSING_FIELD, BAD_TIMESTAMP,
 *       BAD_POSITION and BAD_COUNTRY dead letters. Independent of files.
 *   <li>{@link io.ctrbeam.ingest.DeduplicateIds}: DUPLICATE_ID dead letters, keyed by a bounded
 *       number of hash buckets; GroupByKey in batch, state and one GC timer per bucket in
 *       streaming.
 *   <li>{@link io.ctrbeam.ingest.IngestRecords}: parse then dedup then count, for any RawRecord
 *       source (files or Kafka); {@link io.ctrbeam.ingest.ReadLogs}: read then IngestRecords.
 *   <li>{@link io.ctrbeam.ingest.IngestMetrics}: the counters of a run as a map.
 * </ul>
 *
 * <p>Avro payloads in {@code RawRecord.bytes} use Avro single-object encoding ({@link
 * io.ctrbeam.ingest.AvroPayloads}): {@code C3 01}, the writer schema's CRC-64-AVRO fingerprint, the
 * binary record. The parser knows the §1 schema of its record type and any schema given by {@code
 * withWriterSchemas}; ReadLogs gives it the schemas of the Avro files it reads. Payloads without
 * the marker are read as bare binary in the §1 schema.
 *
 * <p>JSON values are read leniently where the meaning is unambiguous: an integral number or a
 * numeric string for an int or timestamp field, a number for a string field. Objects or arrays
 * where a scalar is expected, and fractional numbers for ints, are PARSE_ERROR (BAD_TIMESTAMP for
 * timestamps).
 */
package io.ctrbeam.ingest;
