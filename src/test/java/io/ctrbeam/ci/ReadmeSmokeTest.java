package io.ctrbeam.ci;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README smoke check's reading of README.md, checked on every build (the commands run in {@code
 * .ci/readme-smoke}).
 */
class ReadmeSmokeTest {
  private static final Pattern MAIN_CLASS = Pattern.compile("-Dexec\\.mainClass=([\\w.]+)");

  private static List<ReadmeSmoke.Command> readme() throws Exception {
    return ReadmeSmoke.commands(Files.readAllLines(Path.of("README.md")));
  }

  @Test
  void joinsContinuationLinesDropsCommentsAndSkipsTheTestCommandAndJson() {
    List<String> md =
        List.of(
            "text",
            "```",
            "mvn -q compile exec:java -Dexec.mainClass=a.B \\",
            "  -Dexec.args=\"1 2\"     # sizes",
            "```",
            "```json",
            "{\"java \": 1}",
            "```",
            "```",
            "mvn verify",
            "java -jar x.jar --a=b",
            "```");
    List<ReadmeSmoke.Command> c = ReadmeSmoke.commands(md);
    assertThat(c.size(), equalTo(2));
    assertThat(
        c.get(0).text(),
        equalTo("mvn -q compile exec:java -Dexec.mainClass=a.B -Dexec.args=\"1 2\""));
    assertThat(c.get(0).line(), equalTo(3));
    assertThat(c.get(1).text(), equalTo("java -jar x.jar --a=b"));
  }

  @Test
  void everyEntryPointHasACommandInTheReadme() throws Exception {
    List<String> missing = new ArrayList<>();
    String all = String.join("\n", readme().stream().map(ReadmeSmoke.Command::text).toList());
    try (Stream<Path> files = Files.list(Path.of("pipelines/io/ctrbeam/pipelines"))) {
      for (Path f : files.sorted().toList()) {
        String name = f.getFileName().toString().replace(".java", "");
        boolean hasMain = Files.readString(f).contains("public static void main(String[] args)");
        // CtrJob is the pom's default main class: the demo's command names no class. *Template
        // classes are started by a Dataflow Flex Template launcher (the README's gcloud commands).
        boolean template =
            Files.readString(Path.of("README.md"))
                .contains("FLEX_TEMPLATE_JAVA_MAIN_CLASS=io.ctrbeam.pipelines." + name);
        if (hasMain
            && !name.equals("CtrJob")
            && !template
            && !all.contains("io.ctrbeam.pipelines." + name)) {
          missing.add(name);
        }
      }
    }
    assertThat("entry points without a README command", missing, empty());
    assertThat(all, containsString("--workDir=demo-output"));
  }

  @Test
  void everyCommandNamesARealMainClassWithTheExecProperty() throws Exception {
    for (ReadmeSmoke.Command c : readme()) {
      assertThat(
          "README.md:" + c.line() + " uses the pom property, not exec's",
          c.text(),
          not(containsString("-DmainClass=")));
      Matcher m = MAIN_CLASS.matcher(c.text());
      if (m.find()) {
        Method main = Class.forName(m.group(1)).getMethod("main", String[].class);
        assertThat(m.group(1), Modifier.isStatic(main.getModifiers()), equalTo(true));
      }
      ReadmeSmoke.expected(c.text());
    }
  }

  @Test
  void runsEachBuildOnceAndFirst() {
    List<ReadmeSmoke.Command> c =
        List.of(
            new ReadmeSmoke.Command(1, "mvn -q compile exec:java"),
                new ReadmeSmoke.Command(2, "mvn -q package -Pflink-runner"),
            new ReadmeSmoke.Command(3, "java -jar a.jar"),
                new ReadmeSmoke.Command(4, "mvn -q package -Pflink-runner"));
    assertThat(
        ReadmeSmoke.ordered(c).stream().map(ReadmeSmoke.Command::line).toList(),
        equalTo(List.of(2, 1, 3)));
  }

  @Test
  void substitutesSmallSizesAndThisRunsServices() {
    assertThat(
        ReadmeSmoke.substitute(
            "mvn -Dexec.args=\"--output=logs --impressionsPerDay=1000000 --days=1\"",
            "127.0.0.1:5",
            7),
        equalTo("mvn -Dexec.args=\"--output=logs --impressionsPerDay=3000 --days=1\""));
    String speed =
        ReadmeSmoke.substitute(
            "x SpeedLayerPipeline --bootstrapServers=localhost:9092 --redisHost=localhost --redisPort=6379 --output=speed-out",
            "127.0.0.1:5",
            7);
    assertThat(speed, containsString("--bootstrapServers=127.0.0.1:5 "));
    assertThat(speed, containsString("--redisPort=7 "));
    assertThat(speed, containsString("--runFor="));
    assertThat(
        ReadmeSmoke.substitute("x ConsistencyReport --redisHost=localhost --output=c", "k", 7),
        equalTo("x ConsistencyReport --redisHost=localhost --redisPort=7 --output=c"));
  }
}
