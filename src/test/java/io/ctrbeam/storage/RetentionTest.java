package io.ctrbeam.storage;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ctrbeam.storage.Retention.Decision;
import io.ctrbeam.storage.Retention.Partition;
import io.ctrbeam.storage.Retention.Tier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention by partition date: ages, the layout check, the root fence and in-flight partitions. */
class RetentionTest {
  /** 2025-08-01T12:00:00Z. */
  private static final Instant CLOCK = Instant.parse("2025-08-01T12:00:00Z");

  private static final FileTime OLD = FileTime.from(Instant.parse("2025-01-01T00:00:00Z"));

  @TempDir Path root;

  private Path file(String relative, String content) throws IOException {
    Path f = root.resolve(relative);
    Files.createDirectories(f.getParent());
    Files.writeString(f, content);
    Files.setLastModifiedTime(f, OLD);
    return f;
  }

  /**
   * The project's layout with partitions on both sides of each tier's age (ages from 2025-08-01).
   */
  private void layout() throws IOException {
    file(
        "logs/impressions/date=2025-05-02/hour=00/part-00000.jsonl",
        "x".repeat(100)); // 91 days: raw expires
    file("logs/impressions/date=2025-05-03/hour=00/part-00000.jsonl", "x"); // 90 days: kept
    file("logs/clicks/date=2025-04-01/hour=07/part-00000.jsonl", "x".repeat(10)); // 122 days
    file("logs/ground_truth.json", "{}");
    file("logs/truth/labels.jsonl", "{}");
    file(
        "out/training/date=2025-07-01/hour=00/country=US/part-00000.parquet",
        "p".repeat(40)); // 31 days
    file("out/training/date=2025-07-01/hour=05/country=unknown/part-00000.parquet", "p".repeat(2));
    file(
        "out/training/date=2025-07-02/hour=00/country=US/part-00000.parquet", "p"); // 30 days: kept
    file("out/features/date=2024-07-31/part-00000.parquet", "f".repeat(7)); // 366 days
    file("out/features/date=2024-08-01/part-00000.parquet", "f"); // 365 days: kept
    file("out/_reports/label_stats.txt", "kept: not a tier");
  }

  private Retention retention() {
    return Retention.under(root.toString()).withClock(CLOCK);
  }

  private Map<String, Decision> decisions(List<Partition> plan) {
    Map<String, Decision> m = new TreeMap<>();
    plan.forEach(p -> m.put(root.relativize(Path.of(p.directory())).toString(), p.decision()));
    return m;
  }

