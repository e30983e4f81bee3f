package dev.agentfactory.clusterit;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * The cluster ITs need a Docker engine. Without one every test is reported skipped with a message
 * that says so (never passed), unless {@code AF_CLUSTER_IT_REQUIRED=true} (set by {@code .ci/run}),
 * where a missing engine fails the build.
 */
final class DockerGuard implements ExecutionCondition {

  private static volatile String unavailable;
  private static volatile boolean checked;

  /** Null when an engine answers, else why the tests cannot run. */
  static synchronized String whyUnavailable() {
    if (!checked) {
      try {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
          unavailable = "no Docker engine answers";
        }
      } catch (RuntimeException e) {
        unavailable = "no Docker engine answers: " + e.getMessage();
      }
      checked = true;
    }
    return unavailable == null
        ? null
        : "cluster-it SKIPPED: "
            + unavailable
            + ". Install and start one (as root: apt-get install docker.io; dockerd &) to run the"
            + " cluster tests on real node processes; .ci/run does this.";
  }

  static boolean required() {
    return "true".equals(System.getenv("AF_CLUSTER_IT_REQUIRED"));
  }

  /** For {@code @BeforeAll}: true if the cluster can start; throws if it must and cannot. */
  static boolean dockerAvailable() {
    String why = whyUnavailable();
    if (why != null && required()) {
      throw new IllegalStateException(why.replace("SKIPPED", "cannot run"));
    }
    return why == null;
  }

  /** Each test is skipped, with the reason, when there is no engine and none is required. */
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (context.getTestMethod().isEmpty()) {
      return ConditionEvaluationResult.enabled("checked per test");
    }
    String why = whyUnavailable();
    if (why == null || required()) {
      return ConditionEvaluationResult.enabled("a Docker engine answers");
    }
    System.err.println(why);
    return ConditionEvaluationResult.disabled(why);
  }
}
