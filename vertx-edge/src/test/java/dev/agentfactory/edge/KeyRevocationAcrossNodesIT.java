package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.edge.config.ConfigSource;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.edge.store.PostgresServer;
import dev.agentfactory.testing.TestPorts;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key revoked through one node is refused by the other at once, its sessions there ended, because
 * the revocation is announced on the cluster: here no node reads the shared key store again on its
 * own schedule within the test (the periodic reload is set to an hour), so nothing else could tell
 * node B. Real components: two nodes joined in one Hazelcast cluster with auth on, sharing a key
 * store on a real PostgreSQL server, and a WebSocket client; the data plane is off, which this does
 * not need.
 */
class KeyRevocationAcrossNodesIT {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String ADMIN = "admin-key-for-the-revocation-it";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final String REFRESH_MS = "af.auth.refresh.ms";

  @TempDir static Path dirA;
  @TempDir static Path dirB;

  private static PostgresServer database;
  private static AgentFactoryNode nodeA;
  private static AgentFactoryNode nodeB;
  private static String leaked;
  private static String leakedId;
  private static String kept;

  @BeforeAll
  static void startCluster() throws Exception {
    database = PostgresServer.start();
    System.setProperty(REFRESH_MS, Long.toString(Duration.ofHours(1).toMillis()));
    Map<String, String> shared =
        Map.of(
            "http.port", "0",
            "data.enabled", "false",
            "sandbox.isolation", "process",
            "sandbox.pool.size", "1",
            "session.resume.grace.ms", "0",
            "auth.admin.key", ADMIN,
            "auth.store.url", database.createDatabase());

    Map<String, String> a = new HashMap<>(shared);
    a.put("data.dir", dirA.toString());
    a.put("cluster.port", Integer.toString(TestPorts.free()));
    nodeA = AgentFactoryNode.start(NodeConfig.from(new ConfigSource(a, Map.of(), Map.of())));
    // made before B starts, so B knows them from its one read of the store at start
    JsonNode leakedKey = key("leaky");
    leaked = leakedKey.get("key").asText();
    leakedId = leakedKey.get("id").asText();
    kept = key("leaky").get("key").asText();

    Map<String, String> b = new HashMap<>(shared);
    b.put("data.dir", dirB.toString());
    b.put("cluster.port", Integer.toString(TestPorts.free()));
    b.put("cluster.members", TestNodes.clusterAddress(nodeA));
    nodeB = AgentFactoryNode.start(NodeConfig.from(new ConfigSource(b, Map.of(), Map.of())));
  }

  @AfterAll
  static void stop() throws Exception {
    System.clearProperty(REFRESH_MS);
    for (AutoCloseable started : new AutoCloseable[] {nodeB, nodeA, database}) {
      if (started != null) {
        started.close();
      }
    }
  }

  @Test
  void aKeyRevokedThroughOneNodeIsRefusedAndItsSessionsEndOnTheOtherWithoutWaitingForAReload()
      throws Exception {
    assertThat(get(nodeB, leaked).statusCode()).as("B knows the key").isEqualTo(200);
    try (FrameClient onB = session(nodeB, leaked);
        FrameClient keptOnB = session(nodeB, kept)) {
      assertThat(onB.next(TIMEOUT).get("type").asText()).isEqualTo("session.ready");
      assertThat(keptOnB.next(TIMEOUT).get("type").asText()).isEqualTo("session.ready");

      HttpResponse<String> revoked = send(nodeA, "DELETE", "/v1/keys/" + leakedId, ADMIN);
      assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(204);

      List<JsonNode> rest = onB.until(f -> f.get("type").asText().equals("error"), TIMEOUT);
      JsonNode error = rest.get(rest.size() - 1);
      assertThat(error.get("code").asText()).as(error.toString()).isEqualTo("key_revoked");
      assertThat(error.get("fatal").asBoolean()).isTrue();
      assertThat(error.get("message").asText()).contains(leakedId, "revoked");
      await().atMost(TIMEOUT).until(onB::isClosedByServer);
      assertThat(onB.closeCode()).isEqualTo(4401);
      assertThat(onB.closeReason()).isEqualTo("key_revoked");

      HttpResponse<String> refused = get(nodeB, leaked);
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(401);
      assertThat(MAPPER.readTree(refused.body()).at("/error/code").asText())
          .isEqualTo("invalid_credentials");

      // The tenant's other key works on B as before, its session too
      assertThat(get(nodeB, kept).statusCode()).isEqualTo(200);
      keptOnB.send("{\"v\":1,\"type\":\"exec\",\"id\":\"k1\",\"command\":\"echo still here\"}");
      List<JsonNode> frames =
          keptOnB.until(f -> f.get("type").asText().equals("exec.exit"), TIMEOUT);
      JsonNode exit = frames.get(frames.size() - 1);
      assertThat(exit.get("exit_code").asInt()).as(exit.toString()).isZero();
    }
    // one announcement: sent by A, received by B
    await().atMost(TIMEOUT).until(() -> notices(nodeA, "sent", "ok") == 1);
    assertThat(notices(nodeA, "sent", "failed")).isZero();
    assertThat(notices(nodeB, "received", "ok")).isEqualTo(1);
    assertThat(notices(nodeB, "sent", "ok")).isZero();
  }

  /** {@code af_key_revocation_notices_total} of {@code node} for a direction and result. */
  private static double notices(AgentFactoryNode node, String direction, String result)
      throws Exception {
    String metrics = send(node, "GET", "/metrics", ADMIN).body();
    return metrics
        .lines()
        .filter(
            l ->
                l.startsWith("af_key_revocation_notices_total{")
                    && l.contains("direction=\"" + direction + "\"")
                    && l.contains("result=\"" + result + "\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static JsonNode key(String tenant) throws Exception {
    HttpResponse<String> created =
        TestHttp.client()
            .send(
                HttpRequest.newBuilder(URI.create(nodeA.httpUrl() + "/v1/keys"))
                    .header("authorization", "Bearer " + ADMIN)
                    .header("content-type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"tenant\":\"" + tenant + "\",\"name\":\"it\"}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return MAPPER.readTree(created.body());
  }

  /** A request only a known, unrevoked key gets a 200 for. */
  private static HttpResponse<String> get(AgentFactoryNode node, String key) throws Exception {
    return send(node, "GET", "/v1/agents", key);
  }

  private static HttpResponse<String> send(
      AgentFactoryNode node, String method, String path, String key) throws Exception {
    return TestHttp.client()
        .send(
            HttpRequest.newBuilder(URI.create(node.httpUrl() + path))
                .header("authorization", "Bearer " + key)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static FrameClient session(AgentFactoryNode node, String key) {
    return new FrameClient(
        URI.create(
            node.httpUrl().replace("http://", "ws://") + "/v1/sessions?access_token=" + key));
  }
}
