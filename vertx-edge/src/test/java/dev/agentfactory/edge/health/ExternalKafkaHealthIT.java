package dev.agentfactory.edge.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.kafka.EmbeddedKafka;
import dev.agentfactory.connectors.kafka.Topics;
import dev.agentfactory.edge.AgentFactoryNode;
import dev.agentfactory.edge.TestHttp;
import dev.agentfactory.edge.config.ConfigSource;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.testing.TestPorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node configured with an external Kafka cluster ({@code kafka.bootstrap.servers}) asks it for
 * real: a real single-node broker outside the node is stopped and restarted on the same port and
 * data, and {@code GET /health} follows it, answering all the while.
 */
class ExternalKafkaHealthIT {

  /** How long the node may take to notice; not asserted, only a bound so a broken test ends. */
  private static final Duration WAIT = Duration.ofSeconds(120);

  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir Path dir;
  private EmbeddedKafka kafka;
  private AgentFactoryNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void healthFollowsAnExternalKafkaThatStopsAndComesBack() throws Exception {
    // restarted on the same port below: one below the ephemeral range, which the node's clients,
    // connecting to it meanwhile, cannot take as their own end (nor a self-connection)
    kafka = TestPorts.startOnFree(port -> EmbeddedKafka.start(dir.resolve("kafka"), port)).server();
    int kafkaPort = kafka.port();
    // an external cluster's topics are the operator's: the node does not create them
    kafka.createTopics(Topics.INTERACTIONS, Topics.INTERACTIONS_DLQ, Topics.EVAL_LIVE);
    node = startNode(kafka.bootstrapServers());

    JsonNode up = health();
    assertThat(up.at("/components/kafka/status").asText()).as(up.toString()).isEqualTo("UP");
    assertThat(up.at("/components/kafka/detail/bootstrap_servers").asText())
        .isEqualTo(kafka.bootstrapServers());

    kafka.close();
    JsonNode down = eventually(h -> h.at("/components/kafka/status").asText().equals("DOWN"));
    assertThat(down.at("/components/kafka/detail/reason").asText())
        .as(down.toString())
        .startsWith("Kafka did not answer");
    assertThat(down.get("status").asText()).isEqualTo("DOWN");
    assertThat(down.get("http_status").asInt()).isEqualTo(503);
    assertThat(down.get("failing")).extracting(JsonNode::asText).contains("kafka");
    // the node still takes sessions (their events wait for Kafka): it stays in its load balancer
    assertThat(status("/ready")).as("/ready while Kafka is away").isEqualTo(200);

    kafka = EmbeddedKafka.start(kafka.dataDir(), kafkaPort);
    JsonNode back = eventually(h -> h.at("/components/kafka/status").asText().equals("UP"));
    assertThat(back.at("/components/kafka/detail/reason").isMissingNode())
        .as(back.toString())
        .isTrue();
    assertThat(back.at("/components/kafka/detail/mode").asText()).isEqualTo("external");
    assertThat(back.at("/components/kafka/detail/brokers").asInt()).isEqualTo(1);
  }

  private AgentFactoryNode startNode(String bootstrapServers) throws IOException {
    Path data = Files.createDirectories(dir.resolve("node"));
    // sandboxes run as unprivileged uids, which must traverse the data dir
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx--x--x"));
    String jar = System.getProperty("af.test.pipeline.jar");
    assertThat(jar).as("af.test.pipeline.jar (set by failsafe)").isNotNull();
    Map<String, String> flags = new HashMap<>();
    flags.put("data.dir", data.toString());
    flags.put("http.port", "0");
    flags.put("kafka.bootstrap.servers", bootstrapServers);
    flags.put("flink.embedded.port", "0");
    flags.put("flink.pipeline.jar", jar);
    flags.put("cluster.port", Integer.toString(TestPorts.free()));
    flags.put("sandbox.isolation", "process");
    flags.put("sandbox.pool.size", "1");
    return AgentFactoryNode.start(NodeConfig.from(new ConfigSource(flags, Map.of(), Map.of())));
  }

  /** {@code GET /health} until {@code condition} holds; each answer must come (no hang). */
  private JsonNode eventually(Predicate<JsonNode> condition) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonNode last = health();
    while (!condition.test(last)) {
      assertThat(System.nanoTime() - deadline).as("last /health: %s", last).isNegative();
      Thread.sleep(200); // polling /health, with a deadline
      last = health();
    }
    return last;
  }

  /** The body of {@code GET /health}, with the HTTP status added as {@code http_status}. */
  private JsonNode health() throws Exception {
    HttpResponse<String> response =
        TestHttp.client()
            .send(
                HttpRequest.newBuilder(URI.create(node.httpUrl() + "/health"))
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    JsonNode body = MAPPER.readTree(response.body());
    ((com.fasterxml.jackson.databind.node.ObjectNode) body)
        .put("http_status", response.statusCode());
    return body;
  }

  private int status(String path) throws Exception {
    return TestHttp.client()
        .send(
            HttpRequest.newBuilder(URI.create(node.httpUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }
}
