package dev.agentfactory.clusterit;

import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;

/**
 * The cluster ITs need a Docker engine. Without one they are skipped with a message that says so
 * (shown as skipped, never as passed), unless {@code AF_CLUSTER_IT_REQUIRED=true} (set by {@code
 * .ci/run}), where a missing engine fails the build.
 */
final class DockerGuard {

  private DockerGuard() {}

  static void requireDocker() {
    boolean available;
    String why = "";
    try {
      available = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      available = false;
      why = ": " + e.getMessage();
    }
    if (available) {
      return;
    }
    String message =
        "cluster-it SKIPPED: no Docker engine answers"
            + why
            + ". Install and start one (as root: apt-get install docker.io; dockerd &) to run"
            + " the cluster tests on real node processes; .ci/run does this.";
    if ("true".equals(System.getenv("AF_CLUSTER_IT_REQUIRED"))) {
      throw new IllegalStateException(message.replace("SKIPPED", "cannot run"));
    }
    System.err.println(message);
    Assumptions.abort(message);
  }
}
