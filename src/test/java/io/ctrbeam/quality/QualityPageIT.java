package io.ctrbeam.quality;

import static io.ctrbeam.quality.QualityFixtures.impression;
import static io.ctrbeam.quality.QualityFixtures.profile;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.fail;

import io.ctrbeam.schema.Impression;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * quality.html in headless Chromium (Debian's {@code chromium}, installed by {@code .ci/run}): it
 * loads with no console message, offline, and its ECharts charts are drawn as SVG with paths. A
 * missing Chromium fails the test, as a missing redis-server fails the Redis ITs: it is never
 * skipped.
 */
class QualityPageIT {
  private static String chromium;

  @BeforeAll
  static void findChromium() {
    for (String name : new String[] {"chromium", "chromium-browser"}) {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
        if (Files.isExecutable(Path.of(dir, name))) {
          chromium = Path.of(dir, name).toString();
          return;
        }
      }
    }
    fail(
        "chromium is not installed; .ci/run installs it (apt-get install -y chromium), as the README says");
  }

  /** What Chromium printed: the DOM after scripts ran, and console messages from stderr. */
  private record Page(String dom, List<String> console) {}

  private static Page load(Path html, Path dir) throws Exception {
    Path profile = Files.createTempDirectory(dir, "chromium-profile");
    Path out = dir.resolve("dom.html");
    Path err = dir.resolve("stderr.txt");
    Process p =
        new ProcessBuilder(
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=5000",
                "--dump-dom",
                html.toUri().toString())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("chromium did not finish in 90 s");
    }
    List<String> console = new ArrayList<>();
    for (String line : Files.readAllLines(err, StandardCharsets.UTF_8)) {
      if (line.contains(":CONSOLE")) {
        console.add(line);
      }
    }
    return new Page(Files.readString(out, StandardCharsets.UTF_8), console);
  }

  private static List<Impression> devices(int n, double pMobile, long seed) {
    Random rnd = new Random(seed);
    List<Impression> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          impression(
              i,
              rnd.nextDouble() < pMobile ? "mobile" : "desktop",
              i % 50 == 0 ? null : "US",
              1 + rnd.nextInt(10)));
    }
    return out;
  }

  private static Path drifted(Path dir) throws Exception {
    DatasetProfile ref = profile(devices(2000, 0.5, 1), null);
    QualityReport r =
        QualityGate.evaluate(
            List.of(profile(devices(2000, 0.9, 2), ref)),
            List.of(ref),
            DeadLetterCounts.empty(),
            QualityConfig.defaults(),
            QualityFixtures.T0 + 3_600_000L,
            null,
            null);
    Path html = dir.resolve(WriteQualityReport.REPORT_HTML);
    Files.writeString(html, QualityPage.render(r), StandardCharsets.UTF_8);
    return html;
  }

  /** The number of SVG paths between the element with this id and the next chart. */
  private static int paths(String dom, String marker) {
    int from = dom.indexOf(marker);
    assertThat("no " + marker + " in the page", from, greaterThan(-1));
    int tagEnd = dom.indexOf('>', from);
    int to = dom.indexOf("class=\"chart", tagEnd);
    String part = dom.substring(from, to < 0 ? dom.length() : to);
    Matcher m = Pattern.compile("<path").matcher(part);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return part.contains("<svg") ? n : 0;
  }

  @Test
  void pageLoadsWithoutConsoleMessagesAndDrawsItsCharts(@TempDir Path dir) throws Exception {
    Page page = load(drifted(dir), dir);
    assertThat(page.console(), empty());
    assertThat(page.dom(), containsString("id=\"verdict\" class=\"fail\""));
    assertThat(page.dom(), containsString("impression.device psi = "));
    // Bars are paths: the PSI chart has one per field, completeness one per field, the histogram
    // one per bin and side.
    assertThat(paths(page.dom(), "id=\"psi-chart\""), greaterThan(7));
    assertThat(paths(page.dom(), "id=\"completeness-chart\""), greaterThan(10));
    assertThat(paths(page.dom(), "class=\"chart histogram\""), greaterThan(4));
    // Offline: nothing is fetched from a network.
    assertThat(
        Files.readString(dir.resolve(WriteQualityReport.REPORT_HTML)),
        not(containsString("src=\"http")));
  }

  @Test
  void aScriptErrorOnThePageWouldBeSeen(@TempDir Path dir) throws Exception {
    // The check above is only worth something if it can fail: break the page and look.
    Path html = drifted(dir);
    Files.writeString(html, Files.readString(html).replace("echarts.init(el", "echartz.init(el"));
    Page page = load(html, dir);
    assertThat(page.console().toString(), containsString("echartz is not defined"));
    assertThat(paths(page.dom(), "id=\"psi-chart\""), org.hamcrest.Matchers.equalTo(0));
  }
}
