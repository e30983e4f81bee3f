package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.kafka.Topics;
import dev.agentfactory.edge.config.ConfigSource;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.edge.session.JdbcTurnStore;
import dev.agentfactory.edge.session.TurnCipher;
import dev.agentfactory.edge.session.TurnStoreKeyException;
import dev.agentfactory.edge.store.PostgresServer;
import dev.agentfactory.testing.TestPorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feedback on a turn reaches it after its session ended and from another node of the cluster,
 * through the shared session turn store. Real components: two nodes joined in one Hazelcast cluster
 * with auth on, sharing a key store and a turn store on a real PostgreSQL server (as a production
 * cluster does), node A's embedded Kafka broker and Flink MiniCluster (node B uses them as external
 * ones), a WebSocket client, and a Kafka consumer reading the amending events back. The agents the
 * nodes share are here too, as the tenants of an API key see them: their own and the built-in ones.
 * And an API key revoked through one node ends the sessions it opened on both nodes.
 */
class FeedbackAcrossNodesIT {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String ADMIN = "admin-key-for-the-feedback-it";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir static Path dirA;
  @TempDir static Path dirB;

  /** The key every node of the cluster shares for the turn store (session.store.key). */
  private static final String STORE_KEY = "hS+EhJyUdfFoKGJRFANtvnmRoiC/fy69JT3IQRRhGco=";

  private static PostgresServer database;
  private static String turnsUrl;
  private static AgentFactoryNode nodeA;
  private static AgentFactoryNode nodeB;
  private static final Map<String, String> shared = new HashMap<>();

  /** The id of each key {@link #key} created, by its secret. */
  private static final Map<String, String> KEY_IDS = new java.util.concurrent.ConcurrentHashMap<>();

  @BeforeAll
  static void startCluster() throws Exception {
    database = PostgresServer.start();
    String jar = System.getProperty("af.test.pipeline.jar");
    assertThat(jar).as("af.test.pipeline.jar (set by failsafe)").isNotNull();
    shared.put("http.port", "0");
    shared.put("flink.pipeline.jar", jar);
    shared.put("flink.checkpoint.interval.ms", "1000");
    shared.put("sandbox.isolation", "process");
    shared.put("sandbox.pool.size", "1");
    shared.put("session.resume.grace.ms", "0");
    shared.put("auth.admin.key", ADMIN);
    shared.put("auth.store.url", database.createDatabase());
    shared.put("agents.store.url", database.createDatabase());
    turnsUrl = database.createDatabase();
    shared.put("session.store.url", turnsUrl);
    shared.put("session.store.key", STORE_KEY);

    Map<String, String> a = new HashMap<>(shared);
    a.put("data.dir", dirA.toString());
    a.put("kafka.embedded.port", "0");
    a.put("flink.embedded.port", "0");
    a.put("cluster.port", Integer.toString(TestPorts.free()));
    nodeA = AgentFactoryNode.start(NodeConfig.from(new ConfigSource(a, Map.of(), Map.of())));

    Map<String, String> b = new HashMap<>(shared);
    b.put("data.dir", dirB.toString());
    b.put("kafka.bootstrap.servers", nodeA.kafkaBootstrapServers());
    b.put("flink.rest.url", nodeA.flinkRestUrl().toString());
    b.put("cluster.port", Integer.toString(TestPorts.free()));
    b.put("cluster.members", TestNodes.clusterAddress(nodeA));
    nodeB = AgentFactoryNode.start(NodeConfig.from(new ConfigSource(b, Map.of(), Map.of())));
  }

  @AfterAll
  static void stop() throws Exception {
    for (AgentFactoryNode node : new AgentFactoryNode[] {nodeB, nodeA}) {
      if (node != null) {
        node.close();
      }
    }
    if (database != null) {
      database.close();
    }
  }

