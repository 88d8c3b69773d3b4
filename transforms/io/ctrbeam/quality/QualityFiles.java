package io.ctrbeam.quality;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;

/** Reads the small quality files (reference profile, config, report) through Beam FileSystems. */
public final class QualityFiles {
  private QualityFiles() {}

  public static String read(String path) throws IOException {
    MatchResult.Metadata m = FileSystems.matchSingleFileSpec(path);
    try (InputStream in = Channels.newInputStream(FileSystems.open(m.resourceId()))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** A {@code profile.json} written by an earlier run; empty path for none. */
  public static List<DatasetProfile> reference(String path) throws IOException {
    return path == null || path.isEmpty() ? List.of() : QualityJson.readProfiles(read(path));
  }

  /** A JSON config of thresholds; empty path for the defaults. */
  public static QualityConfig config(String path) throws IOException {
    return path == null || path.isEmpty()
        ? QualityConfig.defaults()
        : QualityConfig.parse(read(path));
  }

  /** The profile of one record type in a reference, or null. */
  public static DatasetProfile forType(List<DatasetProfile> reference, String recordType) {
    return reference.stream()
        .filter(p -> p.recordType().equals(recordType))
        .findFirst()
        .orElse(null);
  }
}
