package io.ctrbeam.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.emptyString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Validation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Flex Template metadata of each pipeline names exactly the pipeline's own options (those
 * declared by ctr-beam's options interfaces), marks required exactly the
 * {@code @Validation.Required} ones, and its regexes accept each option's default and every
 * constant of an enum option. So an option added, renamed or removed fails here until the metadata
 * follows.
 */
class FlexTemplateMetadataTest {
  @ParameterizedTest
  @CsvSource({
    "training-data-metadata.json, io.ctrbeam.pipelines.TrainingDataOptions, false",
    "speed-layer-metadata.json, io.ctrbeam.pipelines.SpeedLayerOptions, true"
  })
  void metadataMatchesTheOptionsInterface(String file, Class<?> options, boolean streaming)
      throws Exception {
    JsonNode meta = new ObjectMapper().readTree(Path.of("runners/dataflow", file).toFile());
    Map<String, Method> own = ownOptions(options);

    assertThat(meta.path("name").asText(), not(emptyString()));
    assertThat(meta.path("description").asText(), not(emptyString()));
    assertThat(meta.path("streaming").asBoolean(false), is(streaming));
    Map<String, JsonNode> params = new TreeMap<>();
    for (JsonNode p : meta.path("parameters")) {
      params.put(p.path("name").asText(), p);
    }
    assertThat("one entry per parameter", params.size(), equalTo(meta.path("parameters").size()));
    assertThat(params.keySet(), equalTo(own.keySet()));

    for (Map.Entry<String, JsonNode> e : params.entrySet()) {
      String name = e.getKey();
      JsonNode p = e.getValue();
      Method getter = own.get(name);
      assertThat(name + " label", p.path("label").asText(), not(emptyString()));
      assertThat(name + " helpText", p.path("helpText").asText(), not(emptyString()));
      boolean required = getter.isAnnotationPresent(Validation.Required.class);
      assertThat(name + " isOptional", p.path("isOptional").asBoolean(false), is(!required));
      for (JsonNode rx : p.path("regexes")) {
        Pattern pattern = Pattern.compile(rx.asText());
        String dflt = defaultOf(getter);
        if (dflt != null && !dflt.isEmpty()) {
          assertThat(
              name + " default " + dflt + " matches " + rx,
              pattern.matcher(dflt).matches(),
              is(true));
        }
        if (getter.getReturnType().isEnum()) {
          for (Object c : getter.getReturnType().getEnumConstants()) {
            assertThat(
                name + " value " + c, pattern.matcher(((Enum<?>) c).name()).matches(), is(true));
          }
        }
      }
    }
  }

  /** Property name to getter, for the getters declared by io.ctrbeam interfaces. */
  private static Map<String, Method> ownOptions(Class<?> options) {
    Map<String, Method> out = new TreeMap<>();
    for (Method m : options.getMethods()) {
      if (!m.getDeclaringClass().getName().startsWith("io.ctrbeam.")
          || m.getParameterCount() != 0
          || Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      String n = m.getName();
      String prop =
          n.startsWith("get") ? n.substring(3) : n.startsWith("is") ? n.substring(2) : null;
      if (prop != null && !prop.isEmpty()) {
        out.put(Character.toLowerCase(prop.charAt(0)) + prop.substring(1), m);
      }
    }
    return out;
  }

  private static String defaultOf(Method getter) {
    if (getter.isAnnotationPresent(Default.String.class)) {
      return getter.getAnnotation(Default.String.class).value();
    }
    if (getter.isAnnotationPresent(Default.Enum.class)) {
      return getter.getAnnotation(Default.Enum.class).value();
    }
    if (getter.isAnnotationPresent(Default.Integer.class)) {
      return String.valueOf(getter.getAnnotation(Default.Integer.class).value());
    }
    if (getter.isAnnotationPresent(Default.Long.class)) {
      return String.valueOf(getter.getAnnotation(Default.Long.class).value());
    }
    if (getter.isAnnotationPresent(Default.Double.class)) {
      return String.valueOf(getter.getAnnotation(Default.Double.class).value());
    }
    if (getter.isAnnotationPresent(Default.Boolean.class)) {
      return String.valueOf(getter.getAnnotation(Default.Boolean.class).value());
    }
    return null;
  }
}
