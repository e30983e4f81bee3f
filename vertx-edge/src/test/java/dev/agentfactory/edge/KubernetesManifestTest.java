package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.agentfactory.cluster.ClusterOptions;
import dev.agentfactory.edge.config.NodeOptions;
import dev.agentfactory.edge.config.Option;
import java.io.IOException;
import java.net.URI;
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
  private static JsonNode flinkData;

  @BeforeAll
  static void readManifest() throws IOException {
    statefulSet = only(read("edge-statefulset.yaml"), "StatefulSet");
    flinkData = only(read("flink-data-pvc.yaml"), "PersistentVolumeClaim");
  }

  private static List<JsonNode> read(String file) throws IOException {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    List<JsonNode> docs = new ArrayList<>();
    try (var parser = yaml.getFactory().createParser(Path.of("..", "k8s", file).toFile())) {
      yaml.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
    }
    return docs;
  }

  private static JsonNode only(List<JsonNode> docs, String kind) {
    return docs.stream()
        .filter(d -> d.path("kind").asText().equals(kind))
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

  /**
   * With the external Flink the manifest configures, stops must name a directory the JobManager and
   * TaskManagers write: the shared volume they mount (flink-data-pvc.yaml), not this pod's own
   * {@code /data} (the default), which Flink cannot reach.
   */
  @Test
  void savepointsGoToTheVolumeTheFlinkClusterSharesNotThePodsOwn() {
    assertThat(env("AF_FLINK_REST_URL")).as("an external Flink").isNotEmpty();
    String dir = env("AF_FLINK_SAVEPOINTS_DIR");
    assertThat(dir).as("AF_FLINK_SAVEPOINTS_DIR with an external Flink").isNotEmpty();

    String flinkMount =
        flinkData.at("/metadata/annotations/agent-factory.dev~1mount-path").asText();
    assertThat(flinkMount).as("where Flink's pods mount agent-factory-flink-data").startsWith("/");
    assertThat(flinkData.at("/spec/accessModes").toString())
        .as("the JobManager and every TaskManager mount it at once")
        .contains("ReadWriteMany");
    assertThat(URI.create(dir).getScheme()).isEqualTo("file");
    assertThat(Path.of(URI.create(dir).getPath()).startsWith(flinkMount))
        .as("%s on the Flink volume at %s", dir, flinkMount)
        .isTrue();
    for (JsonNode mount : container().path("volumeMounts")) {
      assertThat(Path.of(URI.create(dir).getPath()).startsWith(mount.path("mountPath").asText()))
          .as("%s is not on the pod's own volume %s", dir, mount.path("mountPath").asText())
          .isFalse();
    }
  }

  /** The value of the container's environment variable {@code name}, or "" if not set. */
  private static String env(String name) {
    for (JsonNode var : container().path("env")) {
      if (var.path("name").asText().equals(name)) {
        return var.path("value").asText();
      }
    }
    return "";
  }

  private static JsonNode container() {
    return statefulSet.at("/spec/template/spec/containers/0");
  }
}
