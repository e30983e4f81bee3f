package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.edge.config.ConfigSource;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.testing.TestPorts;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * API keys live in the node's embedded key store under its data dir: a node stopped and started
 * again on the same data dir authenticates the keys it made, as the tenants they were made for, and
 * still refuses the ones it revoked. A regression test for keys once seen lost across a restart
 * (not reproduced). Real components: a whole node with auth on and its embedded defaults (the data
 * plane off, which this does not need), restarted in the test.
 */
class KeysAcrossRestartIT {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String ADMIN = "admin-key-for-the-restart-it";

  @TempDir Path dataDir;
  private AgentFactoryNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void keysAuthenticateAfterARestartOnTheSameDataDirAndRevokedOnesStayRevoked() throws Exception {
    node = start();
    JsonNode kept = key("acme");
    JsonNode other = key("globex");
    JsonNode revoked = key("acme");
    assertThat(send("DELETE", "/v1/keys/" + revoked.get("id").asText(), ADMIN, null).statusCode())
        .isEqualTo(204);
    // an agent of acme's, so that after the restart the key is seen to act as acme again
    String spec =
        "{\"name\":\"calc\",\"model\":{\"provider\":\"scripted\",\"name\":\"scripted/math-v1\"},"
            + "\"tools\":[],\"sandbox\":{\"template\":\"shell\"}}";
    HttpResponse<String> created = send("POST", "/v1/agents", secret(kept), spec);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(code(send("GET", "/v1/agents", secret(revoked), null)))
        .isEqualTo("invalid_credentials");

    node.close();
    node = null;
    node = start();

    HttpResponse<String> acme = send("GET", "/v1/agents/calc", secret(kept), null);
    assertThat(acme.statusCode()).as("acme's key, as acme: " + acme.body()).isEqualTo(200);
    assertThat(send("GET", "/v1/agents/calc", secret(other), null).statusCode())
        .as("globex's key, as globex: acme's agent is not its own")
        .isEqualTo(404);
    HttpResponse<String> refused = send("GET", "/v1/agents", secret(revoked), null);
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(401);
    assertThat(code(refused)).isEqualTo("invalid_credentials");

    JsonNode listed = MAPPER.readTree(send("GET", "/v1/keys", ADMIN, null).body()).get("keys");
    assertThat(listed).hasSize(3);
    for (JsonNode key : listed) {
      boolean isRevoked = key.get("id").equals(revoked.get("id"));
      assertThat(key.hasNonNull("revoked_at")).as(key.toString()).isEqualTo(isRevoked);
    }

    // the restarted node makes keys as before, beside the old ones
    JsonNode fresh = key("acme");
    assertThat(fresh.get("id")).isNotIn(kept.get("id"), other.get("id"), revoked.get("id"));
    assertThat(send("GET", "/v1/agents/calc", secret(fresh), null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/v1/agents/calc", secret(kept), null).statusCode()).isEqualTo(200);
  }

  private AgentFactoryNode start() throws Exception {
    Map<String, String> flags =
        Map.ofEntries(
            Map.entry("data.dir", dataDir.toString()),
            Map.entry("data.enabled", "false"),
            Map.entry("http.port", "0"),
            Map.entry("cluster.port", Integer.toString(TestPorts.free())),
            Map.entry("sandbox.isolation", "process"),
            Map.entry("sandbox.pool.size", "0"),
            Map.entry("auth.admin.key", ADMIN));
    return AgentFactoryNode.start(NodeConfig.from(new ConfigSource(flags, Map.of(), Map.of())));
  }

  private JsonNode key(String tenant) throws Exception {
    HttpResponse<String> created =
        send("POST", "/v1/keys", ADMIN, "{\"tenant\":\"" + tenant + "\",\"name\":\"it\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return MAPPER.readTree(created.body());
  }

  private static String secret(JsonNode key) {
    return key.get("key").asText();
  }

  private HttpResponse<String> send(String method, String path, String key, String body)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(node.httpUrl() + path))
            .header("authorization", "Bearer " + key)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("content-type", "application/json");
    }
    return TestHttp.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String code(HttpResponse<String> response) throws Exception {
    return MAPPER.readTree(response.body()).at("/error/code").asText();
  }
}
