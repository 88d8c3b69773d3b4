package io.ctrbeam.storage;

import static org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Deletes {@code date=YYYY-MM-DD} partitions older than a policy (contract §7), through Beam
 * FileSystems. Immutable; {@link #plan()} lists and touches nothing, {@link #delete} removes the
 * partitions a plan marked expired.
 *
 * <p><b>Layout.</b> Under one root: raw logs at {@code <raw>/<type>/date=…/} for the generator's
 * record types ({@code impressions}, {@code clicks}, {@code conversions}, {@code users}, {@code
 * ads}), training data at {@code <training>/date=…/…} and features at {@code <features>/date=…/…}.
 * Tier paths are relative to the root and may not leave it ({@code ..} or absolute paths are
 * refused). A root with none of the tiers, or a tier holding a file outside a {@code date=}
 * partition, is refused before anything is listed for deletion, so a mistyped root deletes nothing.
 *
 * <p><b>Age.</b> A partition's age is the number of days from its {@code date=} to the clock's UTC
 * date; it expires when the age is greater than the tier's days (training 30: the partition of 30
 * days ago stays, that of 31 days ago goes).
 *
 * <p><b>In flight.</b> A partition is never deleted while it may still be written. It is in flight
 * when (1) its tier holds Beam's temporary files ({@code .temp-beam-…}, where FileIO stages a write
 * until it finalizes): the whole tier then waits; (2) it holds a hidden or temporary file (name
 * starting with {@code .} or {@code _}, or ending in {@code .tmp}); or (3) any of its files was
 * modified within the grace period before the clock, or after the clock (a clock set in the past
 * never deletes what is being written now).
 */
public final class Retention {
  private static final Pattern DATE = Pattern.compile("date=(\\d{4}-\\d{2}-\\d{2})");
  private static final List<String> RAW_TYPES =
      List.of("impressions", "clicks", "conversions", "users", "ads");

  /** The storage tiers and their default ages (contract §7). */
  public enum Tier {
    RAW(90),
    TRAINING(30),
    FEATURES(365);

    private final int defaultDays;

    Tier(int defaultDays) {
      this.defaultDays = defaultDays;
    }

    public int defaultDays() {
      return defaultDays;
    }
  }

  /** What a plan decided for a partition. */
  public enum Decision {
    EXPIRED,
    KEPT,
    IN_FLIGHT
  }

  /** One {@code date=} partition: where, how big, and what happens to it. */
  public record Partition(
      Tier tier,
      String directory,
      LocalDate date,
      long ageDays,
      int files,
      long bytes,
      Decision decision,
      String reason,
      List<String> fileList) {
    @Override
    public String toString() {
      return String.format(
          "%-9s %-8s %s  %d files, %d bytes, %d days old (%s)",
          decision, tier, directory, files, bytes, ageDays, reason);
    }
  }

  private final String root;
  private final Map<Tier, String> paths;
  private final Map<Tier, Integer> days;
  private final Instant now;
  private final Duration gracePeriod;

  private Retention(
      String root,
      Map<Tier, String> paths,
      Map<Tier, Integer> days,
      Instant now,
      Duration gracePeriod) {
    this.root = root;
    this.paths = paths;
    this.days = days;
    this.now = now;
    this.gracePeriod = gracePeriod;
  }

  /**
   * The project layout under {@code root} ({@code logs}, {@code out/training}, {@code
   * out/features}), default ages, the system clock, 1 h grace.
   */
  public static Retention under(String root) {
    checkArgument(root != null && !root.isBlank(), "root must not be empty, got %s", root);
    String r =
        root.endsWith("/") && root.length() > 1 ? root.substring(0, root.length() - 1) : root;
    if (isLocal(r)) {
      r = Path.of(r.replaceFirst("^file://", "")).toAbsolutePath().normalize().toString();
    }
    checkArgument(
        !r.equals("/") && !r.isEmpty(),
        "refusing the filesystem root as retention root, got %s",
        root);
    Map<Tier, String> paths = new LinkedHashMap<>();
    paths.put(Tier.RAW, "logs");
    paths.put(Tier.TRAINING, "out/training");
    paths.put(Tier.FEATURES, "out/features");
    Map<Tier, Integer> days = new LinkedHashMap<>();
    for (Tier t : Tier.values()) {
      days.put(t, t.defaultDays());
    }
    return new Retention(r, paths, days, Instant.now(), Duration.ofHours(1));
  }

