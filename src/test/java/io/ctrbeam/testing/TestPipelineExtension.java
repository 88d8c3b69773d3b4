package io.ctrbeam.testing;

import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a JUnit 5 test a fresh Beam {@link TestPipeline} as a parameter: Beam 2.62 has only a
 * JUnit 4 rule. Abandoned nodes (a PAssert never run) still fail the test when it runs.
 *
 * <pre>{@code
 * @ExtendWith(TestPipelineExtension.class)
 * class MyTest {
 *   @Test void counts(TestPipeline p) { ...; p.run().waitUntilFinish(); }
 * }
 * }</pre>
 */
public final class TestPipelineExtension implements ParameterResolver {
  @Override
  public boolean supportsParameter(ParameterContext param, ExtensionContext ctx) {
    return param.getParameter().getType() == TestPipeline.class;
  }

  @Override
  public Object resolveParameter(ParameterContext param, ExtensionContext ctx) {
    return TestPipeline.create().enableAbandonedNodeEnforcement(true);
  }
}
