package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.agentfactory.cluster.ClusterOptions;
import dev.agentfactory.edge.config.NodeOptions;
import dev.agentfactory.edge.config.Option;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps k8s/ in agreement with the code: the manifest may only set options the node reads, and its
 * probes must hit the node's real port and health route. (kubectl's own dry-run needs an API
 * server, which this machine does not have; see k8s/README.md.)
 */
class KubernetesManifestTest {

  private static JsonNode statefulSet;

  @BeforeAll
  static void readManifest() throws IOException {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    List<JsonNode> docs = new ArrayList<>();
    try (var parser =
        yaml.getFactory().createParser(Path.of("..", "k8s", "edge-statefulset.yaml").toFile())) {
      yaml.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
    }
    statefulSet =
        docs.stream()
            .filter(d -> d.path("kind").asText().equals("StatefulSet"))
            .findFirst()
            .orElseThrow();
  }

  @Test
  void everyEnvironmentVariableIsAnOptionTheNodeReads() {
    Set<String> known = new HashSet<>();
    NodeOptions.ALL.stream().map(Option::env).forEach(known::add);
    ClusterOptions.ALL.stream().map(ClusterOptions.Option::key).forEach(known::add);

    JsonNode env = container().path("env");
    assertThat(env.isArray()).isTrue();
    for (JsonNode var : env) {
      String name = var.path("name").asText();
      if (name.startsWith("AF_")) {
        assertThat(known).as("%s is read by the node", name).contains(name);
      }
    }
  }

  @Test
  void probesUseTheHttpPortAndTheReadyRoute() {
    JsonNode c = container();
    int httpPort = -1;
    for (JsonNode port : c.path("ports")) {
      if (port.path("name").asText().equals("http")) {
        httpPort = port.path("containerPort").asInt();
      }
    }
    assertThat(httpPort).isEqualTo(8080);
    // /ready answers 503 while the node drains; /health does not
    assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/ready");
    assertThat(c.at("/readinessProbe/httpGet/port").asText()).isIn("http", "8080");
  }

  @Test
  void theGracePeriodCoversTheDrainAndTheClose() {
    long grace = statefulSet.at("/spec/template/spec/terminationGracePeriodSeconds").asLong();
    // SIGTERM: drain up to the timeout + 5 s (AgentFactoryNode.drain), then close, whose final
    // savepoint alone may take a minute
    assertThat(grace)
        .isGreaterThanOrEqualTo(
            dev.agentfactory.cluster.pool.PoolConfig.DEFAULT_DRAIN_TIMEOUT.toSeconds() + 5 + 60);
  }

  private static JsonNode container() {
    return statefulSet.at("/spec/template/spec/containers/0");
  }
}