  /** Where a tier lives, relative to the root; it may not leave the root. */
  public Retention withPath(Tier tier, String relative) {
    checkArgument(
        relative != null && !relative.isBlank(),
        "the %s path must not be empty, got %s",
        tier,
        relative);
    checkArgument(
        !relative.startsWith("/") && !relative.contains("://") && !relative.contains("\\"),
        "the %s path must be relative to the root, got %s",
        tier,
        relative);
    for (String segment : relative.split("/")) {
      checkArgument(
          !segment.equals(".."), "the %s path must stay inside the root, got %s", tier, relative);
    }
    Map<Tier, String> p = new LinkedHashMap<>(paths);
    p.put(tier, relative.replaceAll("/+$", ""));
    return new Retention(root, p, days, now, gracePeriod);
  }

  /** Partitions of a tier older than this many days are deleted. */
  public Retention withDays(Tier tier, int d) {
    checkArgument(d >= 1, "the %s retention must be at least 1 day, got %s", tier, d);
    Map<Tier, Integer> m = new LinkedHashMap<>(days);
    m.put(tier, d);
    return new Retention(root, paths, m, now, gracePeriod);
  }

  /** The clock: ages and the grace period are measured from it. */
  public Retention withClock(Instant clock) {
    checkArgument(clock != null, "clock must not be null, got %s", clock);
    return new Retention(root, paths, days, clock, gracePeriod);
  }

  /** A partition with a file modified less than this before the clock is in flight. */
  public Retention withGracePeriod(Duration grace) {
    checkArgument(grace != null && !grace.isNegative(), "grace period must be >= 0, got %s", grace);
    return new Retention(root, paths, days, now, grace);
  }

  /** Lists every partition of every tier with its decision; deletes nothing. */
  public List<Partition> plan() throws IOException {
    List<Partition> out = new ArrayList<>();
    boolean anyTier = false;
    List<String> strays = new ArrayList<>();
    for (Tier tier : Tier.values()) {
      String base = root + "/" + paths.get(tier);
      List<String> scanned =
          tier == Tier.RAW ? RAW_TYPES.stream().map(t -> base + "/" + t).toList() : List.of(base);
      for (String dir : scanned) {
        List<MatchResult.Metadata> files = list(dir);
        if (files.isEmpty()) {
          continue;
        }
        anyTier = true;
        out.addAll(partitions(tier, dir, files, strays));
      }
    }
    if (!anyTier) {
      throw new IllegalArgumentException(
          String.format(
              "%s does not look like a ctr-beam root: none of %s holds files",
              root, paths.values()));
    }
    if (!strays.isEmpty()) {
      throw new IllegalArgumentException(
          String.format(
              "%s does not look like a ctr-beam root: files outside date= partitions, e.g. %s",
              root, strays.subList(0, Math.min(3, strays.size()))));
    }
    out.sort(Comparator.comparing((Partition p) -> p.tier()).thenComparing(Partition::directory));
    return out;
  }

