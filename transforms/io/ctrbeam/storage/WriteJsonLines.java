package io.ctrbeam.storage;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import io.ctrbeam.schema.DeadLetter;
import io.ctrbeam.schema.LabelCorrection;
import org.apache.avro.specific.SpecificRecord;

/**
 * JSON-lines files of any generated record ({@link io.ctrbeam.common.RecordJson#allFields} form),
 * unpartitioned by default: dead letters and label corrections. Returns a {@link WriteRecords}, so
 * windows and shards are its options (unbounded input needs {@code withFixedWindows}).
 */
public final class WriteJsonLines {
  /** The folder of dead letters, beside the main output. */
  public static final String DEAD_LETTERS_DIR = "dead_letters";

  /** The folder of label corrections, beside the main output. */
  public static final String CORRECTIONS_DIR = "label_corrections";

  private WriteJsonLines() {}

  /** Writes records of {@code type} as JSON lines under {@code outputDir}. */
  public static <T extends SpecificRecord> WriteRecords<T> of(Class<T> type, String outputDir) {
    return WriteRecords.of(type).to(outputDir).withFormat(FileFormat.JSONL);
  }

  /** Dead letters into {@code dead_letters/} beside {@code outputDir}. */
  public static WriteRecords<DeadLetter> deadLettersBeside(String outputDir) {
    return of(DeadLetter.class, sibling(outputDir, DEAD_LETTERS_DIR));
  }

  /** Label corrections into {@code label_corrections/} beside {@code outputDir}. */
  public static WriteRecords<LabelCorrection> correctionsBeside(String outputDir) {
    return of(LabelCorrection.class, sibling(outputDir, CORRECTIONS_DIR));
  }

  /** {@code name} in the parent folder of {@code dir} ({@code a/b/out} gives {@code a/b/name/}). */
  public static String sibling(String dir, String name) {
    checkArgument(dir != null && !dir.isEmpty(), "dir must not be empty");
    String d = dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
    int slash = d.lastIndexOf('/');
    String parent = slash < 0 ? "" : d.substring(0, slash + 1);
    checkArgument(!parent.endsWith("//"), "%s has no parent folder", dir);
    return parent + name + "/";
  }
}
