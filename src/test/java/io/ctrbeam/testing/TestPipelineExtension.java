package io.ctrbeam.testing;

import java.lang.reflect.Method;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;

/**
 * Gives a JUnit 5 test a fresh Beam {@link TestPipeline} as a parameter: Beam 2.62 has only a JUnit
 * 4 rule. The test runs inside that rule's statement, so its checks hold as under JUnit 4: a
 * pipeline with transforms that is never run, or a PAssert left out of the run, fails the test
 * (unless the test turns enforcement off).
 *
 * <pre>{@code
 * @ExtendWith(TestPipelineExtension.class)
 * class MyTest {
 *   @Test void counts(TestPipeline p) { ...; p.run().waitUntilFinish(); }
 * }
 * }</pre>
 */
public final class TestPipelineExtension implements ParameterResolver, InvocationInterceptor {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(TestPipelineExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext param, ExtensionContext ctx) {
    return param.getParameter().getType() == TestPipeline.class;
  }

  @Override
  public Object resolveParameter(ParameterContext param, ExtensionContext ctx) {
    TestPipeline p = TestPipeline.create().enableAbandonedNodeEnforcement(true);
    ctx.getStore(NS).put(TestPipeline.class, p);
    return p;
  }

  @Override
  public void interceptTestMethod(
      Invocation<Void> invocation, ReflectiveInvocationContext<Method> call, ExtensionContext ctx)
      throws Throwable {
    TestPipeline p = ctx.getStore(NS).get(TestPipeline.class, TestPipeline.class);
    if (p == null) {
      invocation.proceed();
      return;
    }
    Statement body =
        new Statement() {
          @Override
          public void evaluate() throws Throwable {
            invocation.proceed();
          }
        };
    Description d =
        Description.createTestDescription(call.getTargetClass(), call.getExecutable().getName());
    p.apply(body, d).evaluate();
  }
}