  private List<Partition> partitions(
      Tier tier, String dir, List<MatchResult.Metadata> files, List<String> strays) {
    boolean tierInFlight = false;
    TreeMap<String, List<MatchResult.Metadata>> byPartition = new TreeMap<>();
    for (MatchResult.Metadata m : files) {
      String path = m.resourceId().toString();
      String rel = relative(dir, path);
      if (rel.startsWith(".temp-beam")
          || rel.startsWith("_temporary")
          || rel.contains("/.temp-beam")) {
        tierInFlight = true;
        continue;
      }
      String first = rel.split("/")[0];
      if (!DATE.matcher(first).matches()) {
        if (!first.startsWith("_")
            && !first.startsWith(".")) { // e.g. _SUCCESS beside the partitions
          strays.add(path);
        }
        continue;
      }
      byPartition.computeIfAbsent(dir + "/" + first, k -> new ArrayList<>()).add(m);
    }
    LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
    List<Partition> out = new ArrayList<>();
    for (Map.Entry<String, List<MatchResult.Metadata>> e : byPartition.entrySet()) {
      Matcher dm = DATE.matcher(e.getKey().substring(e.getKey().lastIndexOf('/') + 1));
      dm.matches();
      LocalDate date;
      try {
        date = LocalDate.parse(dm.group(1));
      } catch (DateTimeParseException ex) {
        strays.add(e.getKey());
        continue;
      }
      long age = ChronoUnit.DAYS.between(date, today);
      long bytes = 0;
      String inFlight =
          tierInFlight ? "the tier holds Beam temporary files: a write is running" : null;
      List<String> list = new ArrayList<>();
      for (MatchResult.Metadata m : e.getValue()) {
        bytes += m.sizeBytes();
        String name = m.resourceId().getFilename();
        list.add(m.resourceId().toString());
        if (inFlight == null
            && name != null
            && (name.startsWith(".") || name.startsWith("_") || name.endsWith(".tmp"))) {
          inFlight = "holds the temporary file " + name;
        }
        long modified = m.lastModifiedMillis();
        if (inFlight == null
            && modified > 0
            && now.toEpochMilli() - modified < gracePeriod.toMillis()) {
          inFlight =
              "a file was modified less than " + gracePeriod + " before the clock, or after it";
        }
      }
      Decision d;
      String reason;
      if (age <= days.get(tier)) {
        d = Decision.KEPT;
        reason = "within " + days.get(tier) + " days";
      } else if (inFlight != null) {
        d = Decision.IN_FLIGHT;
        reason = inFlight;
      } else {
        d = Decision.EXPIRED;
        reason = "older than " + days.get(tier) + " days";
      }
      out.add(
          new Partition(
              tier,
              e.getKey(),
              date,
              age,
              e.getValue().size(),
              bytes,
              d,
              reason,
              List.copyOf(list)));
    }
    return out;
  }

  /**
   * Deletes the files of the plan's expired partitions, then (local paths) their emptied folders.
   */
  public List<Partition> delete(List<Partition> plan) throws IOException {
    List<Partition> deleted = new ArrayList<>();
    for (Partition p : plan) {
      if (p.decision() != Decision.EXPIRED) {
        continue;
      }
      List<ResourceId> ids = new ArrayList<>();
      for (String f : p.fileList()) {
        checkInsideRoot(f);
        ids.add(FileSystems.matchNewResource(f, false));
      }
      FileSystems.delete(ids, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      removeEmptyFolders(p);
      deleted.add(p);
    }
    return deleted;
  }

  private void removeEmptyFolders(Partition p) throws IOException {
    if (!isLocal(p.directory())) {
      return; // object stores have no folders
    }
    TreeSet<Path> dirs =
        new TreeSet<>(
            Comparator.comparingInt(Path::getNameCount)
                .reversed()
                .thenComparing(Comparator.naturalOrder()));
    Path top = Path.of(p.directory());
    for (String f : p.fileList()) {
      for (Path d = Path.of(f).getParent(); d != null && d.startsWith(top); d = d.getParent()) {
        dirs.add(d);
      }
    }
    for (Path d : dirs) {
      try {
        Files.deleteIfExists(d);
      } catch (DirectoryNotEmptyException e) {
        // Something new arrived: leave it.
      }
    }
  }

  /**
   * Refuses to delete anything that is not under the root, following symbolic links on local paths.
   */
  private void checkInsideRoot(String file) throws IOException {
    if (isLocal(file)) {
      Path real = Path.of(file).toRealPath();
      Path r = Path.of(root).toRealPath();
      if (!real.startsWith(r)) {
        throw new IllegalStateException(
            "refusing to delete " + file + ": it resolves to " + real + ", outside the root " + r);
      }
    } else if (!file.startsWith(root + "/")) {
      throw new IllegalStateException("refusing to delete " + file + ": outside the root " + root);
    }
  }

  private static boolean isLocal(String path) {
    return !path.contains("://") || path.startsWith("file://");
  }

  private static String relative(String dir, String path) {
    String d = dir.endsWith("/") ? dir : dir + "/";
    if (!path.startsWith(d)) {
      throw new IllegalStateException("listed " + path + " outside " + dir);
    }
    return path.substring(d.length());
  }

  private static List<MatchResult.Metadata> list(String dir) throws IOException {
    MatchResult m = FileSystems.match(List.of(dir + "/**"), EmptyMatchTreatment.ALLOW).get(0);
    return m.status() == MatchResult.Status.OK ? m.metadata() : List.of();
  }

  public String root() {
    return root;
  }

  public Instant clock() {
    return now;
  }
}