  @Test
  void anAgentCreatedThroughOneNodeIsServedAndVersionedThroughTheOther() throws Exception {
    String key = key("agents");
    String spec =
        "{\"name\":\"shared-calc\",\"model\":{\"provider\":\"scripted\","
            + "\"name\":\"scripted/math-v1\"},\"system_prompt\":\"one\","
            + "\"tools\":[\"sandbox.exec\"],\"sandbox\":{\"template\":\"shell\"}}";
    HttpResponse<String> created = post(nodeA, "/v1/agents", key, spec);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    // B knows the key at its next key refresh; the agent it reads from the shared store
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> get(nodeB, "/v1/agents/shared-calc", key).statusCode(), s -> s == 200);
    HttpResponse<String> v2 =
        post(nodeB, "/v1/agents/shared-calc/versions", key, spec.replace("\"one\"", "\"two\""));
    assertThat(v2.statusCode()).as("a version added through B: " + v2.body()).isEqualTo(201);
    assertThat(post(nodeB, "/v1/agents", key, spec).statusCode())
        .as("the name is taken cluster-wide")
        .isEqualTo(409);
    for (AgentFactoryNode node : new AgentFactoryNode[] {nodeA, nodeB}) {
      HttpResponse<String> versions = get(node, "/v1/agents/shared-calc/versions", key);
      assertThat(versions.statusCode()).as(versions.body()).isEqualTo(200);
      assertThat(MAPPER.readTree(versions.body()).findValuesAsText("label"))
          .containsExactly("v1", "v2");
    }
  }

  /**
   * The README's first steps with auth on: a tenant that never created an agent talks to the
   * built-in {@code math}, listed as built in and read-only. A tenant's own {@code math} serves
   * that tenant instead, and no other.
   */
  @Test
  void theBuiltInMathAgentServesEveryTenantAndATenantsOwnMathWins() throws Exception {
    String newcomer = key("newcomer");
    String owner = key("owner");

    assertThat(askMath(newcomer)).as("the built-in version").isEqualTo("v1");
    JsonNode offered = agentNamed(get(nodeA, "/v1/agents", newcomer), "math");
    assertThat(offered.get("builtin").asBoolean()).as(offered.toString()).isTrue();
    assertThat(get(nodeA, "/v1/agents/math", newcomer).statusCode()).isEqualTo(200);
    HttpResponse<String> readOnly =
        send(nodeA, "PUT", "/v1/agents/math/deployment", newcomer, "{\"stable\":1}");
    assertThat(readOnly.statusCode()).as(readOnly.body()).isEqualTo(409);
    assertThat(error(readOnly).get("message").asText()).contains("built in and read-only");

    // The owner's own math, moved to a v2 of its own: it serves the owner, not the newcomer
    String math =
        new String(
            getClass().getResourceAsStream("/agents/math.json").readAllBytes(),
            StandardCharsets.UTF_8);
    String ours = math.replace("A scripted demo agent", "Our scripted agent");
    assertThat(ours).isNotEqualTo(math);
    assertThat(post(nodeA, "/v1/agents", owner, math).statusCode()).isEqualTo(201);
    assertThat(post(nodeA, "/v1/agents/math/versions", owner, ours).statusCode()).isEqualTo(201);
    HttpResponse<String> deployed =
        send(nodeA, "PUT", "/v1/agents/math/deployment", owner, "{\"stable\":2}");
    assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(200);
    assertThat(agentNamed(get(nodeA, "/v1/agents", owner), "math").get("builtin").asBoolean())
        .isFalse();

    assertThat(askMath(owner)).as("the owner's own deployed version").isEqualTo("v2");
    assertThat(askMath(newcomer)).as("still the built-in version").isEqualTo("v1");
    assertThat(agentNamed(get(nodeA, "/v1/agents", newcomer), "math").get("builtin").asBoolean())
        .isTrue();
  }

  /**
   * Asks the tenant's {@code math} agent 12*(3+4) in a new session; the version that answered (84).
   */
  private static String askMath(String key) throws Exception {
    try (FrameClient client =
        new FrameClient(
            URI.create(
                nodeA.httpUrl().replace("http://", "ws://")
                    + "/v1/sessions?agent=math&access_token="
                    + key))) {
      JsonNode ready = client.next(TIMEOUT);
      assertThat(ready.get("type").asText()).as(ready.toString()).isEqualTo("session.ready");
      assertThat(ready.get("agent").asText()).isEqualTo("math");
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"what is 12*(3+4)?\"}");
      List<JsonNode> frames =
          client.until(
              f -> List.of("turn.completed", "error").contains(f.get("type").asText()), TIMEOUT);
      JsonNode last = frames.get(frames.size() - 1);
      assertThat(last.get("type").asText()).as(last.toString()).isEqualTo("turn.completed");
      assertThat(
              frames.stream()
                  .filter(f -> f.get("type").asText().equals("assistant.delta"))
                  .map(f -> f.get("text").asText())
                  .collect(java.util.stream.Collectors.joining()))
          .contains("84");
      return ready.get("agent_version").asText();
    }
  }

  private static JsonNode agentNamed(HttpResponse<String> list, String name) throws IOException {
    assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
    for (JsonNode agent : MAPPER.readTree(list.body()).get("agents")) {
      if (agent.get("name").asText().equals(name)) {
        return agent;
      }
    }
    throw new AssertionError("no agent " + name + " in " + list.body());
  }

  @Test
  void whileTheSharedDatabaseIsDownHealthAndReadinessSaySoAndRecoverWithIt() throws Exception {
    for (AgentFactoryNode node : new AgentFactoryNode[] {nodeA, nodeB}) {
      JsonNode stores =
          MAPPER.readTree(get(node, "/health", ADMIN).body()).at("/components/stores");
      assertThat(stores.at("/status").asText()).as(stores.toString()).isEqualTo("UP");
      assertThat(stores.at("/detail/agents/database").asText()).startsWith("shared");
    }
    database.stop();
    try {
      // the probe runs every 10 s; each store tries once more on a new connection, refused
      JsonNode down =
          await()
              .atMost(TIMEOUT)
              .pollInterval(Duration.ofMillis(500))
              .until(
                  () -> MAPPER.readTree(get(nodeA, "/health", ADMIN).body()),
                  h -> h.at("/components/stores/status").asText().equals("DOWN"));
      assertThat(down.at("/status").asText()).isEqualTo("DOWN");
      // refused once the server is gone; "the database system is shutting down" while it goes (a
      // probe between stop() returning and the server exiting: seen in CI)
      assertThat(down.at("/components/stores/detail/agents/reason").asText())
          .contains("agent store")
          .containsAnyOf("refused", "shutting down");
      assertThat(down.at("/components/stores/detail/auth/status").asText()).isEqualTo("DOWN");
      assertThat(get(nodeA, "/ready", ADMIN).statusCode()).isEqualTo(503);
    } finally {
      database.restart();
    }
    await()
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> get(nodeA, "/ready", ADMIN).statusCode(), s -> s == 200);
    assertThat(
            MAPPER
                .readTree(get(nodeA, "/health", ADMIN).body())
                .at("/components/stores/status")
                .asText())
        .isEqualTo("UP");
  }

  private static HttpResponse<String> get(AgentFactoryNode node, String path, String key)
      throws Exception {
    return TestHttp.client()
        .send(
            HttpRequest.newBuilder(URI.create(node.httpUrl() + path))
                .header("authorization", "Bearer " + key)
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void feedbackReachesATurnFromAnotherNodeAndAfterItsSessionEnded() throws Exception {
    List<String> keys = keysKnownOnBothNodes("acme", "other");
    String acme = keys.get(0);
    String other = keys.get(1);
    String sessionId;
    String turnEvent;
    try (FrameClient client = session(nodeA, acme)) {
      sessionId = client.next(TIMEOUT).get("session_id").asText();
      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"c1\",\"command\":\"echo across nodes\"}");
      client.until(f -> f.get("type").asText().equals("exec.exit"), TIMEOUT);

      // The session is live on A; B answers from the shared store once the turn is recorded.
      String path = "/v1/sessions/" + sessionId + "/feedback";
      HttpResponse<String> fromB =
          await()
              .atMost(TIMEOUT)
              .pollInterval(Duration.ofMillis(100))
              .until(
                  () -> post(nodeB, path, acme, "{\"turn_id\":\"c1\",\"rating\":\"down\"}"),
                  r -> r.statusCode() != 404);
      assertThat(fromB.statusCode()).as(fromB.body()).isEqualTo(201);
      JsonNode recorded = MAPPER.readTree(fromB.body());
      turnEvent = recorded.get("amends_event_id").asText();

      HttpResponse<String> unknownTurn =
          post(nodeB, path, acme, "{\"turn_id\":\"c9\",\"rating\":\"up\"}");
      assertThat(unknownTurn.statusCode()).isEqualTo(404);
      assertThat(error(unknownTurn).get("code").asText()).isEqualTo("unknown_turn");
      assertThat(error(unknownTurn).get("field").asText()).isEqualTo("turn_id");
      assertUnknownSession(post(nodeB, path, other, "{\"turn_id\":\"c1\",\"rating\":\"up\"}"));
      assertUnknownSession(post(nodeA, path, other, "{\"turn_id\":\"c1\",\"rating\":\"up\"}"));
      assertUnknownSession(
          post(
              nodeB,
              "/v1/sessions/" + UUID.randomUUID() + "/feedback",
              acme,
              "{\"turn_id\":\"c1\",\"rating\":\"up\"}"));
      HttpResponse<String> invalid =
          post(nodeB, path, acme, "{\"turn_id\":\"c1\",\"rating\":\"meh\"}");
      assertThat(invalid.statusCode()).isEqualTo(400);
      assertThat(error(invalid).get("field").asText()).isEqualTo("rating");
    }

    // The client left and the session ended (no resume grace): A no longer holds it.
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                TestHttp.client()
                    .send(
                        HttpRequest.newBuilder(
                                URI.create(
                                    nodeA.httpUrl()
                                        + "/v1/sessions/"
                                        + sessionId
                                        + "?last_seq=0&access_token="
                                        + acme))
                            .build(),
                        HttpResponse.BodyHandlers.ofString())
                    .statusCode(),
            status -> status == 404);
    String path = "/v1/sessions/" + sessionId + "/feedback";
    HttpResponse<String> ended =
        post(
            nodeA,
            path,
            acme,
            "{\"turn_id\":\"c1\",\"reference\":{\"answer\":\"across nodes\",\"eval\":true}}");
    assertThat(ended.statusCode()).as(ended.body()).isEqualTo(201);
    JsonNode endedRecorded = MAPPER.readTree(ended.body());
    assertThat(endedRecorded.get("amends_event_id").asText()).isEqualTo(turnEvent);
    assertUnknownSession(post(nodeA, path, other, "{\"turn_id\":\"c1\",\"rating\":\"up\"}"));

    // Both amending events are on Kafka: the turn again, with the feedback, naming the turn.
    Map<String, JsonNode> amendments = amendmentsOf(turnEvent, 2);
    assertThat(amendments).hasSize(2);
    for (JsonNode event : amendments.values()) {
      assertThat(event.get("tenant").asText()).isEqualTo("acme");
      assertThat(event.get("gen_ai.conversation.id").asText()).isEqualTo(sessionId);
      assertThat(event.get("messages").toString()).contains("echo across nodes");
    }
    assertThat(amendments.values().stream().map(e -> e.at("/feedback/rating").asText()))
        .contains("down");
    assertThat(amendments.values().stream().map(e -> e.at("/reference/eval").asBoolean()))
        .contains(true);

    // The shared store holds the turn encrypted: not the command, under the shared key's id.
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(turnsUrl);
        java.sql.Statement st = c.createStatement()) {
      try (java.sql.ResultSet rs =
          st.executeQuery(
              "SELECT key_id, event_sealed FROM af_session_turns WHERE session_id = '"
                  + sessionId
                  + "' AND turn_id = 'c1'")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1))
            .isEqualTo(dev.agentfactory.edge.session.TurnCipher.fromSpec(STORE_KEY).sealingKeyId());
        assertThat(rs.getString(2)).doesNotContain("echo").doesNotContain("across nodes");
      }
      // A row that no longer opens (tampered here; a node with another key alike) is a clear
      // error naming the turn, and the node keeps serving.
      st.executeUpdate(
          "UPDATE af_session_turns SET event_sealed = 'AAAA' || SUBSTRING(event_sealed, 5)"
              + " WHERE session_id = '"
              + sessionId
              + "' AND turn_id = 'c1'");
    }
    HttpResponse<String> unreadable =
        post(nodeB, path, acme, "{\"turn_id\":\"c1\",\"rating\":\"up\"}");
    assertThat(unreadable.statusCode()).as(unreadable.body()).isEqualTo(500);
    assertThat(error(unreadable).get("code").asText()).isEqualTo("turn_unreadable");
    assertThat(error(unreadable).get("field").asText()).isEqualTo("turn_id");
    assertThat(error(unreadable).get("message").asText()).contains("turn 'c1'");
    assertUnknownSession(post(nodeB, path, other, "{\"turn_id\":\"c1\",\"rating\":\"up\"}"));
  }

  /**
   * The holder of a leaked key keeps no session once an admin revoked it: on the node the
   * revocation went through at once, on the other at its next key refresh. Each session gets a
   * fatal {@code key_revoked} and close 4401, its running command is cut short and the one queued
   * behind it never runs; it cannot be resumed, and feedback with the key is refused. The sessions
   * of the tenant's other key carry on.
   */
  @Test
  void aRevokedKeysSessionsEndOnEveryNodeWhileTheTenantsOtherKeyWorksOn() throws Exception {
    List<String> keys = keysKnownOnBothNodes("leaky", "leaky");
    String leaked = keys.get(0);
    String kept = keys.get(1);
    String leakedId = KEY_IDS.get(leaked);
    try (FrameClient onA = session(nodeA, leaked);
        FrameClient onB = session(nodeB, leaked);
        FrameClient keptOnB = session(nodeB, kept)) {
      String sessionOnA = onA.next(TIMEOUT).get("session_id").asText();
      onB.next(TIMEOUT);
      keptOnB.next(TIMEOUT);
      for (FrameClient client : List.of(onA, onB)) {
        client.send(
            "{\"v\":1,\"type\":\"exec\",\"id\":\"c1\",\"command\":\"echo started; sleep 120\",\"timeout_ms\":120000}");
        client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"c2\",\"command\":\"echo queued\"}");
        client.until(
            f ->
                f.get("type").asText().equals("exec.output")
                    && f.get("data").asText().contains("started"),
            TIMEOUT);
      }

      HttpResponse<String> revoked = send(nodeA, "DELETE", "/v1/keys/" + leakedId, ADMIN, "");
      assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(204);

      // at once on A; on B at once through the announcement on the cluster (else at its next key
      // reload, within 10 s)
      for (FrameClient client : List.of(onA, onB)) {
        List<JsonNode> rest = client.until(f -> f.get("type").asText().equals("error"), TIMEOUT);
        JsonNode error = rest.get(rest.size() - 1);
        assertThat(error.get("code").asText()).as(error.toString()).isEqualTo("key_revoked");
        assertThat(error.get("fatal").asBoolean()).isTrue();
        assertThat(error.get("message").asText()).contains(leakedId, "revoked");
        assertThat(rest)
            .as("neither command finished")
            .noneMatch(f -> f.get("type").asText().equals("exec.exit"));
        await().atMost(TIMEOUT).until(client::isClosedByServer);
        assertThat(client.closeCode()).isEqualTo(4401);
        assertThat(client.closeReason()).isEqualTo("key_revoked");
      }

      // The tenant's other key: its session on B runs commands as before
      keptOnB.send("{\"v\":1,\"type\":\"exec\",\"id\":\"k1\",\"command\":\"echo still here\"}");
      JsonNode exit =
          keptOnB.until(f -> f.get("type").asText().equals("exec.exit"), TIMEOUT).stream()
              .reduce((first, second) -> second)
              .orElseThrow();
      assertThat(exit.get("exit_code").asInt()).as(exit.toString()).isZero();

      // Not resumable: the revoked key is refused, the other key finds no session
      HttpResponse<String> resumed = resume(nodeA, sessionOnA, leaked);
      assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(401);
      assertThat(error(resumed).get("code").asText()).isEqualTo("invalid_credentials");
      assertUnknownSession(resume(nodeA, sessionOnA, kept));
      // Nor can the key amend a turn, through either node
      for (AgentFactoryNode node : new AgentFactoryNode[] {nodeA, nodeB}) {
        HttpResponse<String> feedback =
            post(
                node,
                "/v1/sessions/" + sessionOnA + "/feedback",
                leaked,
                "{\"turn_id\":\"c1\",\"rating\":\"up\"}");
        assertThat(feedback.statusCode()).as(feedback.body()).isEqualTo(401);
      }
      // The queued command never ran: the turns recorded of the session are at most the one cut
      // short (recorded as killed, as at any end of a session)
      List<String> turns = new java.util.ArrayList<>();
      try (java.sql.Connection c = java.sql.DriverManager.getConnection(turnsUrl);
          java.sql.PreparedStatement st =
              c.prepareStatement("SELECT turn_id FROM af_session_turns WHERE session_id = ?")) {
        st.setString(1, sessionOnA);
        try (java.sql.ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            turns.add(rs.getString(1));
          }
        }
      }
      assertThat(turns).doesNotContain("c2");
      for (AgentFactoryNode node : new AgentFactoryNode[] {nodeA, nodeB}) {
        assertThat(get(node, "/metrics", ADMIN).body())
            .contains("af_errors_total{code=\"key_revoked\"}");
      }
    }
  }

  private static FrameClient session(AgentFactoryNode node, String key) {
    return new FrameClient(
        URI.create(
            node.httpUrl().replace("http://", "ws://") + "/v1/sessions?access_token=" + key));
  }

  private static HttpResponse<String> resume(AgentFactoryNode node, String sessionId, String key)
      throws Exception {
    return TestHttp.client()
        .send(
            HttpRequest.newBuilder(
                    URI.create(
                        node.httpUrl()
                            + "/v1/sessions/"
                            + sessionId
                            + "?last_seq=0&access_token="
                            + key))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  /**
   * A new key for each tenant, created through A; returns once node B knows them too (it reads the
   * key store every 10 s).
   */
  private static List<String> keysKnownOnBothNodes(String... tenants) throws Exception {
    List<String> keys = new java.util.ArrayList<>();
    for (String tenant : tenants) {
      String key = key(tenant);
      keys.add(key);
      await()
          .atMost(TIMEOUT)
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  post(
                          nodeB,
                          "/v1/sessions/" + UUID.randomUUID() + "/feedback",
                          key,
                          "{\"turn_id\":\"c1\",\"rating\":\"up\"}")
                      .statusCode(),
              status -> status == 404);
    }
    return keys;
  }

  private static void assertUnknownSession(HttpResponse<String> response) throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(404);
    assertThat(error(response).get("code").asText()).isEqualTo("unknown_session");
    assertThat(error(response).get("field").asText()).isEqualTo("id");
  }

  private static JsonNode error(HttpResponse<String> response) throws IOException {
    return MAPPER.readTree(response.body()).get("error");
  }

  /** The amending events of {@code turnEvent} on the interactions topic, by event id. */
  private static Map<String, JsonNode> amendmentsOf(String turnEvent, int expected) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, nodeA.kafkaBootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "feedback-across-nodes-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Map<String, JsonNode> found = new HashMap<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(Set.of(Topics.INTERACTIONS));
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (found.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          try {
            JsonNode event = MAPPER.readTree(new String(record.value(), StandardCharsets.UTF_8));
            if (turnEvent.equals(event.path("amends_event_id").asText())) {
              found.put(event.get("event_id").asText(), event);
            }
          } catch (IOException e) {
            // not an event of this test
          }
        }
      }
    }
    return found;
  }

  @Test
  void aNodeWhoseKeyListLacksTheKeyOfTheStoredTurnsRefusesToStartNamingItsIdAndTheOption(
      @TempDir Path dirC) throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      TurnCipher clusterKey = TurnCipher.fromSpec(STORE_KEY);
      JdbcTurnStore store =
          JdbcTurnStore.open(vertx, turnsUrl, Duration.ofHours(1), clusterKey)
              .toCompletionStage()
              .toCompletableFuture()
              .get();
      store
          .put(
              "c-key-check",
              dev.agentfactory.connectors.event.Interaction.sandboxCommand(
                  "acme", "s-key-check", 1, "shell", "0", "ls", "", 0, Duration.ofMillis(1)))
          .compose(v -> store.close())
          .toCompletionStage()
          .toCompletableFuture()
          .get();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
    long before = turnRows();
    String otherKey = "Zm9yIGFub3RoZXIgY2x1c3RlciwgMzIgYnl0ZXMgbG8=";
    Map<String, String> c = new HashMap<>(shared);
    c.put("session.store.key", otherKey);
    c.put("data.dir", dirC.toString());
    c.put("kafka.bootstrap.servers", nodeA.kafkaBootstrapServers());
    c.put("flink.rest.url", nodeA.flinkRestUrl().toString());
    c.put("cluster.port", Integer.toString(TestPorts.free()));

    assertThatThrownBy(
            () -> AgentFactoryNode.start(NodeConfig.from(new ConfigSource(c, Map.of(), Map.of()))))
        .isInstanceOf(TurnStoreKeyException.class)
        .hasMessageContaining(TurnCipher.fromSpec(STORE_KEY).sealingKeyId())
        .hasMessageContaining("session.store.key (AF_SESSION_STORE_KEY) does not hold")
        .hasMessageContaining("this node has " + TurnCipher.fromSpec(otherKey).sealingKeyId())
        .hasMessageNotContaining(otherKey)
        .hasMessageNotContaining(STORE_KEY);
    assertThat(turnRows()).as("the shared store is untouched").isEqualTo(before);
  }

  @Test
  void eachNodeSaysInItsMetricsHowManyTurnsAreLeftToReencryptAndUnreadable() throws Exception {
    String keyId = TurnCipher.fromSpec(STORE_KEY).sealingKeyId();
    for (AgentFactoryNode node : new AgentFactoryNode[] {nodeA, nodeB}) {
      HttpResponse<String> metrics =
          TestHttp.client()
              .send(
                  HttpRequest.newBuilder(URI.create(node.httpUrl() + "/metrics"))
                      .header("authorization", "Bearer " + ADMIN)
                      .build(),
                  HttpResponse.BodyHandlers.ofString());

      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body())
          .contains("af_session_turns_reencrypt_pending{key_id=\"" + keyId + "\"} 0")
          .contains("af_session_turns_unreadable{key_id=\"" + keyId + "\"} 0");
    }
  }

  private static long turnRows() throws Exception {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(turnsUrl);
        java.sql.Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM af_session_turns")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String key(String tenant) throws Exception {
    HttpResponse<String> created =
        post(nodeA, "/v1/keys", ADMIN, "{\"tenant\":\"" + tenant + "\",\"name\":\"it\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode key = MAPPER.readTree(created.body());
    KEY_IDS.put(key.get("key").asText(), key.get("id").asText());
    return key.get("key").asText();
  }

  private static HttpResponse<String> post(
      AgentFactoryNode node, String path, String key, String body) throws Exception {
    return send(node, "POST", path, key, body);
  }

  private static HttpResponse<String> send(
      AgentFactoryNode node, String method, String path, String key, String body) throws Exception {
    return TestHttp.client()
        .send(
            HttpRequest.newBuilder(URI.create(node.httpUrl() + path))
                .header("authorization", "Bearer " + key)
                .header("content-type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