  private List<String> tree() throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.map(p -> root.relativize(p) + "@" + p.toFile().lastModified())
          .sorted()
          .collect(Collectors.toList());
    }
  }

  @Test
  void deletesExactlyThePartitionsPastEachTiersAge() throws IOException {
    layout();
    Retention r = retention();
    List<Partition> plan = r.plan();
    assertThat(
        decisions(plan),
        equalTo(
            Map.of(
                "logs/impressions/date=2025-05-02", Decision.EXPIRED,
                "logs/impressions/date=2025-05-03", Decision.KEPT,
                "logs/clicks/date=2025-04-01", Decision.EXPIRED,
                "out/training/date=2025-07-01", Decision.EXPIRED,
                "out/training/date=2025-07-02", Decision.KEPT,
                "out/features/date=2024-07-31", Decision.EXPIRED,
                "out/features/date=2024-08-01", Decision.KEPT)));
    Partition training =
        plan.stream()
            .filter(p -> p.directory().endsWith("out/training/date=2025-07-01"))
            .findFirst()
            .orElseThrow();
    assertThat(training.files(), equalTo(2));
    assertThat(training.bytes(), equalTo(42L));
    assertThat(training.ageDays(), equalTo(31L));

    assertThat(r.delete(plan).size(), equalTo(4));
    assertThat(Files.exists(root.resolve("logs/impressions/date=2025-05-02")), equalTo(false));
    assertThat(Files.exists(root.resolve("out/training/date=2025-07-01")), equalTo(false));
    assertThat(Files.exists(root.resolve("out/features/date=2024-07-31")), equalTo(false));
    assertThat(Files.exists(root.resolve("logs/clicks/date=2025-04-01")), equalTo(false));
    for (String kept :
        new String[] {
          "logs/impressions/date=2025-05-03/hour=00/part-00000.jsonl",
          "out/training/date=2025-07-02/hour=00/country=US/part-00000.parquet",
          "out/features/date=2024-08-01/part-00000.parquet",
          "logs/ground_truth.json",
          "logs/truth/labels.jsonl",
          "out/_reports/label_stats.txt"
        }) {
      assertThat(kept, Files.exists(root.resolve(kept)), equalTo(true));
    }
  }

  @Test
  void policiesAreOptions() throws IOException {
    layout();
    Map<String, Decision> d =
        decisions(retention().withDays(Tier.TRAINING, 29).withDays(Tier.RAW, 200).plan());
    assertThat(d.get("out/training/date=2025-07-02"), equalTo(Decision.EXPIRED));
    assertThat(d.get("logs/clicks/date=2025-04-01"), equalTo(Decision.KEPT));
    assertThrows(IllegalArgumentException.class, () -> retention().withDays(Tier.RAW, 0));
  }

  @Test
  void aPlanTouchesNothing() throws IOException {
    layout();
    List<String> before = tree();
    retention().plan();
    assertThat(tree(), equalTo(before));
  }

  @Test
  void tierPathsOutsideTheRootAreRefused() {
    Retention r = retention();
    assertThat(
        assertThrows(
                IllegalArgumentException.class, () -> r.withPath(Tier.TRAINING, "../elsewhere"))
            .getMessage(),
        containsString("inside the root"));
    assertThrows(
        IllegalArgumentException.class, () -> r.withPath(Tier.TRAINING, "out/../../elsewhere"));
    assertThrows(IllegalArgumentException.class, () -> r.withPath(Tier.FEATURES, "/etc"));
    assertThrows(
        IllegalArgumentException.class, () -> r.withPath(Tier.FEATURES, "gs://other/bucket"));
    assertThrows(IllegalArgumentException.class, () -> Retention.under("/"));
  }

  @Test
  void aRootWithoutTheLayoutIsRefused() throws IOException {
    Files.createDirectories(root.resolve("documents"));
    Files.writeString(root.resolve("documents/date=2020-01-01.txt"), "mine");
    assertThat(
        assertThrows(IllegalArgumentException.class, () -> retention().plan()).getMessage(),
        containsString("does not look like a ctr-beam root"));
  }

  @Test
  void aTierWithFilesOutsideDatePartitionsIsRefusedAndNothingIsDeleted() throws IOException {
    layout();
    file("out/training/notes.txt", "someone else's file");
    List<String> before = tree();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> retention().plan());
    assertThat(e.getMessage(), containsString("notes.txt"));
    assertThat(tree(), equalTo(before));
  }

  @Test
  void aTierWithBeamTemporaryFilesIsInFlight() throws IOException {
    layout();
    // FileIO stages a running write under <output>/.temp-beam-<uuid>/ until it finalizes.
    file("out/training/.temp-beam-1234/5678", "being written");
    Retention r = retention();
    List<Partition> plan = r.plan();
    assertThat(decisions(plan).get("out/training/date=2025-07-01"), equalTo(Decision.IN_FLIGHT));
    assertThat(decisions(plan).get("out/features/date=2024-07-31"), equalTo(Decision.EXPIRED));
    r.delete(plan);
    assertThat(
        Files.exists(
            root.resolve("out/training/date=2025-07-01/hour=00/country=US/part-00000.parquet")),
        equalTo(true));
  }

  @Test
  void aPartitionWithATemporaryFileOrARecentWriteIsInFlight() throws IOException {
    layout();
    file("logs/clicks/date=2025-04-01/hour=08/.part-00001.jsonl.tmp", "half");
    Path recent = root.resolve("out/features/date=2024-07-31/part-00000.parquet");
    Files.setLastModifiedTime(recent, FileTime.from(CLOCK.minus(Duration.ofMinutes(20))));
    Retention r = retention().withGracePeriod(Duration.ofHours(1));
    List<Partition> plan = r.plan();
    assertThat(decisions(plan).get("logs/clicks/date=2025-04-01"), equalTo(Decision.IN_FLIGHT));
    assertThat(decisions(plan).get("out/features/date=2024-07-31"), equalTo(Decision.IN_FLIGHT));
    r.delete(plan);
    assertThat(Files.exists(recent), equalTo(true));
    assertThat(
        Files.exists(root.resolve("logs/clicks/date=2025-04-01/hour=07/part-00000.jsonl")),
        equalTo(true));
    // Once the grace period has passed, the finished partition expires.
    assertThat(
        decisions(r.withClock(CLOCK.plus(Duration.ofHours(1))).plan())
            .get("out/features/date=2024-07-31"),
        equalTo(Decision.EXPIRED));
  }
}
