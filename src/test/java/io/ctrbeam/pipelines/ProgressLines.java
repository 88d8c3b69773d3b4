package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@link Progress} lines back from a job's output, and checks them against the run's totals.
 */
final class ProgressLines {
  private static final Pattern LINE =
      Pattern.compile(
          "progress (\\d+s|done) read(.*) \\| labeled (\\d+) \\(positives=(\\d+)\\) \\| dead-lettered(.*)");
  private static final Pattern PAIR = Pattern.compile("(\\w+)=(\\d+)");

  private ProgressLines() {}

  /**
   * Each progress line as counts: {@code read.<type>}, {@code labeled}, {@code positives}, {@code
   * dead.<type>}; in order.
   */
  static List<Map<String, Long>> parse(String output) {
    List<Map<String, Long>> lines = new ArrayList<>();
    for (String l : output.split("\n")) {
      Matcher m = LINE.matcher(l.trim());
      if (!m.matches()) {
        continue;
      }
      Map<String, Long> counts = new TreeMap<>();
      pairs(m.group(2), "read.", counts);
      counts.put("labeled", Long.parseLong(m.group(3)));
      counts.put("positives", Long.parseLong(m.group(4)));
      pairs(m.group(5), "dead.", counts);
      counts.put("done", m.group(1).equals("done") ? 1L : 0L);
      lines.add(counts);
    }
    return lines;
  }

  private static void pairs(String text, String prefix, Map<String, Long> into) {
    Matcher p = PAIR.matcher(text);
    while (p.find()) {
      into.put(prefix + p.group(1), Long.parseLong(p.group(2)));
    }
  }

  /** The counts a final line must show: the finished run's totals. */
  static Map<String, Long> totals(RunSummary s) {
    Map<String, Long> t = new TreeMap<>();
    for (String type : Progress.TYPES) {
      if (s.ingest(type + "_in") > 0) {
        t.put("read." + type, s.ingest(type + "_in"));
      }
    }
    t.put("labeled", s.label("clicked_positive") + s.label("clicked_negative"));
    t.put("positives", s.label("clicked_positive"));
    return t;
  }

  /**
   * At least {@code minLive} lines while the job ran and one final line; no count ever shrinks; a
   * line while the job ran shows counts (read from the running job, not only at its end); the
   * counts grew; and the final line holds the run's totals.
   */
  static void check(String output, RunSummary summary, int minLive) {
    check(output, summary, minLive, true);
  }

  /**
   * As {@link #check(String, RunSummary, int)}; without {@code grows}, the first line may already
   * hold the totals (a job too short to show partial counts between two reports).
   */
  static void check(String output, RunSummary summary, int minLive, boolean grows) {
    List<Map<String, Long>> lines = parse(output);
    assertThat("progress lines in:\n" + output, lines.size(), greaterThanOrEqualTo(minLive + 1));
    Map<String, Long> last = lines.get(lines.size() - 1);
    assertThat("the last line is the final one", last.get("done"), equalTo(1L));
    for (int i = 1; i < lines.size(); i++) {
      for (Map.Entry<String, Long> e : lines.get(i - 1).entrySet()) {
        assertThat(
            "line " + i + " " + e.getKey(),
            lines.get(i).getOrDefault(e.getKey(), 0L),
            greaterThanOrEqualTo(e.getValue()));
      }
    }
    if (grows) {
      assertThat("the counts grew while the job ran", sum(lines.get(0)), lessThan(sum(last)));
    }
    assertThat(
        "a line while the job ran shows counts",
        lines.subList(0, lines.size() - 1).stream().mapToLong(ProgressLines::sum).max().orElse(0),
        greaterThan(0L));
    Map<String, Long> expected = totals(summary);
    for (Map.Entry<String, Long> e : expected.entrySet()) {
      assertThat("final " + e.getKey(), last.get(e.getKey()), equalTo(e.getValue()));
    }
    for (String type : Progress.TYPES) {
      long dead =
          summary.deadLetterCounters().entrySet().stream()
              .filter(e -> e.getKey().startsWith(type + "_"))
              .mapToLong(Map.Entry::getValue)
              .sum();
      assertThat("final dead." + type, last.getOrDefault("dead." + type, 0L), equalTo(dead));
    }
  }

  private static long sum(Map<String, Long> counts) {
    return counts.entrySet().stream()
        .filter(e -> !e.getKey().equals("done"))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }
}
