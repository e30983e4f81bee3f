package dev.agentfactory.edge.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.connectors.dataset.DatasetKind;
import dev.agentfactory.connectors.dataset.DatasetSchemas;
import dev.agentfactory.connectors.dataset.PreferenceRow;
import dev.agentfactory.connectors.dataset.Provenance;
import dev.agentfactory.connectors.dataset.SftMessage;
import dev.agentfactory.connectors.dataset.version.Lineage;
import dev.agentfactory.connectors.flink.FlinkRestClient;
import dev.agentfactory.edge.admin.DrainHandler;
import dev.agentfactory.edge.agent.AgentRegistry;
import dev.agentfactory.edge.agent.AgentsHandler;
import dev.agentfactory.edge.agent.JdbcAgentStore;
import dev.agentfactory.edge.auth.ApiKey;
import dev.agentfactory.edge.auth.ApiKeyStore;
import dev.agentfactory.edge.auth.Auth;
import dev.agentfactory.edge.auth.KeysHandler;
import dev.agentfactory.edge.auth.RateLimiter;
import dev.agentfactory.edge.dataset.DatasetsHandler;
import dev.agentfactory.edge.health.CapturedLog;
import dev.agentfactory.edge.pipeline.JobsHandler;
import dev.agentfactory.edge.pipeline.PipelineJob;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.avro.generic.GenericRecord;
import org.apache.logging.log4j.Level;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API layer on a real HTTP server: the contract router validating requests, API keys in an H2
 * store, the admin key, tenants and rate limits. Sessions are covered by NodeSessionIT; here their
 * routes only echo the caller's tenant.
 */
class ApiIT {

  private static final String ADMIN = "admin-key-0123456789";
  private static final int BURST = 30;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir Path dir;
  private Vertx vertx;
  private ApiKeyStore store;
  private Auth auth;
  private HttpServer server;
  private JdbcAgentStore agentStore;

  /** The Flink REST API /v1/jobs talks to; null: Flink has not started. */
  private volatile FlinkRestClient flink;

  /** The pipeline job POST /v1/jobs submits; null: not started yet. */
  private volatile PipelineJob pipeline;

  /** What cuts are told produced the files (a test may make it fail). */
  private volatile Supplier<Lineage> lineage = Lineage::unknown;

  private final HttpClient http = dev.agentfactory.edge.TestHttp.client();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    store = ApiKeyStore.embedded(dir);
    auth = new Auth(vertx, Optional.of(ADMIN), store, new RateLimiter(1, BURST));
    auth.start().toCompletionStage().toCompletableFuture().join();
    KeysHandler keys = new KeysHandler(auth);
    agentStore =
        JdbcAgentStore.open(vertx, JdbcAgentStore.embeddedUrl(dir), "", "")
            .toCompletionStage()
            .toCompletableFuture()
            .join();
    AgentsHandler agents = new AgentsHandler(new AgentRegistry(agentStore));
    // no Flink here (NodeSessionIT), unless a test points the handler at a stand-in
    JobsHandler jobs = new JobsHandler(() -> flink, () -> pipeline, END_WAIT);
    DatasetsHandler datasets =
        new DatasetsHandler(
            vertx, dir.resolve("datasets"), () -> lineage.get(), dir.resolve("cuts")); // ditto
    DrainHandler drains = new DrainHandler(() -> null, () -> {}); // no cluster here: ClusterDrainIT
    Handler<RoutingContext> echoTenant = ctx -> ctx.response().end(Auth.tenant(ctx));
    server =
        vertx
            .createHttpServer()
            .invalidRequestHandler(ApiErrors::invalidRequest)
            .requestHandler(
                ApiRouter.create(
                    vertx,
                    auth.handler(),
                    Map.ofEntries(
                        Map.entry("getHealth", ctx -> ctx.response().end("{}")),
                        Map.entry("getMetrics", ctx -> ctx.response().end("")),
                        Map.entry("getReady", ctx -> ctx.response().end("{}")),
                        Map.entry(
                            "getOpenApi", ctx -> ctx.response().end(ApiRouter.contractText())),
                        Map.entry("openSession", echoTenant),
                        Map.entry("resumeSession", echoTenant),
                        Map.entry("sendSessionFeedback", echoTenant),
                        Map.entry("createKey", keys::create),
                        Map.entry("listKeys", keys::list),
                        Map.entry("revokeKey", keys::revoke),
                        Map.entry("createAgent", agents::create),
                        Map.entry("listAgents", agents::list),
                        Map.entry("getAgent", agents::get),
                        Map.entry("addAgentVersion", agents::addVersion),
                        Map.entry("listAgentVersions", agents::versions),
                        Map.entry("deployAgent", agents::deploy),
                        Map.entry("promoteAgent", agents::promote),
                        Map.entry("rollbackAgent", agents::rollback),
                        Map.entry("listJobs", jobs::list),
                        Map.entry("submitJob", jobs::submit),
                        Map.entry("stopJob", jobs::stop),
                        Map.entry("listDatasets", datasets::list),
                        Map.entry("cutDatasetVersion", datasets::cut),
                        Map.entry("getDatasetCut", datasets::cutStatus),
                        Map.entry("listDatasetVersions", datasets::versions),
                        Map.entry("getDatasetVersion", datasets::version),
                        Map.entry("getDatasetFile", datasets::file),
                        Map.entry("drainNode", drains::drain),
                        Map.entry("getDrainStatus", drains::status),
                        Map.entry(
                            "getClusterLeases",
                            new dev.agentfactory.edge.admin.ClusterLeasesHandler(vertx, () -> null)
                                ::get),
                        Map.entry("getEvalLive", echoTenant),
                        Map.entry("streamEvalLive", echoTenant))))
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .join();
  }

  @AfterEach
  void stop() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().join();
    auth.close();
    agentStore.close().toCompletionStage().toCompletableFuture().join();
    vertx.close().toCompletionStage().toCompletableFuture().join();
    store.close();
  }

  @Test
  void anAdminCreatesAKeyThatActsAsItsTenantUntilRevoked() throws Exception {
    HttpResponse<String> created =
        send("POST", "/v1/keys", ADMIN, "{\"tenant\":\"acme\",\"name\":\"ci\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    JsonNode key = MAPPER.readTree(created.body());
    String secret = key.get("key").asText();
    assertThat(secret).startsWith("af_").hasSizeGreaterThan(30);

    assertThat(send("GET", "/v1/sessions", secret, null).body()).isEqualTo("acme");
    assertThat(send("GET", "/v1/sessions?access_token=" + secret, null, null).body())
        .isEqualTo("acme");

    HttpResponse<String> listed = send("GET", "/v1/keys", ADMIN, null);
    assertThat(listed.statusCode()).isEqualTo(200);
    assertThat(listed.body()).contains(key.get("id").asText()).doesNotContain(secret);

    assertThat(send("GET", "/v1/keys", secret, null).statusCode())
        .as("a tenant key cannot manage keys")
        .isEqualTo(403);

    assertThat(send("DELETE", "/v1/keys/" + key.get("id").asText(), ADMIN, null).statusCode())
        .isEqualTo(204);
    HttpResponse<String> revoked = send("GET", "/v1/sessions", secret, null);
    assertThat(revoked.statusCode()).isEqualTo(401);
    assertThat(code(revoked)).isEqualTo("invalid_credentials");
  }

  /**
   * A body that gives a field twice: JSON readers disagree on which value wins (the contract's
   * validator and the handlers take the last), so it is refused naming the field, nested too.
   */
  @Test
  void aBodyThatGivesAFieldTwiceIsRefusedNamingIt() throws Exception {
    HttpResponse<String> key =
        send(
            "POST",
            "/v1/keys",
            ADMIN,
            "{\"tenant\":\"acme\",\"name\":\"ci\",\"tenant\":\"other\"}");
    assertThat(key.statusCode()).as(key.body()).isEqualTo(400);
    assertThat(code(key)).isEqualTo("invalid_field");
    assertThat(MAPPER.readTree(key.body()).at("/error/field").asText()).isEqualTo("tenant");
    assertThat(MAPPER.readTree(key.body()).at("/error/message").asText())
        .isEqualTo("tenant is given more than once");
    assertThat(send("GET", "/v1/keys", ADMIN, null).body()).doesNotContain("other");
    HttpResponse<String> nested =
        send(
            "POST",
            "/v1/keys",
            ADMIN,
            "{\"tenant\":\"acme\",\"name\":\"ci\",\"x\":{\"a\":1,\"a\":2}}");
    assertThat(nested.statusCode()).as(nested.body()).isEqualTo(400);
    assertThat(MAPPER.readTree(nested.body()).at("/error/field").asText()).isEqualTo("x.a");
  }

  /**
   * A query parameter given twice was read first-wins: {@code ?limit=1&limit=x} listed, and a key
   * in {@code ?access_token=} was accepted or not by its order. As a body field given twice, it is
   * refused naming it, on every route, before authentication and before a WebSocket upgrade.
   */
  @Test
  void aQueryParameterGivenTwiceIsRefusedNamingIt() throws Exception {
    String acme = newKey("acme");
    Map<String, String> requests =
        Map.of(
            "/v1/agents?limit=1&limit=x",
            "limit",
            "/v1/datasets/sft/versions/1/file?path=a&path=b",
            "path",
            "/v1/sessions?access_token=" + acme + "&access_token=x",
            "access_token",
            "/v1/sessions?access_token=x&access_token=" + acme,
            "access_token");
    for (Map.Entry<String, String> request : requests.entrySet()) {
      String key = request.getValue().equals("access_token") ? null : ADMIN;
      HttpResponse<String> refused = send("GET", request.getKey(), key, null);
      assertThat(refused.statusCode()).as(request.getKey() + ": " + refused.body()).isEqualTo(400);
      assertThat(code(refused)).isEqualTo("invalid_field");
      assertThat(MAPPER.readTree(refused.body()).at("/error/field").asText())
          .isEqualTo(request.getValue());
      assertThat(MAPPER.readTree(refused.body()).at("/error/message").asText())
          .isEqualTo(request.getValue() + " is given more than once");
    }
    java.util.concurrent.CompletableFuture<java.net.http.WebSocket> upgrade =
        http.newWebSocketBuilder()
            .header("Authorization", "Bearer " + acme)
            .buildAsync(
                URI.create(
                    "ws://127.0.0.1:" + server.actualPort() + "/v1/sessions?agent=math&agent=x"),
                new java.net.http.WebSocket.Listener() {});
    assertThat(upgrade)
        .failsWithin(java.time.Duration.ofSeconds(10))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause()
        .isInstanceOfSatisfying(
            java.net.http.WebSocketHandshakeException.class,
            e -> assertThat(e.getResponse().statusCode()).isEqualTo(400));
    // a parameter once, and two different ones, are served as before
    assertThat(send("GET", "/v1/sessions?access_token=" + acme + "&agent=math", null, null).body())
        .isEqualTo("acme");
  }

  @Test
  void aKeysCreationTimeReadsTheSameWhenCreatedAndWhenListed() throws Exception {
    JsonNode created =
        MAPPER.readTree(
            send("POST", "/v1/keys", ADMIN, "{\"tenant\":\"acme\",\"name\":\"ci\"}").body());

    JsonNode listed = null;
    for (JsonNode key : MAPPER.readTree(send("GET", "/v1/keys", ADMIN, null).body()).get("keys")) {
      if (key.get("id").equals(created.get("id"))) {
        listed = key;
      }
    }

    assertThat(listed).as("the created key is listed").isNotNull();
    assertThat(listed.get("created_at").asText()).isEqualTo(created.get("created_at").asText());
  }

  @Test
  void aRevokedKeyIsRefusedAtOnceEvenWhenTheStoreCannotBeListedAfterwards() throws Exception {
    HttpResponse<String> created =
        send("POST", "/v1/keys", ADMIN, "{\"tenant\":\"acme\",\"name\":\"ci\"}");
    JsonNode key = MAPPER.readTree(created.body());
    String secret = key.get("key").asText();
    assertThat(send("GET", "/v1/sessions", secret, null).body()).isEqualTo("acme");

    // from now on the store still takes a revocation but fails to list its keys (a reload)
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(
                "jdbc:h2:file:"
                    + dir.resolve("keys").toAbsolutePath()
                    + ";DB_CLOSE_ON_EXIT=FALSE");
        java.sql.Statement st = c.createStatement()) {
      st.execute("ALTER TABLE api_keys ALTER COLUMN created_at RENAME TO created_on");
    }
    assertThat(send("GET", "/v1/keys", ADMIN, null).statusCode()).as("cannot list").isEqualTo(500);

    HttpResponse<String> revoked =
        send("DELETE", "/v1/keys/" + key.get("id").asText(), ADMIN, null);
    assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(204);
    HttpResponse<String> refused = send("GET", "/v1/sessions", secret, null);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(code(refused)).isEqualTo("invalid_credentials");
  }

  /**
   * A key made for tenant admin before creating one was refused (400) would act as the admin key's
   * tenant, its sessions and agents: it is refused at every request with a message that says what
   * to do, and the node names it at start, until an operator revokes it.
   */
  @Test
  void aKeyMadeForTheAdminTenantBeforeItWasRefusedAuthenticatesNothingAndIsNamedAtStart()
      throws Exception {
    String secret = "af_an-old-key-of-the-admin-tenant";
    stop();
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(
                "jdbc:h2:file:"
                    + dir.resolve("keys").toAbsolutePath()
                    + ";DB_CLOSE_ON_EXIT=FALSE");
        java.sql.PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO api_keys (id, tenant, name, hash, created_at) VALUES (?, ?, ?, ?, ?)")) {
      st.setString(1, "key_oldAdminTenant");
      st.setString(2, "admin");
      st.setString(3, "made before the 400");
      st.setString(
          4,
          java.util.HexFormat.of()
              .formatHex(
                  java.security.MessageDigest.getInstance("SHA-256")
                      .digest(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
      st.setTimestamp(5, java.sql.Timestamp.from(Instant.now()));
      st.executeUpdate();
    }
    try (CapturedLog log = CapturedLog.atRoot()) {
      start();
      assertThat(log.messages(Auth.class.getName(), Level.WARN, "key_oldAdminTenant"))
          .singleElement()
          .asString()
          .contains("tenant 'admin'", "revoke them");
    }

    for (String path :
        List.of(
            "/v1/sessions",
            "/v1/agents",
            "/v1/sessions/" + java.util.UUID.randomUUID() + "?last_seq=0")) {
      HttpResponse<String> refused = send("GET", path, secret, null);
      assertThat(refused.statusCode()).as(path + ": " + refused.body()).isEqualTo(401);
      assertThat(code(refused)).isEqualTo("admin_tenant_key");
      assertThat(MAPPER.readTree(refused.body()).at("/error/message").asText())
          .contains("key_oldAdminTenant", "DELETE /v1/keys/key_oldAdminTenant");
    }
    assertThat(send("GET", "/v1/keys", ADMIN, null).body()).contains("key_oldAdminTenant");

    assertThat(send("DELETE", "/v1/keys/key_oldAdminTenant", ADMIN, null).statusCode())
        .isEqualTo(204);
    assertThat(code(send("GET", "/v1/sessions", secret, null))).isEqualTo("invalid_credentials");
    stop();
    try (CapturedLog log = CapturedLog.atRoot()) {
      start();
      assertThat(log.messages(Auth.class.getName(), Level.WARN, "key_oldAdminTenant"))
          .as("a revoked one is not named")
          .isEmpty();
    }
  }

  @Test
  void keysSurviveARestartOfTheStore() throws Exception {
    String secret = newKey("acme");
    stop();
    start();

    assertThat(send("GET", "/v1/sessions", secret, null).body()).isEqualTo("acme");
  }

  @Test
  void badRequestsGetTypedErrorsNamingTheField() throws Exception {
    HttpResponse<String> noCredentials = send("GET", "/v1/keys", null, null);
    assertThat(noCredentials.statusCode()).isEqualTo(401);
    assertThat(code(noCredentials)).isEqualTo("missing_credentials");

    HttpResponse<String> badTenant =
        send("POST", "/v1/keys", ADMIN, "{\"tenant\":\"Not A Slug\",\"name\":\"x\"}");
    assertThat(badTenant.statusCode()).as(badTenant.body()).isEqualTo(400);
    assertThat(MAPPER.readTree(badTenant.body()).at("/error/field").asText()).isEqualTo("tenant");

    // the admin key acts as tenant admin: a key of that tenant would reach the admin's sessions
    HttpResponse<String> adminTenant =
        send("POST", "/v1/keys", ADMIN, "{\"tenant\":\"admin\",\"name\":\"x\"}");
    assertThat(adminTenant.statusCode()).as(adminTenant.body()).isEqualTo(400);
    assertThat(MAPPER.readTree(adminTenant.body()).at("/error/field").asText()).isEqualTo("tenant");

    HttpResponse<String> missing = send("POST", "/v1/keys", ADMIN, "{\"tenant\":\"acme\"}");
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(MAPPER.readTree(missing.body()).at("/error/field").asText()).isEqualTo("name");

    HttpResponse<String> notJson = send("POST", "/v1/keys", ADMIN, "{oops");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(MAPPER.readTree(notJson.body()).has("error")).isTrue();

    HttpResponse<String> tooBig =
        send(
            "POST",
            "/v1/keys",
            ADMIN,
            "{\"tenant\":\"a\",\"name\":\"" + "n".repeat(100_000) + "\"}");
    assertThat(tooBig.statusCode()).isEqualTo(413);

    HttpResponse<String> unknownKey = send("DELETE", "/v1/keys/key_nothere", ADMIN, null);
    assertThat(unknownKey.statusCode()).isEqualTo(404);
    assertThat(code(unknownKey)).isEqualTo("not_found");

    HttpResponse<String> noRoute = send("GET", "/v1/nothing", ADMIN, null);
    assertThat(noRoute.statusCode()).isEqualTo(404);
    assertThat(code(noRoute)).isEqualTo("not_found");
  }

  @Test
  void malformedBodiesAndParametersGetTypedErrorsAndTheNodeKeepsServing() throws Exception {
    for (String path : List.of("/v1/keys", "/v1/agents", "/v1/jobs")) {
      HttpResponse<String> broken = send("POST", path, ADMIN, "{\"tenant\":");
      assertThat(broken.statusCode()).as(path).isEqualTo(400);
      assertThat(code(broken)).as(path + ": " + broken.body()).isEqualTo("malformed_json");
    }
    HttpResponse<String> brokenFeedback =
        send("POST", "/v1/sessions/s1/feedback", ADMIN, "{\"turn_id\":");
    assertThat(code(brokenFeedback)).as("docs/protocol.md#feedback").isEqualTo("malformed_json");

    // the field named is the one the message is about
    HttpResponse<String> none = send("POST", "/v1/keys", ADMIN, "{}");
    JsonNode error = MAPPER.readTree(none.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("invalid_field");
    assertThat(error.get("message").asText())
        .as(none.body())
        .startsWith(error.get("field").asText() + ": ")
        .contains("\"" + error.get("field").asText() + "\"");
    HttpResponse<String> wrongType = send("POST", "/v1/keys", ADMIN, "{\"tenant\":5}");
    error = MAPPER.readTree(wrongType.body()).get("error");
    assertThat(error.get("message").asText())
        .as(wrongType.body())
        .startsWith(error.get("field").asText() + ": ");

    // a path or query parameter is named too
    HttpResponse<String> badId = send("DELETE", "/v1/keys/..%2f..", ADMIN, null);
    assertThat(badId.statusCode()).isEqualTo(400);
    assertThat(MAPPER.readTree(badId.body()).at("/error/field").asText()).isEqualTo("id");
    HttpResponse<String> noPath = send("GET", "/v1/datasets/sft/versions/1/file", ADMIN, null);
    assertThat(noPath.statusCode()).isEqualTo(400);
    assertThat(code(noPath)).as(noPath.body()).isEqualTo("invalid_field");
    assertThat(MAPPER.readTree(noPath.body()).at("/error/field").asText()).isEqualTo("path");
    assertThat(MAPPER.readTree(noPath.body()).at("/error/message").asText()).startsWith("path: ");

    // a version beyond any int is out of range, not a failure of the node
    for (String path :
        List.of(
            "/v1/datasets/sft/versions/99999999999999999999",
            "/v1/datasets/sft/versions/2147483648/file?path=x")) {
      HttpResponse<String> huge = send("GET", path, ADMIN, null);
      assertThat(huge.statusCode()).as(path + ": " + huge.body()).isEqualTo(400);
      assertThat(MAPPER.readTree(huge.body()).at("/error/field").asText()).isEqualTo("version");
    }
    assertThat(send("GET", "/health", null, null).statusCode()).isEqualTo(200);
  }

  @Test
  void aMethodTheRouteDoesNotHaveIsRefusedNamingTheMethodsItHas() throws Exception {
    Map<String, String> allowed =
        Map.of(
            "/v1/jobs",
            "GET, HEAD, POST",
            "/v1/jobs/" + "a".repeat(32),
            "DELETE",
            "/v1/datasets/sft/versions",
            "GET, HEAD, POST",
            "/v1/datasets/sft/versions/1/file?path=x",
            "GET, HEAD");
    for (Map.Entry<String, String> route : allowed.entrySet()) {
      HttpResponse<String> put = send("PUT", route.getKey(), ADMIN, "{}");
      assertThat(put.statusCode()).as(route.getKey()).isEqualTo(405);
      assertThat(code(put)).isEqualTo("method_not_allowed");
      assertThat(put.headers().firstValue("allow")).as(route.getKey()).contains(route.getValue());
    }
  }

  @Test
  void headIsTheGetOfTheRouteWithoutItsBody() throws Exception {
    for (String path : List.of("/health", "/openapi.json", "/v1/keys")) {
      HttpResponse<String> get = send("GET", path, ADMIN, null);
      HttpResponse<String> head = send("HEAD", path, ADMIN, null);
      assertThat(head.statusCode()).as(path).isEqualTo(200);
      assertThat(head.body()).as(path).isEmpty();
      assertThat(head.headers().firstValue("content-type"))
          .as(path)
          .isEqualTo(get.headers().firstValue("content-type"));
    }
    // what the GET answers, as the GET answers it: here without the admin key
    assertThat(send("HEAD", "/v1/keys", null, null).statusCode())
        .isEqualTo(send("GET", "/v1/keys", null, null).statusCode())
        .isEqualTo(401);
    HttpResponse<String> revoke = send("HEAD", "/v1/keys/" + "a".repeat(8), ADMIN, null);
    assertThat(revoke.statusCode()).isEqualTo(405);
    assertThat(revoke.headers().firstValue("allow")).contains("DELETE");
  }

  @Test
  void aBodyThatIsJsonButNotAnObjectIsMalformedJsonOnEveryRouteThatTakesOne() throws Exception {
    String acme = newKey("acme"); // a rate budget of its own
    for (String[] request : routesWithABody(acme)) {
      for (String body : List.of("[1]", "\"text\"", "7", "true", "", " ")) {
        HttpResponse<String> notAnObject = send(request[0], request[1], request[2], body);
        String what = request[0] + " " + request[1] + " " + body + ": " + notAnObject.body();
        assertThat(notAnObject.statusCode()).as(what).isEqualTo(400);
        assertThat(code(notAnObject)).as("docs/protocol.md, " + what).isEqualTo("malformed_json");
      }
    }
  }

  /**
   * Method, path and key of every route that takes a body: the tenant's routes with {@code
   * tenantKey}, the admin's with the admin key.
   */
  private static List<String[]> routesWithABody(String tenantKey) {
    return List.of(
        new String[] {"POST", "/v1/sessions/s1/feedback", tenantKey},
        new String[] {"POST", "/v1/agents", tenantKey},
        new String[] {"POST", "/v1/agents/a/versions", tenantKey},
        new String[] {"PUT", "/v1/agents/a/deployment", tenantKey},
        new String[] {"POST", "/v1/keys", ADMIN},
        new String[] {"POST", "/v1/jobs", ADMIN});
  }

  @Test
  void aJsonBodyIsAcceptedInAnyCaseAndWithParameters() throws Exception {
    for (String type :
        List.of(
            "APPLICATION/JSON",
            "Application/Json",
            "application/json; charset=UTF-8",
            "application/json;charset=\"utf-8\"",
            "application/json; profile=x")) {
      HttpResponse<String> created =
          send("POST", "/v1/keys", ADMIN, "{\"tenant\":\"acme\",\"name\":\"ci\"}", type);
      assertThat(created.statusCode()).as(type + ": " + created.body()).isEqualTo(201);
    }
    String acme = newKey("acme");
    HttpResponse<String> agent =
        send("POST", "/v1/agents", acme, agentSpec("upper"), "APPLICATION/JSON; CHARSET=UTF-8");
    assertThat(agent.statusCode()).as(agent.body()).isEqualTo(201);
  }

  @Test
  void aBodyThatIsNotJsonIsAnUnsupportedMediaTypeOnEveryRouteThatTakesOne() throws Exception {
    String acme = newKey("acme"); // a rate budget of its own
    for (String[] request : routesWithABody(acme)) {
      for (String type :
          Arrays.asList(
              "text/plain",
              "application/x-www-form-urlencoded",
              "application/json; charset=iso-8859-1",
              null)) {
        HttpResponse<String> refused = send(request[0], request[1], request[2], "{}", type);
        String what = request[0] + " " + request[1] + " as " + type + ": " + refused.body();
        assertThat(refused.statusCode()).as(what).isEqualTo(415);
        assertThat(code(refused)).as(what).isEqualTo("unsupported_media_type");
        assertThat(MAPPER.readTree(refused.body()).at("/error/message").asText())
            .as(what)
            .contains("application/json")
            .contains(
                type == null ? "no Content-Type" : type.contains("charset") ? "iso-8859-1" : type);
      }
    }
  }

  /**
   * A request whose Accept takes no JSON gets 406 not_acceptable (in the API's JSON error shape)
   * from every route that answers JSON, before the operation runs: a refused POST creates nothing.
   * JSON is taken by name, by application/* or by *{@literal /}*, unless its most specific range
   * has q=0; a bare * is *{@literal /}*, and a comma in a quoted parameter value separates no
   * ranges. The routes that answer something else, or are no /v1 JSON resource, answer as before.
   */
  @Test
  void aRequestWhoseAcceptTakesNoJsonIsNotAcceptableAndChangesNothing() throws Exception {
    String acme = newKey("acme");
    String lister = newKey("acme"); // a rate budget of its own for the accepted requests
    List<String[]> requests =
        List.of(
            new String[] {"GET", "/v1/agents", acme, null},
            new String[] {"HEAD", "/v1/agents", acme, null},
            new String[] {"POST", "/v1/agents", acme, agentSpec("refused")},
            new String[] {"GET", "/v1/keys", ADMIN, null},
            new String[] {"POST", "/v1/keys", ADMIN, "{\"tenant\":\"acme\",\"name\":\"no\"}"},
            new String[] {"GET", "/v1/datasets", ADMIN, null});
    int keys = store.all().size();
    for (String accept :
        List.of(
            "text/html",
            "text/html, application/xhtml+xml, application/xml;q=0.9",
            "image/*",
            "application/json;q=0",
            "Application/JSON; q=0, */*",
            "application/*;q=0, text/*",
            "text/html; v=\"a,application/json,b\"")) {
      for (String[] request : requests) {
        HttpResponse<String> refused =
            send(
                request[0],
                request[1],
                request[2],
                request[3],
                request[3] == null ? null : "application/json",
                accept);
        String what = request[0] + " " + request[1] + " accepting " + accept + ": ";
        assertThat(refused.statusCode()).as(what + refused.body()).isEqualTo(406);
        assertThat(refused.headers().firstValue("content-type")).hasValue("application/json");
        if (!request[0].equals("HEAD")) {
          assertThat(code(refused)).as(what + refused.body()).isEqualTo("not_acceptable");
          assertThat(MAPPER.readTree(refused.body()).at("/error/message").asText())
              .as(what)
              .contains("'" + accept + "'", "send Accept: application/json");
        }
      }
    }
    assertThat(MAPPER.readTree(send("GET", "/v1/agents", acme, null).body()).get("agents"))
        .as("no refused POST created an agent")
        .isEmpty();
    assertThat(store.all()).as("nor a key").hasSize(keys);

    for (String accept :
        List.of(
            "application/json",
            "APPLICATION/JSON; charset=utf-8",
            "*/*",
            "application/*",
            "*",
            "text/plain; v=\"a,b\", application/json",
            "text/html, application/json;q=0.1",
            "text/html;q=0.9, */*;q=0.1",
            "application/json;q=0, application/json;q=0.5")) {
      HttpResponse<String> listed = send("GET", "/v1/agents", lister, null, null, accept);
      assertThat(listed.statusCode()).as(accept + ": " + listed.body()).isEqualTo(200);
    }
    for (String path : List.of("/health", "/ready", "/metrics", "/openapi.json")) {
      assertThat(send("GET", path, null, null, null, "text/html").statusCode())
          .as(path + " is no /v1 JSON resource: fetched as probes and scrapers please")
          .isEqualTo(200);
    }
    String id =
        MAPPER.readTree(send("GET", "/v1/keys", ADMIN, null).body()).at("/keys/0/id").asText();
    assertThat(send("DELETE", "/v1/keys/" + id, ADMIN, null, null, "text/html").statusCode())
        .as("a 204 has no body to refuse")
        .isEqualTo(204);
  }

  @Test
  void keysAreListedAPageAtATimeInCreationOrderWithoutDuplicatesOrGaps() throws Exception {
    for (int i = 0; i < 8; i++) {
      store.create("acme", "k" + i);
    }
    List<String> expected = store.all().stream().map(ApiKey::id).toList();

    List<List<String>> pages = pages("/v1/keys", ADMIN, "keys", "id", 3);

    assertThat(pages).hasSize(3);
    assertThat(pages.stream().flatMap(List::stream).toList()).isEqualTo(expected);
    JsonNode all = MAPPER.readTree(send("GET", "/v1/keys", ADMIN, null).body());
    assertThat(all.get("keys")).as("the default limit holds all 8").hasSize(8);
    assertThat(all.get("next_cursor").isNull()).isTrue();
  }

  @Test
  void agentsAreListedAPageAtATimeByNameWithoutDuplicatesOrGaps() throws Exception {
    String acme = newKey("acme");
    List<String> names = List.of("delta", "alpha", "echo", "bravo", "golf", "charlie", "foxtrot");
    for (String name : names) {
      HttpResponse<String> created = send("POST", "/v1/agents", acme, agentSpec(name));
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    List<List<String>> pages = pages("/v1/agents", acme, "agents", "name", 3);

    assertThat(pages)
        .containsExactly(
            List.of("alpha", "bravo", "charlie"),
            List.of("delta", "echo", "foxtrot"),
            List.of("golf"));
    HttpResponse<String> exact = send("GET", "/v1/agents?limit=7", acme, null);
    assertMatchesContract("listAgents", exact);
    assertThat(MAPPER.readTree(exact.body()).get("next_cursor").isNull())
        .as("a page that ends the listing says so")
        .isTrue();
  }

  @Test
  void aLimitOutOfRangeOrACursorNotOfTheListingIsAnInvalidFieldNamingIt() throws Exception {
    String acme = newKey("acme");
    send("POST", "/v1/agents", acme, agentSpec("alpha"));
    send("POST", "/v1/agents", acme, agentSpec("bravo"));
    String keysCursor =
        MAPPER
            .readTree(send("GET", "/v1/keys?limit=1", ADMIN, null).body())
            .get("next_cursor")
            .asText();
    java.util.Base64.Encoder base64 = java.util.Base64.getUrlEncoder();
    for (String[] request :
        List.of(new String[] {"/v1/agents", acme}, new String[] {"/v1/keys", ADMIN})) {
      // each bad query with the field it is about
      List<String[]> queries = new java.util.ArrayList<>();
      for (String limit : List.of("0", "1001", "-1", "ten", "1.5")) {
        queries.add(new String[] {"limit=" + limit, "limit"});
      }
      for (String cursor :
          List.of(
              "not-base64!",
              base64.encodeToString("agents".getBytes(StandardCharsets.UTF_8)),
              base64.encodeToString("keys:key_nothere".getBytes(StandardCharsets.UTF_8)),
              base64.encodeToString("agents:Not A Name".getBytes(StandardCharsets.UTF_8)),
              request[0].equals("/v1/agents") ? keysCursor : "bm90aGluZw")) {
        queries.add(new String[] {"cursor=" + cursor, "cursor"});
      }
      for (String[] query : queries) {
        HttpResponse<String> bad = send("GET", request[0] + "?" + query[0], request[1], null);
        String what = request[0] + "?" + query[0] + ": " + bad.body();
        assertThat(bad.statusCode()).as(what).isEqualTo(400);
        assertThat(code(bad)).as(what).isEqualTo("invalid_field");
        assertThat(MAPPER.readTree(bad.body()).at("/error/field").asText())
            .as(what)
            .isEqualTo(query[1]);
      }
    }
  }

  /**
   * Follows {@code next_cursor} through a listing {@code limit} at a time; the {@code key} of each
   * item, page by page.
   */
  private List<List<String>> pages(String path, String key, String field, String id, int limit)
      throws Exception {
    List<List<String>> pages = new java.util.ArrayList<>();
    String cursor = null;
    do {
      HttpResponse<String> page =
          send(
              "GET",
              path + "?limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor),
              key,
              null);
      assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
      JsonNode body = MAPPER.readTree(page.body());
      List<String> ids = new java.util.ArrayList<>();
      body.get(field).forEach(item -> ids.add(item.get(id).asText()));
      assertThat(ids).as("page %d", pages.size() + 1).isNotEmpty().hasSizeLessThanOrEqualTo(limit);
      pages.add(ids);
      cursor = body.get("next_cursor").isNull() ? null : body.get("next_cursor").asText();
      assertThat(pages).as("the listing ends").hasSizeLessThan(100);
    } while (cursor != null);
    return pages;
  }

  @Test
  void aDatasetVersionNotWrittenInDigitsIsABadRequestAndOnlyForTheAdmin() throws Exception {
    String acme = newKey("acme");
    // the contract reads these as the integer 1 (JSON Schema); the handler takes versions as digits
    for (String path :
        List.of(
            "/v1/datasets/sft/versions/1.0",
            "/v1/datasets/sft/versions/1e0",
            "/v1/datasets/sft/versions/1.0/file?path=x")) {
      HttpResponse<String> admin = send("GET", path, ADMIN, null);
      assertThat(admin.statusCode()).as(path + ": " + admin.body()).isEqualTo(400);
      assertThat(code(admin)).isEqualTo("invalid_field");
      assertThat(MAPPER.readTree(admin.body()).at("/error/field").asText()).isEqualTo("version");

      HttpResponse<String> tenant = send("GET", path, acme, null);
      assertThat(tenant.statusCode()).as("admin key first: " + tenant.body()).isEqualTo(403);
    }
    assertThat(send("GET", "/v1/datasets/sft/versions/1", ADMIN, null).statusCode())
        .as("no such version yet")
        .isEqualTo(404);
  }

  @Test
  void theWebSocketRoutesValidateTheirParametersAgainstTheContractToo() throws Exception {
    String acme = newKey("acme");
    for (String[] bad :
        List.of(
            new String[] {"/v1/sessions?agent=BAD!", "agent"},
            new String[] {"/v1/sessions/s1?last_seq=-1", "last_seq"},
            new String[] {"/v1/sessions/s1?last_seq=x", "last_seq"},
            new String[] {"/v1/sessions/" + "s".repeat(65) + "?last_seq=0", "id"})) {
      HttpResponse<String> refused = send("GET", bad[0], acme, null);
      assertThat(refused.statusCode()).as(bad[0] + ": " + refused.body()).isEqualTo(400);
      JsonNode error = MAPPER.readTree(refused.body()).get("error");
      assertThat(error.get("field").asText()).as(bad[0]).isEqualTo(bad[1]);
      assertThat(error.get("message").asText()).startsWith(bad[1]);
    }
    HttpResponse<String> missing = send("GET", "/v1/sessions/s1", acme, null);
    assertThat(missing.statusCode()).as(missing.body()).isEqualTo(400);
    assertThat(code(missing))
        .as("docs/protocol.md#ending-dropping-and-resuming")
        .isEqualTo("invalid_field");
    assertThat(MAPPER.readTree(missing.body()).at("/error/field").asText()).isEqualTo("last_seq");
    assertThat(MAPPER.readTree(missing.body()).at("/error/message").asText())
        .startsWith("last_seq: ");

    // valid parameters reach the route's handler (here it echoes the tenant)
    assertThat(send("GET", "/v1/sessions?agent=math", acme, null).body()).isEqualTo("acme");
    assertThat(send("GET", "/v1/sessions/s1?last_seq=0", acme, null).body()).isEqualTo("acme");
    assertThat(send("GET", "/v1/eval/live/stream", acme, null).body()).isEqualTo("acme");
  }

  @Test
  void requestsTheHttpDecoderRefusesGetTypedErrorsAndTheNodeKeepsServing() throws Exception {
    String longLine = "GET /v1/agents?q=" + "x".repeat(5_000) + " HTTP/1.1\r\nHost: a\r\n\r\n";
    assertThat(raw(longLine))
        .matches("(?s)HTTP/1\\.[01] 414 .*")
        .contains("\"code\":\"uri_too_long\"");
    String bigHeaders =
        "GET /health HTTP/1.1\r\nHost: a\r\nX-Big: " + "y".repeat(9_000) + "\r\n\r\n";
    assertThat(raw(bigHeaders))
        .matches("(?s)HTTP/1\\.[01] 431 .*")
        .contains("\"code\":\"headers_too_large\"");
    assertThat(raw("GET /health HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n"))
        .matches("(?s)HTTP/1\\.[01] 400 .*")
        .contains("\"code\":\"bad_request\"");
    assertThat(send("GET", "/health", null, null).statusCode()).isEqualTo(200);
  }

  /**
   * A {@code %} that is no percent-escape threw where the path or query is decoded: 500 {@code
   * internal_error}, logged as the node's failure. It is the request's fault: a typed 400.
   */
  @Test
  void aPathOrQueryWithABadPercentEscapeIsATyped400() throws Exception {
    Map<String, String> targets =
        Map.of(
            "/v1/agents/%zz", "path has '%zz'",
            "/v1/agents?limit=1%2", "query has '%2'",
            "/v1/sessions/%g1?last_seq=0", "path has '%g1'");
    for (Map.Entry<String, String> target : targets.entrySet()) {
      assertThat(
              raw("GET " + target.getKey() + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
          .as(target.getKey())
          .matches("(?s)HTTP/1\\.1 400 .*")
          .contains("\"code\":\"invalid_request\"")
          .contains(target.getValue() + ", which is no percent-escape");
    }
    // an escape that is one is decoded as before
    assertThat(send("GET", "/health?x=%41", null, null).statusCode()).isEqualTo(200);
  }

  /**
   * A request target no route can match (no leading '/', CONNECT's host:port, OPTIONS *) was
   * answered 404 with the code {@code bad_request}; a 404 is {@code not_found}, as for any path.
   */
  @Test
  void aTargetNoRouteCanMatchIsNotFoundAsAnUnknownPathIs() throws Exception {
    for (String line :
        List.of(
            "GET v1/agents HTTP/1.1", "CONNECT example.com:443 HTTP/1.1", "OPTIONS * HTTP/1.1")) {
      assertThat(raw(line + "\r\nHost: a\r\nConnection: close\r\n\r\n"))
          .as(line)
          .matches("(?s)HTTP/1\\.1 404 .*")
          .contains("\"code\":\"not_found\"");
    }
  }

  /** Writes {@code request} as it is on a new connection and reads until the server closes it. */
  private String raw(String request) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.actualPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      return new String(
          socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @Test
  void aKeyOverItsRateIsToldWhenToRetry() throws Exception {
    String secret = newKey("acme");
    HttpResponse<String> last = null;
    for (int i = 0; i <= BURST; i++) { // refill 1/s: one more than the burst at once is over
      last = send("GET", "/v1/sessions", secret, null);
    }

    assertThat(last.statusCode()).isEqualTo(429);
    assertThat(code(last)).isEqualTo("rate_limited");
    assertThat(last.headers().firstValue("retry-after")).hasValue("1");
    assertThat(MAPPER.readTree(last.body()).at("/error/retry_after_ms").asLong()).isPositive();
  }

  @Test
  void theContractIsServedAndHealthNeedsNoKey() throws Exception {
    HttpResponse<String> doc = send("GET", "/openapi.json", null, null);
    assertThat(doc.statusCode()).isEqualTo(200);
    assertThat(MAPPER.readTree(doc.body()).get("openapi").asText()).startsWith("3.1");
    // the WebSocket routes answer a plain HTTP request with 426 (docs/protocol.md, NodeSessionIT)
    for (String path : List.of("/v1/sessions", "/v1/sessions/{id}", "/v1/eval/live/stream")) {
      assertThat(MAPPER.readTree(doc.body()).get("paths").get(path).at("/get/responses").has("426"))
          .as(path)
          .isTrue();
    }
    assertThat(send("GET", "/health", null, null).statusCode()).isEqualTo(200);
  }

  @Test
  void agentsHaveImmutableVersionsAndCanaryDeploymentsPerTenant() throws Exception {
    String acme = newKey("acme");
    String other = newKey("other");
    String v1 =
        "{\"name\":\"calc\",\"model\":{\"provider\":\"scripted\",\"name\":\"scripted/math-v1\"},"
            + "\"system_prompt\":\"one\",\"tools\":[\"sandbox.exec\"],\"sandbox\":{\"template\":\"shell\"}}";

    HttpResponse<String> created = send("POST", "/v1/agents", acme, v1);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(MAPPER.readTree(created.body()).at("/deployment/stable").asInt()).isEqualTo(1);
    assertThat(send("POST", "/v1/agents", acme, v1).statusCode()).isEqualTo(409);

    HttpResponse<String> v2 =
        send("POST", "/v1/agents/calc/versions", acme, v1.replace("\"one\"", "\"two\""));
    assertThat(v2.statusCode()).isEqualTo(201);
    assertThat(MAPPER.readTree(v2.body()).get("label").asText()).isEqualTo("v2");

    HttpResponse<String> canary =
        send(
            "PUT",
            "/v1/agents/calc/deployment",
            acme,
            "{\"stable\":1,\"canary\":{\"version\":2,\"percent\":10}}");
    assertThat(canary.statusCode()).as(canary.body()).isEqualTo(200);
    assertThat(MAPPER.readTree(canary.body()).at("/canary/percent").asInt()).isEqualTo(10);
    HttpResponse<String> promoted = send("POST", "/v1/agents/calc/deployment/promote", acme, null);
    assertThat(promoted.statusCode()).as(promoted.body()).isEqualTo(200);
    assertThat(MAPPER.readTree(promoted.body()).get("stable").asInt()).isEqualTo(2);
    HttpResponse<String> rolledBack =
        send("POST", "/v1/agents/calc/deployment/rollback", acme, null);
    assertThat(rolledBack.statusCode()).as(rolledBack.body()).isEqualTo(200);
    assertThat(MAPPER.readTree(rolledBack.body()).get("stable").asInt()).isEqualTo(1);

    HttpResponse<String> hidden = send("GET", "/v1/agents/calc", other, null);
    assertThat(hidden.statusCode()).as("another tenant's agent").isEqualTo(404);
    assertThat(MAPPER.readTree(send("GET", "/v1/agents", other, null).body()).get("agents"))
        .isEmpty();

    HttpResponse<String> badSpec =
        send("POST", "/v1/agents", acme, v1.replace("\"calc\"", "\"Bad Name\""));
    assertThat(badSpec.statusCode()).isEqualTo(400);
    assertThat(MAPPER.readTree(badSpec.body()).at("/error/field").asText()).isEqualTo("name");
    HttpResponse<String> badDeploy =
        send("PUT", "/v1/agents/calc/deployment", acme, "{\"stable\":0}");
    assertThat(badDeploy.statusCode()).isEqualTo(400);
    assertThat(MAPPER.readTree(badDeploy.body()).at("/error/field").asText()).isEqualTo("stable");
  }

  @Test
  void aDeployedVersionBeyondAnIntIsRefusedRatherThanWrappedToAnother() throws Exception {
    String acme = newKey("acme");
    String v1 =
        "{\"name\":\"calc\",\"model\":{\"provider\":\"scripted\",\"name\":\"scripted/math-v1\"},"
            + "\"system_prompt\":\"one\",\"tools\":[\"sandbox.exec\"],\"sandbox\":{\"template\":\"shell\"}}";
    assertThat(send("POST", "/v1/agents", acme, v1).statusCode()).isEqualTo(201);
    assertThat(
            send("POST", "/v1/agents/calc/versions", acme, v1.replace("\"one\"", "\"two\""))
                .statusCode())
        .isEqualTo(201);

    // 4294967298 is 2^32 + 2: narrowed to an int it would be version 2
    for (String[] body :
        List.of(
            new String[] {"{\"stable\":4294967298}", "stable"},
            new String[] {"{\"stable\":99999999999999999999}", "stable"},
            new String[] {
              "{\"stable\":1,\"canary\":{\"version\":4294967298,\"percent\":10}}", "canary.version"
            })) {
      HttpResponse<String> refused = send("PUT", "/v1/agents/calc/deployment", acme, body[0]);
      assertThat(refused.statusCode()).as(body[0] + ": " + refused.body()).isEqualTo(400);
      assertThat(code(refused)).isEqualTo("invalid_field");
      assertThat(MAPPER.readTree(refused.body()).at("/error/field").asText()).isEqualTo(body[1]);
    }
    JsonNode deployment =
        MAPPER.readTree(send("GET", "/v1/agents/calc", acme, null).body()).get("deployment");
    assertThat(deployment.get("stable").asInt()).isEqualTo(1);
    assertThat(deployment.has("canary")).isFalse();
  }

  @Test
  void whenTheAgentStoreFailsEveryAgentRouteSaysSoAsItsContractLists() throws Exception {
    String acme = newKey("acme");
    String spec =
        "{\"name\":\"calc\",\"model\":{\"provider\":\"scripted\",\"name\":\"scripted/math-v1\"},"
            + "\"system_prompt\":\"one\",\"tools\":[\"sandbox.exec\"],\"sandbox\":{\"template\":\"shell\"}}";
    assertThat(send("POST", "/v1/agents", acme, spec).statusCode()).isEqualTo(201);
    JsonNode paths = MAPPER.readTree(ApiRouter.contractText()).get("paths");
    // the database shuts down under the store, and its file cannot be opened again
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(JdbcAgentStore.embeddedUrl(dir), "", "");
        java.sql.Statement st = c.createStatement()) {
      st.execute("SHUTDOWN");
    }
    Path file = dir.resolve("agents.mv.db");
    Path aside = dir.resolve("agents.mv.db.aside");
    Files.move(file, aside);
    Files.createDirectory(file);

    for (String[] route :
        List.of(
            new String[] {"POST", "/v1/agents", "/v1/agents", spec.replace("calc", "calc2")},
            new String[] {"GET", "/v1/agents", "/v1/agents", null},
            new String[] {"GET", "/v1/agents/calc", "/v1/agents/{name}", null},
            new String[] {"POST", "/v1/agents/calc/versions", "/v1/agents/{name}/versions", spec},
            new String[] {"GET", "/v1/agents/calc/versions", "/v1/agents/{name}/versions", null},
            new String[] {
              "PUT", "/v1/agents/calc/deployment", "/v1/agents/{name}/deployment", "{\"stable\":1}"
            },
            new String[] {
              "POST",
              "/v1/agents/calc/deployment/promote",
              "/v1/agents/{name}/deployment/promote",
              null
            },
            new String[] {
              "POST",
              "/v1/agents/calc/deployment/rollback",
              "/v1/agents/{name}/deployment/rollback",
              null
            })) {
      HttpResponse<String> failed = send(route[0], route[1], acme, route[3]);

      assertThat(failed.statusCode())
          .as(route[0] + " " + route[1] + ": " + failed.body())
          .isEqualTo(503);
      assertThat(code(failed)).isEqualTo("store_unavailable");
      assertThat(failed.headers().firstValue("retry-after")).as(route[1]).hasValue("1");
      assertThat(
              paths
                  .get(route[2])
                  .get(route[0].toLowerCase(java.util.Locale.ROOT))
                  .get("responses")
                  .has("503"))
          .as("the contract lists 503 for " + route[0] + " " + route[2])
          .isTrue();
    }
    Files.delete(file);
    Files.move(aside, file);
    assertThat(send("GET", "/v1/agents/calc", acme, null).statusCode())
        .as("the store opens the database again")
        .isEqualTo(200);
  }

  @Test
  void theContractListsTheConflictsTheAgentsGuideDescribes() throws Exception {
    // deployment changes are compare-and-set (docs/agents.md), and an add can lose a race with
    // another node's adds (AgentRegistry.ADD_ATTEMPTS; PostgresStoresIT plays such a race)
    JsonNode paths = MAPPER.readTree(ApiRouter.contractText()).get("paths");
    for (String[] op :
        List.of(
            new String[] {"/v1/agents/{name}/deployment", "put"},
            new String[] {"/v1/agents/{name}/deployment/promote", "post"},
            new String[] {"/v1/agents/{name}/deployment/rollback", "post"},
            new String[] {"/v1/agents/{name}/versions", "post"})) {
      assertThat(paths.get(op[0]).get(op[1]).get("responses").has("409")).as(op[0]).isTrue();
    }
  }

  /**
   * Two clients read the same deployment and both change it: the second, sending the revision it
   * read, learns that the deployment changed under it (409 naming the current revision) instead of
   * undoing the first one's change unseen. Without a revision a change applies as before.
   */
  @Test
  void aDeploymentChangeNamingARevisionThatIsNoLongerCurrentIsAConflictAndChangesNothing()
      throws Exception {
    String acme = newKey("acme");
    assertThat(send("POST", "/v1/agents", acme, agentSpec("calc")).statusCode()).isEqualTo(201);
    assertThat(
            send("POST", "/v1/agents/calc/versions", acme, agentSpec("calc").replace("one", "two"))
                .statusCode())
        .isEqualTo(201);
    long read = revision(send("GET", "/v1/agents/calc", acme, null));

    HttpResponse<String> canary =
        send(
            "PUT",
            "/v1/agents/calc/deployment",
            acme,
            "{\"stable\":1,\"canary\":{\"version\":2,\"percent\":10},\"revision\":" + read + "}");
    assertThat(canary.statusCode()).as(canary.body()).isEqualTo(200);
    long current = MAPPER.readTree(canary.body()).get("revision").asLong();
    assertThat(current).isGreaterThan(read);

    // a second client still holding the first read: every change it sends is refused
    for (String[] stale :
        List.of(
            new String[] {
              "PUT", "/v1/agents/calc/deployment", "{\"stable\":2,\"revision\":" + read + "}"
            },
            new String[] {
              "POST", "/v1/agents/calc/deployment/promote", "{\"revision\":" + read + "}"
            },
            new String[] {
              "POST", "/v1/agents/calc/deployment/rollback", "{\"revision\":" + read + "}"
            })) {
      HttpResponse<String> refused = send(stale[0], stale[1], acme, stale[2]);
      String what = stale[0] + " " + stale[1] + ": " + refused.body();
      assertThat(refused.statusCode()).as(what).isEqualTo(409);
      JsonNode error = MAPPER.readTree(refused.body()).get("error");
      assertThat(error.get("code").asText()).as(what).isEqualTo("conflict");
      assertThat(error.get("field").asText()).as(what).isEqualTo("revision");
      assertThat(error.get("message").asText())
          .as(what)
          .contains("revision " + current, "not " + read);
    }
    HttpResponse<String> unchanged = send("GET", "/v1/agents/calc", acme, null);
    assertThat(revision(unchanged)).isEqualTo(current);
    assertThat(MAPPER.readTree(unchanged.body()).at("/deployment/stable").asInt()).isEqualTo(1);
    assertThat(MAPPER.readTree(unchanged.body()).at("/deployment/canary/version").asInt())
        .isEqualTo(2);

    // with the current revision the change applies, and answers the next one
    HttpResponse<String> promoted =
        send("POST", "/v1/agents/calc/deployment/promote", acme, "{\"revision\":" + current + "}");
    assertThat(promoted.statusCode()).as(promoted.body()).isEqualTo(200);
    assertMatchesContract("promoteAgent", promoted);
    assertThat(MAPPER.readTree(promoted.body()).get("stable").asInt()).isEqualTo(2);
    long next = MAPPER.readTree(promoted.body()).get("revision").asLong();
    HttpResponse<String> rolledBack =
        send("POST", "/v1/agents/calc/deployment/rollback", acme, "{\"revision\":" + next + "}");
    assertThat(rolledBack.statusCode()).as(rolledBack.body()).isEqualTo(200);
    assertThat(MAPPER.readTree(rolledBack.body()).get("stable").asInt()).isEqualTo(1);
    HttpResponse<String> stalePromote =
        send("POST", "/v1/agents/calc/deployment/promote", acme, "{\"revision\":" + next + "}");
    assertMatchesContract("promoteAgent", stalePromote);

    // without a revision, as before: applied to whatever is current
    HttpResponse<String> blind = send("PUT", "/v1/agents/calc/deployment", acme, "{\"stable\":2}");
    assertThat(blind.statusCode()).as(blind.body()).isEqualTo(200);
    assertMatchesContract("deployAgent", blind);
  }

  /**
   * Promote and rollback take an optional body: none at all, as before, or an object with at most a
   * revision, refused like every other body of the API when it is anything else (an unknown field
   * such as a misspelt revision must not be ignored).
   */
  @Test
  void promoteAndRollbackRefuseABodyTheContractDoesNotDescribeAsTheOtherRoutesDo()
      throws Exception {
    String acme = newKey("acme");
    assertThat(send("POST", "/v1/agents", acme, agentSpec("calc")).statusCode()).isEqualTo(201);
    assertThat(
            send("POST", "/v1/agents/calc/versions", acme, agentSpec("calc").replace("one", "two"))
                .statusCode())
        .isEqualTo(201);
    assertThat(
            send(
                    "PUT",
                    "/v1/agents/calc/deployment",
                    acme,
                    "{\"stable\":1,\"canary\":{\"version\":2,\"percent\":10}}")
                .statusCode())
        .isEqualTo(200);
    long revision = revision(send("GET", "/v1/agents/calc", acme, null));

    for (String op : List.of("promote", "rollback")) {
      String path = "/v1/agents/calc/deployment/" + op;
      for (String[] body :
          List.of(
              new String[] {"{\"revison\":" + revision + "}", "400", "invalid_field", "revison"},
              new String[] {"{\"revision\":\"latest\"}", "400", "invalid_field", "revision"},
              new String[] {"{\"revision\":0}", "400", "invalid_field", "revision"},
              new String[] {"[1]", "400", "malformed_json", null},
              new String[] {"{\"revision\":", "400", "malformed_json", null})) {
        HttpResponse<String> refused = send("POST", path, acme, body[0]);
        String what = path + " " + body[0] + ": " + refused.body();
        assertThat(refused.statusCode()).as(what).isEqualTo(Integer.parseInt(body[1]));
        assertThat(code(refused)).as(what).isEqualTo(body[2]);
        if (body[3] != null) {
          assertThat(MAPPER.readTree(refused.body()).at("/error/field").asText())
              .as(what)
              .isEqualTo(body[3]);
        }
      }
      HttpResponse<String> text = send("POST", path, acme, "{}", "text/plain");
      assertThat(text.statusCode()).as(text.body()).isEqualTo(415);
      assertThat(code(text)).isEqualTo("unsupported_media_type");
    }
    assertThat(revision(send("GET", "/v1/agents/calc", acme, null)))
        .as("nothing refused changed the deployment")
        .isEqualTo(revision);

    HttpResponse<String> empty = send("POST", "/v1/agents/calc/deployment/promote", acme, "{}");
    assertThat(empty.statusCode()).as(empty.body()).isEqualTo(200);
    HttpResponse<String> none = send("POST", "/v1/agents/calc/deployment/rollback", acme, null);
    assertThat(none.statusCode()).as(none.body()).isEqualTo(200);
  }

  @Test
  void creatingAnAgentAnswersCreatedWithItsLocation() throws Exception {
    String acme = newKey("acme");
    HttpResponse<String> created = send("POST", "/v1/agents", acme, agentSpec("calc"));

    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertMatchesContract("createAgent", created);
    assertThat(created.headers().firstValue("location")).hasValue("/v1/agents/calc");
    HttpResponse<String> there =
        send("GET", created.headers().firstValue("location").orElseThrow(), acme, null);
    assertThat(there.statusCode()).isEqualTo(200);
    assertThat(MAPPER.readTree(there.body())).isEqualTo(MAPPER.readTree(created.body()));
    HttpResponse<String> again = send("POST", "/v1/agents", acme, agentSpec("calc"));
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(again.headers().firstValue("location")).isEmpty();
  }

  /**
   * The body limit (64 KiB) bites before the spec's own limit of a system_prompt (100 000
   * characters): a spec over it is 413 payload_too_large, whatever its fields say.
   */
  @Test
  void aSpecOverTheBodyLimitIsTooLargeBeforeItsSystemPromptIsChecked() throws Exception {
    String acme = newKey("acme");
    for (int chars : List.of(ApiRouter.MAX_BODY_BYTES, 100_000, 100_001)) {
      HttpResponse<String> tooLarge =
          send("POST", "/v1/agents", acme, agentSpec("big").replace("one", "p".repeat(chars)));
      assertThat(tooLarge.statusCode()).as(chars + ": " + tooLarge.body()).isEqualTo(413);
      assertThat(code(tooLarge)).isEqualTo("payload_too_large");
      assertThat(MAPPER.readTree(tooLarge.body()).at("/error/message").asText())
          .contains(Integer.toString(ApiRouter.MAX_BODY_BYTES));
      assertMatchesContract("createAgent", tooLarge);
    }
    HttpResponse<String> fits =
        send(
            "POST",
            "/v1/agents",
            acme,
            agentSpec("big").replace("one", "p".repeat(ApiRouter.MAX_BODY_BYTES - 1_000)));
    assertThat(fits.statusCode()).as(fits.body()).isEqualTo(201);
  }

  /**
   * Every 401 carries the RFC 6750 challenge: without a key {@code Bearer realm="agent-factory"},
   * with a refused one (unknown, revoked) also {@code error="invalid_token"}; on the WebSocket
   * routes and HEAD too.
   */
  @Test
  void everyUnauthorizedAnswerCarriesTheBearerChallenge() throws Exception {
    HttpResponse<String> created =
        send("POST", "/v1/keys", ADMIN, "{\"tenant\":\"acme\",\"name\":\"ci\"}");
    JsonNode key = MAPPER.readTree(created.body());
    String revoked = key.get("key").asText();
    assertThat(send("DELETE", "/v1/keys/" + key.get("id").asText(), ADMIN, null).statusCode())
        .isEqualTo(204);
    String realm = "Bearer realm=\"agent-factory\"";
    String invalid = realm + ", error=\"invalid_token\"";

    for (String[] request :
        List.of(
            new String[] {"GET", "/v1/agents", null, "missing_credentials", realm},
            new String[] {"HEAD", "/v1/agents", null, null, realm},
            new String[] {"GET", "/v1/sessions", null, "missing_credentials", realm},
            new String[] {"GET", "/v1/keys", "af_not-a-key", "invalid_credentials", invalid},
            new String[] {"POST", "/v1/agents", revoked, "invalid_credentials", invalid},
            new String[] {"GET", "/v1/agents", revoked, "invalid_credentials", invalid})) {
      HttpResponse<String> refused =
          send(
              request[0],
              request[1],
              request[2],
              request[0].equals("POST") ? agentSpec("calc") : null);
      String what = request[0] + " " + request[1] + ": " + refused.body();
      assertThat(refused.statusCode()).as(what).isEqualTo(401);
      if (request[3] != null) {
        assertThat(code(refused)).as(what).isEqualTo(request[3]);
      }
      assertThat(refused.headers().allValues("www-authenticate"))
          .as(what)
          .containsExactly(request[4]);
    }
    // the contract documents it on every 401 (its header is not checked by assertMatchesContract:
    // Vert.x's validator cannot decode a header value with quotes in it)
    JsonNode contract = MAPPER.readTree(ApiRouter.contractText());
    contract
        .get("paths")
        .forEach(
            path ->
                path.forEach(
                    operation -> {
                      JsonNode unauthorized = operation.at("/responses/401");
                      if (!unauthorized.isMissingNode()) {
                        assertThat(unauthorized.get("$ref").asText())
                            .as(operation.get("operationId").asText())
                            .isEqualTo("#/components/responses/Unauthorized");
                      }
                    }));
    assertThat(
            contract
                .at("/components/responses/Unauthorized/headers/WWW-Authenticate/$ref")
                .asText())
        .isEqualTo("#/components/headers/WwwAuthenticate");
  }

  @Test
  void anAgentMayNotSendTheNodesSecretsToAServerOfItsChoice() throws Exception {
    String acme = newKey("acme");
    String spec =
        "{\"name\":\"leak\",\"model\":{\"provider\":\"openai\",\"name\":\"gpt-4o-mini\","
            + "\"base_url\":\"BASE\",\"api_key\":\"KEY\"},\"system_prompt\":\"x\","
            + "\"tools\":[\"sandbox.exec\"],\"sandbox\":{\"template\":\"shell\"}}";

    for (String[] refused :
        List.of(
            new String[] {"https://collector.example/v1", "env:AF_ADMIN_KEY"},
            new String[] {"https://api.openai.com/v1", "file:/data/edge/turn-store.key"},
            new String[] {"https://collector.example/v1", "env:OPENAI_API_KEY"})) {
      HttpResponse<String> response =
          send(
              "POST",
              "/v1/agents",
              acme,
              spec.replace("BASE", refused[0]).replace("KEY", refused[1]));
      assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
      JsonNode error = MAPPER.readTree(response.body()).get("error");
      assertThat(error.get("code").asText()).isEqualTo("invalid_spec");
      assertThat(error.get("field").asText()).isEqualTo("model.api_key");
      assertThat(error.get("message").asText()).contains(refused[1], refused[0], "agents.secrets");
    }
    assertThat(send("GET", "/v1/agents/leak", acme, null).statusCode()).isEqualTo(404);

    // the default rule: the node's OpenAI key, to OpenAI
    HttpResponse<String> allowed =
        send(
            "POST",
            "/v1/agents",
            acme,
            spec.replace("BASE", "https://api.openai.com/v1").replace("KEY", "env:OPENAI_API_KEY"));
    assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(201);
    // a new version cannot point the allowed key elsewhere either
    HttpResponse<String> moved =
        send(
            "POST",
            "/v1/agents/leak/versions",
            acme,
            spec.replace("BASE", "https://collector.example/v1")
                .replace("KEY", "env:OPENAI_API_KEY"));
    assertThat(moved.statusCode()).as(moved.body()).isEqualTo(400);
  }

  @Test
  void jobsNeedTheAdminKeyAndSayWhenFlinkIsNotUp() throws Exception {
    assertThat(send("GET", "/v1/jobs", newKey("acme"), null).statusCode()).isEqualTo(403);
    HttpResponse<String> starting = send("GET", "/v1/jobs", ADMIN, null);
    assertThat(starting.statusCode()).isEqualTo(503);
    assertThat(code(starting)).isEqualTo("starting");
    assertThat(starting.headers().firstValue("retry-after")).hasValue("5");
    HttpResponse<String> unknownJob = send("POST", "/v1/jobs", ADMIN, "{\"job\":\"mine\"}");
    assertThat(unknownJob.statusCode()).isEqualTo(400);
    assertThat(MAPPER.readTree(unknownJob.body()).at("/error/field").asText()).isEqualTo("job");
  }

  /** A node set up without the job jar says so, not that a pipeline is already running (409). */
  @Test
  void submittingThePipelineWithoutItsJobJarIsA500NamingTheJar() throws Exception {
    Path missing = dir.resolve("no-such-flink-jobs.jar");
    // the jar is looked for before Flink is asked anything: no Flink listens here
    pipeline = pipelineOn(new FlinkRestClient(URI.create("http://127.0.0.1:9")), missing);

    HttpResponse<String> submitted =
        send("POST", "/v1/jobs", ADMIN, "{\"job\":\"interaction-pipeline\"}");

    assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(500);
    assertThat(code(submitted)).isEqualTo("job_jar_missing");
    assertThat(MAPPER.readTree(submitted.body()).at("/error/message").asText())
        .contains(missing.toString());
  }

  @Test
  void aFlinkThatNeverAnswersIsABadGatewayNotAHungRequest() throws Exception {
    // Flink's REST port accepts the connection and then says nothing (a wedged JobManager)
    try (java.net.ServerSocket quiet =
        new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      flink =
          new FlinkRestClient(
              URI.create("http://127.0.0.1:" + quiet.getLocalPort()),
              dev.agentfactory.edge.TestHttp.client(),
              java.time.Duration.ofMillis(500),
              java.time.Duration.ofMillis(500));
      HttpResponse<String> jobs =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + server.actualPort() + "/v1/jobs"))
                  .header("authorization", "Bearer " + ADMIN)
                  .timeout(java.time.Duration.ofSeconds(60)) // fails the test, not the node
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(jobs.statusCode()).as(jobs.body()).isEqualTo(502);
      assertThat(code(jobs)).isEqualTo("flink_unavailable");
      assertThat(MAPPER.readTree(jobs.body()).at("/error/message").asText())
          .contains("did not answer GET /jobs/overview within 500 ms");
    }
  }

  /**
   * A Flink session cluster without a default savepoint directory (a stand-in that answers as Flink
   * 2.3 does): the stop names the node's directory, and Flink's refusals are told apart: a job
   * Flink does not know is 404, any other refusal of a job that exists is 409 with Flink's message,
   * never "no Flink job". (The real cluster: ExternalClusterSavepointIT in flink-jobs.)
   */
  @Test
  void stoppingAJobNamesTheSavepointDirectoryAndFlinkRefusalsKeepTheirMeaning() throws Exception {
    String target = dir.resolve("savepoints").toUri().toString();
    HttpServer fakeFlink = startStandInFlink();
    try {
      FlinkRestClient rest =
          new FlinkRestClient(URI.create("http://127.0.0.1:" + fakeFlink.actualPort()));
      pipeline = pipelineOn(rest);

      // without a directory Flink refuses: the job exists, so that is no 404
      flink = rest;
      HttpResponse<String> refused = send("DELETE", "/v1/jobs/" + RUNNING_JOB, ADMIN, null);
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
      assertThat(code(refused)).isEqualTo("flink_refused");
      assertThat(MAPPER.readTree(refused.body()).at("/error/message").asText())
          .contains("Property [targetDirectory] must be provided");

      flink = rest.withSavepointDirectory(target);
      HttpResponse<String> stopped = send("DELETE", "/v1/jobs/" + RUNNING_JOB, ADMIN, null);
      assertThat(stopped.statusCode()).as(stopped.body()).isEqualTo(200);
      assertThat(savepointTargets).containsExactly(target);
      assertThat(MAPPER.readTree(stopped.body()).get("savepoint").asText()).startsWith(target);
      assertThat(MAPPER.readTree(stopped.body()).get("state").asText()).isEqualTo("stopped");

      HttpResponse<String> notRunning = send("DELETE", "/v1/jobs/" + FINISHED_JOB, ADMIN, null);
      assertThat(notRunning.statusCode()).as(notRunning.body()).isEqualTo(409);
      assertThat(code(notRunning)).isEqualTo("flink_refused");
      assertThat(MAPPER.readTree(notRunning.body()).at("/error/message").asText())
          .endsWith("is not in RUNNING state.");

      HttpResponse<String> missing = send("DELETE", "/v1/jobs/" + UNKNOWN_JOB, ADMIN, null);
      assertThat(missing.statusCode()).as(missing.body()).isEqualTo(404);
      assertThat(code(missing)).isEqualTo("not_found");
    } finally {
      fakeFlink.close().toCompletionStage().toCompletableFuture().join();
    }
  }

  /**
   * Nodes sharing one Flink cluster share one pipeline job: while the one another node submitted
   * runs ({@link #RUNNING_JOB}), a POST on this node is refused naming it, and no jar is uploaded
   * (the stand-in would fail the upload: 502).
   */
  @Test
  void submittingThePipelineWhileAnotherNodesRunsIsAConflictNamingIt() throws Exception {
    HttpServer fakeFlink = startStandInFlink();
    try {
      flink = new FlinkRestClient(URI.create("http://127.0.0.1:" + fakeFlink.actualPort()));
      pipeline = pipelineOn(flink, Files.writeString(dir.resolve("job.jar"), "a job jar"));

      HttpResponse<String> refused =
          send("POST", "/v1/jobs", ADMIN, "{\"job\":\"interaction-pipeline\"}");

      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
      assertThat(code(refused)).isEqualTo("conflict");
      assertThat(MAPPER.readTree(refused.body()).at("/error/message").asText())
          .contains("RUNNING as " + RUNNING_JOB);
    } finally {
      fakeFlink.close().toCompletionStage().toCompletableFuture().join();
    }
  }

  /**
   * A job Flink still lists as running when the stop's wait for its end runs out (here {@link
   * #END_WAIT}, 30 s in a node) is not reported stopped: 202, state {@code stopping}, with the
   * savepoint that was taken.
   */
  @Test
  void aStopWhoseJobHasNotEndedWhenTheWaitRunsOutIsAcceptedAsStillStopping() throws Exception {
    String target = dir.resolve("savepoints").toUri().toString();
    HttpServer fakeFlink = startStandInFlink();
    try {
      flink =
          new FlinkRestClient(URI.create("http://127.0.0.1:" + fakeFlink.actualPort()))
              .withSavepointDirectory(target);
      pipeline = pipelineOn(flink);

      HttpResponse<String> stopping = send("DELETE", "/v1/jobs/" + NEVER_ENDING_JOB, ADMIN, null);

      assertThat(stopping.statusCode()).as(stopping.body()).isEqualTo(202);
      JsonNode body = MAPPER.readTree(stopping.body());
      assertThat(body.get("id").asText()).isEqualTo(NEVER_ENDING_JOB);
      assertThat(body.get("state").asText()).isEqualTo("stopping");
      assertThat(body.get("savepoint").asText()).startsWith(target);
      assertThat(body.get("message").asText()).contains("still ending");
      assertThat(savepointTargets).containsExactly(target);
    } finally {
      fakeFlink.close().toCompletionStage().toCompletableFuture().join();
    }
  }

  private static final String RUNNING_JOB = "a".repeat(32);
  private static final String FINISHED_JOB = "b".repeat(32);
  private static final String UNKNOWN_JOB = "c".repeat(32);

  /** A job the stand-in Flink takes a final savepoint of but lists as RUNNING ever after. */
  private static final String NEVER_ENDING_JOB = "d".repeat(32);

  /** How long a stop waits here for Flink to report the job ended (a node: 30 s). */
  private static final java.time.Duration END_WAIT = java.time.Duration.ofMillis(600);

  /**
   * A stand-in for Flink's REST API without a default savepoint directory: {@link #RUNNING_JOB}
   * runs until a savepoint was taken, {@link #FINISHED_JOB} is listed but ended, {@link
   * #UNKNOWN_JOB} was never known, {@link #NEVER_ENDING_JOB} stays RUNNING after its final
   * savepoint.
   */
  private HttpServer startStandInFlink() {
    return vertx
        .createHttpServer()
        .requestHandler(
            request ->
                request
                    .body()
                    .onComplete(
                        body -> {
                          String path = request.path();
                          io.vertx.core.http.HttpServerResponse response =
                              request.response().putHeader("content-type", "application/json");
                          if (path.equals("/jobs/overview")) {
                            // Flink's uncached job list: the stopped job has ended, the finished
                            // one is still listed, the unknown one never was
                            String runningState =
                                savepointTargets.isEmpty() ? "RUNNING" : "FINISHED";
                            response.end(
                                "{\"jobs\":[{\"jid\":\""
                                    + RUNNING_JOB
                                    + "\",\"name\":\""
                                    + dev.agentfactory.connectors.flink.PipelineConfig.JOB_NAME
                                    + "\",\"state\":\""
                                    + runningState
                                    + "\"},{\"jid\":\""
                                    + FINISHED_JOB
                                    + "\",\"name\":\"p\",\"state\":\"FINISHED\"},{\"jid\":\""
                                    + NEVER_ENDING_JOB
                                    + "\",\"name\":\"p\",\"state\":\"RUNNING\"}]}");
                          } else if (path.startsWith("/jobs/" + UNKNOWN_JOB)) {
                            response
                                .setStatusCode(404)
                                .end("{\"errors\":[\"Job could not be found.\"]}");
                          } else if (path.endsWith("/stop")) {
                            io.vertx.core.json.JsonObject stop = body.result().toJsonObject();
                            if (!stop.containsKey("targetDirectory")) {
                              response
                                  .setStatusCode(400)
                                  .end(
                                      "{\"errors\":[\"Config key"
                                          + " [execution.checkpointing.savepoint-dir] is not set."
                                          + " Property [targetDirectory] must be provided.\"]}");
                            } else if (path.startsWith("/jobs/" + FINISHED_JOB)) {
                              response
                                  .setStatusCode(409)
                                  .end(
                                      "{\"errors\":[\"Job "
                                          + FINISHED_JOB
                                          + " is not in RUNNING state.\\n\\tat stack\"]}");
                            } else {
                              savepointTargets.add(stop.getString("targetDirectory"));
                              response.end("{\"request-id\":\"t1\"}");
                            }
                          } else if (path.equals("/jobs/" + RUNNING_JOB + "/savepoints/t1")
                              || path.equals("/jobs/" + NEVER_ENDING_JOB + "/savepoints/t1")) {
                            response.end(
                                "{\"status\":{\"id\":\"COMPLETED\"},\"operation\":{\"location\":\""
                                    + savepointTargets.get(0)
                                    + "/savepoint-aaaaaa-000000000000\"}}");
                          } else {
                            response.setStatusCode(500).end("{\"errors\":[\"unexpected\"]}");
                          }
                        }))
        .listen(0, "127.0.0.1")
        .toCompletionStage()
        .toCompletableFuture()
        .join();
  }

  /** The pipeline job of a node on {@code rest}, never submitted here (its jar is missing). */
  private PipelineJob pipelineOn(FlinkRestClient rest) {
    return pipelineOn(rest, dir.resolve("no-jar.jar"));
  }

  private PipelineJob pipelineOn(FlinkRestClient rest, Path jar) {
    return dev.agentfactory.edge.pipeline.TestPipelineJobs.on(rest, jar, dir);
  }

  /** The target directories the stand-in Flink was asked to write savepoints to. */
  private final List<String> savepointTargets = new java.util.concurrent.CopyOnWriteArrayList<>();

  @Test
  void datasetsListEveryKindAndVersionOneKindByItsName() throws Exception {
    HttpResponse<String> emptyListing = send("GET", "/v1/datasets", ADMIN, null);
    assertMatchesContract("listDatasets", emptyListing);
    JsonNode empty = MAPPER.readTree(emptyListing.body());
    List<String> documented = new java.util.ArrayList<>();
    contractSchema("DatasetSummary")
        .get("properties")
        .fieldNames()
        .forEachRemaining(documented::add);
    for (JsonNode dataset : empty.get("datasets")) {
      List<String> fields = new java.util.ArrayList<>();
      dataset.fieldNames().forEachRemaining(fields::add);
      assertThat(fields)
          .as("exactly the fields the contract documents")
          .containsExactlyInAnyOrderElementsOf(documented);
    }
    assertThat(empty.get("datasets").findValuesAsText("kind"))
        .containsExactlyInAnyOrder("sft", "preference", "unpaired", "rft", "eval");
    // A listed kind the pipeline has not written yet is a dataset without versions, not a
    // dataset that does not exist (it has no directory until its first file).
    assertThat(send("GET", "/v1/datasets/rft/versions", ADMIN, null).body())
        .isEqualTo("{\"versions\":[],\"next_cursor\":null,\"unreadable_versions\":[]}");
    HttpResponse<String> noVersion = send("GET", "/v1/datasets/rft/versions/1", ADMIN, null);
    assertThat(noVersion.statusCode()).isEqualTo(404);
    assertThat(noVersion.body())
        .contains("dataset 'rft' has no version 1", "\"field\":\"version\"");
    assertThat(send("GET", "/v1/datasets/rft/versions/1/file?path=a", ADMIN, null).body())
        .contains("not_found", "has no version 1");
    HttpResponse<String> nothingToCut = send("POST", "/v1/datasets/rft/versions", ADMIN, null);
    assertThat(nothingToCut.statusCode()).isEqualTo(404);
    assertThat(nothingToCut.body()).contains("has no committed files to version");
    assertThat(send("GET", "/v1/datasets/nope/versions", ADMIN, null).body())
        .as("a name that is no kind and has no directory")
        .contains("not_found", "does not exist");

    Path file =
        Files.createDirectories(dir.resolve("datasets/preference/2026-11-25--10"))
            .resolve("part-a-0.parquet");
    try (ParquetWriter<GenericRecord> writer =
        AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(file))
            .withSchema(DatasetKind.PREFERENCE.avroSchema())
            .build()) {
      List<SftMessage> prompt = List.of(new SftMessage("user", "hi", null));
      writer.write(
          DatasetSchemas.toRecord(
              new PreferenceRow(
                  new Provenance(
                      "e1",
                      null,
                      "s1",
                      "acme",
                      "helper",
                      "1.0.0",
                      null,
                      Instant.EPOCH,
                      1,
                      "pii-v1",
                      List.of(),
                      List.of(),
                      List.of()),
                  prompt,
                  List.of(new SftMessage("assistant", "hello", null)),
                  List.of(new SftMessage("assistant", "go away", null)))));
    }

    HttpResponse<String> cut = send("POST", "/v1/datasets/preference/versions", ADMIN, null);
    assertThat(cut.statusCode()).as(cut.body()).isEqualTo(202);
    assertMatchesContract("cutDatasetVersion", cut);
    String location = cut.headers().firstValue("location").orElseThrow();
    JsonNode started = MAPPER.readTree(cut.body());
    assertThat(location)
        .isEqualTo("/v1/datasets/preference/cuts/" + started.get("cut_id").asText());
    assertThat(started.get("files_total").asInt()).isEqualTo(1);
    assertThat(started.get("bytes_total").asLong())
        .as("known from the first status on, not 0 until the cut reads")
        .isEqualTo(Files.size(file));
    JsonNode done = awaitCut(location);
    assertThat(done.get("state").asText()).isEqualTo("succeeded");
    assertThat(done.get("files_done").asInt()).isEqualTo(1);
    assertThat(done.get("rows_done").asLong()).isEqualTo(1);
    assertThat(done.get("version").asInt()).isEqualTo(1);
    assertThat(done.get("error").isNull()).isTrue();
    assertThat(List.of(done.get("started_at").asText(), done.get("finished_at").asText()))
        .as("UTC to the millisecond, as docs/datasets.md shows them")
        .allMatch(t -> t.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
    JsonNode manifest =
        MAPPER.readTree(send("GET", done.get("version_url").asText(), ADMIN, null).body());
    assertThat(manifest.get("dataset").asText()).isEqualTo("preference");
    assertThat(manifest.get("total_rows").asLong()).isEqualTo(1);
    assertThat(manifest.at("/lineage/scrub_policies/0").asText()).isEqualTo("pii-v1");
    assertThat(manifest.at("/schema/parquet").asText()).contains("chosen", "rejected", "pii_spans");
    String listed0 =
        "/v1/datasets/preference/versions/1/file?path=" + manifest.at("/files/0/path").asText();
    // HEAD sends no body: one after it would be read as the next answer on the connection
    HttpResponse<String> head = send("HEAD", listed0, ADMIN, null);
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(head.headers().firstValueAsLong("content-length"))
        .as("the file's size, as its GET would send it")
        .hasValue(Files.size(file));
    for (int i = 0; i < 3; i++) {
      assertThat(send("GET", "/health", null, null).statusCode()).isEqualTo(200);
    }
    assertThat(send("GET", listed0, ADMIN, null).body()).startsWith("PAR1");
    assertThat(send("GET", listed0, ADMIN, null, null, "application/vnd.apache.parquet").body())
        .as("a file is no JSON answer: its download does not check Accept")
        .startsWith("PAR1");
    assertThat(
            send("GET", "/v1/datasets/preference/versions/1/file?path=..%2Fa", ADMIN, null).body())
        .as("a path that is not plain relative names the parameter, as other parameters do")
        .contains("\"code\":\"invalid_name\"", "\"field\":\"path\"");
    assertThat(send("GET", "/v1/datasets/preference/cuts/nope", ADMIN, null).statusCode())
        .isEqualTo(404);
    assertThat(send("GET", location, newKey("acme"), null).statusCode())
        .as("admin key only")
        .isEqualTo(403);

    assertMatchesContract("getDatasetCut", send("GET", location, ADMIN, null));
    HttpResponse<String> listing = send("GET", "/v1/datasets", ADMIN, null);
    assertMatchesContract("listDatasets", listing);
    JsonNode listed = MAPPER.readTree(listing.body());
    JsonNode preference = null;
    for (JsonNode d : listed.get("datasets")) {
      if (d.get("name").asText().equals("preference")) {
        preference = d;
      }
    }
    assertThat(preference).isNotNull();
    assertThat(preference.get("latest_version").asInt()).isEqualTo(1);
    assertThat(preference.get("total_rows").asLong()).isEqualTo(1);
    assertThat(preference.get("cut_in_progress").isNull()).as("no cut running").isTrue();
    assertThat(send("POST", "/v1/datasets/rft/versions", ADMIN, null).statusCode())
        .as("a kind without committed files cannot be cut yet")
        .isEqualTo(404);
  }

  @Test
  void aCommittedFileThatIsNotParquetIsNamedInItsDatasetAndTheOthersListNormally()
      throws Exception {
    emptySftFile();
    Path custom = Files.createDirectories(dir.resolve("datasets/custom"));
    Files.writeString(custom.resolve("part-0.parquet"), "x\n");

    try (CapturedLog log = CapturedLog.atRoot()) {
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> listing = send("GET", "/v1/datasets", ADMIN, null);
        assertThat(listing.statusCode()).as(listing.body()).isEqualTo(200);
        assertMatchesContract("listDatasets", listing);
        Map<String, JsonNode> byName = new java.util.HashMap<>();
        MAPPER
            .readTree(listing.body())
            .get("datasets")
            .forEach(d -> byName.put(d.get("name").asText(), d));
        assertThat(byName.get("sft").get("committed_files").asInt()).isEqualTo(1);
        assertThat(byName.get("sft").get("unreadable_files").isEmpty()).isTrue();
        JsonNode bad = byName.get("custom");
        assertThat(bad.get("committed_files").asInt()).isEqualTo(1);
        assertThat(bad.get("total_rows").asLong()).isZero();
        assertThat(bad.at("/unreadable_files/0/path").asText()).isEqualTo("part-0.parquet");
        assertThat(bad.at("/unreadable_files/0/reason").asText())
            .contains("part-0.parquet", "not a Parquet file");
      }
      assertThat(log.messages("dev.agentfactory.edge.dataset", Level.WARN, "custom/part-0.parquet"))
          .as("warned of once, not at every listing")
          .hasSize(1);
    }

    HttpResponse<String> cut = send("POST", "/v1/datasets/custom/versions", ADMIN, null);
    assertThat(cut.statusCode()).as(cut.body()).isEqualTo(202);
    JsonNode failed = awaitCut(cut.headers().firstValue("location").orElseThrow());
    assertThat(failed.at("/error/code").asText()).isEqualTo("io_error");
    assertThat(failed.at("/error/retriable").asBoolean()).isFalse();
    assertThat(failed.at("/error/message").asText()).contains("part-0.parquet");
  }

  @Test
  void aCutThatFailsSaysWhyOnItsStatusAndPublishesNoVersion() throws Exception {
    Path bucket = Files.createDirectories(dir.resolve("datasets/sft/2026-11-25--10"));
    for (String part : List.of("part-a-0.parquet", "part-b-0.parquet")) {
      DatasetKind kind = part.startsWith("part-a") ? DatasetKind.SFT : DatasetKind.PREFERENCE;
      // Two files that disagree on their schema: a version needs one.
      try (ParquetWriter<GenericRecord> writer =
          AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(bucket.resolve(part)))
              .withSchema(kind.avroSchema())
              .build()) {
        // empty files are valid Parquet with the schema in the footer
      }
    }

    HttpResponse<String> cut = send("POST", "/v1/datasets/sft/versions", ADMIN, null);
    assertThat(cut.statusCode()).as(cut.body()).isEqualTo(202);
    JsonNode failed = awaitCut(cut.headers().firstValue("location").orElseThrow());
    assertMatchesContract(
        "getDatasetCut",
        send("GET", cut.headers().firstValue("location").orElseThrow(), ADMIN, null));

    assertThat(failed.get("state").asText()).isEqualTo("failed");
    assertThat(failed.at("/error/code").asText()).isEqualTo("conflict");
    assertThat(failed.at("/error/retriable").asBoolean()).isFalse();
    assertThat(failed.at("/error/message").asText()).contains("part-a-0.parquet", "schema");
    assertThat(failed.get("version").isNull()).isTrue();
    assertThat(send("GET", "/v1/datasets/sft/versions", ADMIN, null).body())
        .isEqualTo("{\"versions\":[],\"next_cursor\":null,\"unreadable_versions\":[]}");
    assertThat(send("POST", "/v1/datasets/Bad_Name/versions", ADMIN, null).statusCode())
        .isEqualTo(400);
  }

  @Test
  void aCutStoppedByAnErrorEndsFailedAndIsRecordedSo() throws Exception {
    emptySftFile();
    // an Error, not an exception, from where a cut asks which job wrote the files (the node asks
    // Flink there): e.g. a class of the Flink client that fails to load
    lineage =
        () -> {
          throw new NoClassDefFoundError("org/apache/flink/Missing");
        };

    HttpResponse<String> cut = send("POST", "/v1/datasets/sft/versions", ADMIN, null);
    assertThat(cut.statusCode()).as(cut.body()).isEqualTo(202);
    JsonNode failed = awaitCut(cut.headers().firstValue("location").orElseThrow());

    assertThat(failed.get("state").asText()).isEqualTo("failed");
    assertThat(failed.at("/error/message").asText())
        .contains("NoClassDefFoundError", "org/apache/flink/Missing");
    assertThat(failed.get("version").isNull()).isTrue();
    Path record = dir.resolve("cuts").resolve(failed.get("cut_id").asText() + ".json");
    JsonNode recorded =
        org.awaitility.Awaitility.await()
            .atMost(java.time.Duration.ofSeconds(60))
            .pollInterval(java.time.Duration.ofMillis(50))
            .until(
                () -> MAPPER.readTree(Files.readString(record)),
                r -> !r.get("state").asText().equals("running"));
    assertThat(recorded.get("state").asText()).as("the record a restart reads").isEqualTo("failed");
    assertThat(recorded.at("/error/message").asText()).contains("NoClassDefFoundError");

    lineage = Lineage::unknown;
    HttpResponse<String> again = send("POST", "/v1/datasets/sft/versions", ADMIN, null);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
    assertThat(awaitCut(again.headers().firstValue("location").orElseThrow()).get("state").asText())
        .as("a new cut starts: the failed one is no longer running")
        .isEqualTo("succeeded");
  }

  @Test
  void aCutWhoseStatusCannotBeRecordedIsNotStartedAndAnswersAsTheContractLists() throws Exception {
    emptySftFile();
    Path cuts = dir.resolve("cuts");
    if (Files.isDirectory(cuts)) {
      Files.delete(cuts); // empty: no cut ran yet
    }
    Files.writeString(cuts, "a file where the cut records' directory should be");

    HttpResponse<String> cut = send("POST", "/v1/datasets/sft/versions", ADMIN, null);

    assertThat(cut.statusCode()).as(cut.body()).isEqualTo(500);
    assertThat(code(cut)).isEqualTo("io_error");
    assertThat(
            MAPPER
                .readTree(ApiRouter.contractText())
                .at("/paths/~1v1~1datasets~1{name}~1versions/post/responses")
                .has("500"))
        .as("the contract lists it")
        .isTrue();
    assertThat(send("GET", "/v1/datasets/sft/versions", ADMIN, null).body())
        .isEqualTo("{\"versions\":[],\"next_cursor\":null,\"unreadable_versions\":[]}");
  }

  @Test
  void cuttingAnUnchangedDatasetAgainAnswersItsLatestVersionAndWritesNoNewOne() throws Exception {
    emptySftFile();
    HttpResponse<String> first = send("POST", "/v1/datasets/sft/versions", ADMIN, null);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
    assertThat(
            awaitCut(first.headers().firstValue("location").orElseThrow()).get("version").asInt())
        .isEqualTo(1);

    HttpResponse<String> again = send("POST", "/v1/datasets/sft/versions", ADMIN, null);

    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    assertMatchesContract("cutDatasetVersion", again);
    JsonNode unchanged = MAPPER.readTree(again.body());
    assertThat(unchanged.get("unchanged").asBoolean()).isTrue();
    assertThat(unchanged.get("version").asInt()).isEqualTo(1);
    assertThat(unchanged.get("version_url").asText()).isEqualTo("/v1/datasets/sft/versions/1");
    assertThat(again.headers().firstValue("content-location"))
        .hasValue("/v1/datasets/sft/versions/1");
    assertThat(manifests("sft")).as("no new manifest").containsExactly("v1.json");
    assertThat(
            MAPPER
                .readTree(send("GET", "/v1/datasets/sft/versions", ADMIN, null).body())
                .get("versions")
                .size())
        .isEqualTo(1);

    emptySftFile("part-a-1.parquet"); // new data: a new version
    HttpResponse<String> changed = send("POST", "/v1/datasets/sft/versions", ADMIN, null);

    assertThat(changed.statusCode()).as(changed.body()).isEqualTo(202);
    JsonNode v2 = awaitCut(changed.headers().firstValue("location").orElseThrow());
    assertThat(v2.get("version").asInt()).isEqualTo(2);
    assertThat(v2.get("files_done").asInt()).isEqualTo(2);
    assertThat(manifests("sft")).containsExactly("v1.json", "v2.json");
  }

  @Test
  void datasetVersionsAreListedAPageAtATimeOldestFirst() throws Exception {
    // cut by the catalog itself: cuts over HTTP poll their status, at the key's rate budget
    var catalog =
        new dev.agentfactory.connectors.dataset.version.DatasetCatalog(dir.resolve("datasets"));
    for (int i = 0; i < 5; i++) {
      emptySftFile("part-a-" + i + ".parquet"); // new data each time: a new version
      catalog.cut(
          "sft",
          Lineage.unknown(),
          dev.agentfactory.connectors.dataset.version.ProgressListener.NONE);
    }

    assertThat(pages("/v1/datasets/sft/versions", ADMIN, "versions", "version", 2))
        .containsExactly(List.of("1", "2"), List.of("3", "4"), List.of("5"));
    HttpResponse<String> all = send("GET", "/v1/datasets/sft/versions", ADMIN, null);
    assertMatchesContract("listDatasetVersions", all);
    HttpResponse<String> otherDataset =
        send(
            "GET",
            "/v1/datasets/preference/versions?cursor="
                + MAPPER
                    .readTree(send("GET", "/v1/datasets/sft/versions?limit=1", ADMIN, null).body())
                    .get("next_cursor")
                    .asText(),
            ADMIN,
            null);
    assertThat(otherDataset.statusCode()).as(otherDataset.body()).isEqualTo(400);
    assertThat(MAPPER.readTree(otherDataset.body()).at("/error/field").asText())
        .isEqualTo("cursor");
  }

  /** The manifest files of a dataset, by name. */
  private List<String> manifests(String dataset) throws Exception {
    try (var files = Files.list(dir.resolve("datasets").resolve(dataset).resolve("_versions"))) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** One committed SFT file without rows (valid Parquet: a cut would publish it). */
  private void emptySftFile() throws Exception {
    emptySftFile("part-a-0.parquet");
  }

  private void emptySftFile(String part) throws Exception {
    Path bucket = Files.createDirectories(dir.resolve("datasets/sft/2026-11-25--10"));
    try (ParquetWriter<GenericRecord> writer =
        AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(bucket.resolve(part)))
            .withSchema(DatasetKind.SFT.avroSchema())
            .build()) {
      // the schema goes into the footer
    }
  }

  /** Fails unless {@code response} is an answer the contract documents for {@code operationId}. */
  private void assertMatchesContract(String operationId, HttpResponse<String> response) {
    OpenAPIContract contract =
        OpenAPIContract.from(vertx, new io.vertx.core.json.JsonObject(ApiRouter.contractText()))
            .toCompletionStage()
            .toCompletableFuture()
            .join();
    Map<String, String> headers = new java.util.HashMap<>();
    response.headers().map().forEach((name, values) -> headers.put(name, values.get(0)));
    try {
      ResponseValidator.create(vertx, contract)
          .validate(
              ValidatableResponse.create(
                  response.statusCode(),
                  headers,
                  io.vertx.core.buffer.Buffer.buffer(response.body()),
                  response.headers().firstValue("content-type").orElse(null)),
              operationId)
          .toCompletionStage()
          .toCompletableFuture()
          .join();
    } catch (java.util.concurrent.CompletionException e) {
      throw new AssertionError(
          operationId + " answered what its contract does not document: " + response.body(),
          e.getCause());
    }
  }

  private static JsonNode contractSchema(String name) throws Exception {
    return MAPPER.readTree(ApiRouter.contractText()).at("/components/schemas/" + name);
  }

  /** Polls a cut's status URL until it is no longer running. */
  private JsonNode awaitCut(String location) {
    JsonNode[] last = {null};
    return org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(60))
        .pollInterval(java.time.Duration.ofMillis(50))
        .until(
            () -> {
              HttpResponse<String> status = send("GET", location, ADMIN, null);
              if (status.statusCode() == 429) {
                return last[0]; // polled faster than the key's rate limit: ask again
              }
              assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
              last[0] = MAPPER.readTree(status.body());
              return last[0];
            },
            cut -> cut != null && !cut.get("state").asText().equals("running"));
  }

  @Test
  void drainingNeedsTheAdminKeyAndSaysWhenTheNodeIsNotUp() throws Exception {
    assertThat(send("POST", "/v1/admin/drain", newKey("acme"), null).statusCode()).isEqualTo(403);
    HttpResponse<String> starting = send("POST", "/v1/admin/drain", ADMIN, null);
    assertThat(starting.statusCode()).isEqualTo(503);
    assertThat(code(starting)).isEqualTo("starting");
    assertThat(starting.headers().firstValue("retry-after")).hasValue("5");
    HttpResponse<String> leases = send("GET", "/v1/admin/leases", ADMIN, null);
    assertThat(leases.statusCode()).as(leases.body()).isEqualTo(503);
    assertThat(code(leases)).isEqualTo("starting");
    assertThat(leases.headers().firstValue("retry-after")).hasValue("5");
  }

  /** A valid spec of an agent named {@code name}. */
  private static String agentSpec(String name) {
    return "{\"name\":\""
        + name
        + "\",\"model\":{\"provider\":\"scripted\",\"name\":\"scripted/math-v1\"},"
        + "\"system_prompt\":\"one\",\"tools\":[],\"sandbox\":{\"template\":\"shell\"}}";
  }

  private String newKey(String tenant) throws Exception {
    HttpResponse<String> created =
        send("POST", "/v1/keys", ADMIN, "{\"tenant\":\"" + tenant + "\",\"name\":\"t\"}");
    return MAPPER.readTree(created.body()).get("key").asText();
  }

  private HttpResponse<String> send(String method, String path, String key, String body)
      throws Exception {
    return send(method, path, key, body, body == null ? null : "application/json");
  }

  /** A request whose body, if any, goes with {@code contentType} (null: no Content-Type). */
  private HttpResponse<String> send(
      String method, String path, String key, String body, String contentType) throws Exception {
    return send(method, path, key, body, contentType, null);
  }

  /** As {@link #send(String, String, String, String, String)}, with {@code accept} if not null. */
  private HttpResponse<String> send(
      String method, String path, String key, String body, String contentType, String accept)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("content-type", contentType);
    }
    if (accept != null) {
      request.header("accept", accept);
    }
    if (key != null) {
      request.header("authorization", "Bearer " + key);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The deployment revision in an agent's answer. */
  private static long revision(HttpResponse<String> agent) throws Exception {
    assertThat(agent.statusCode()).as(agent.body()).isEqualTo(200);
    return MAPPER.readTree(agent.body()).at("/deployment/revision").asLong();
  }

  private static String code(HttpResponse<String> response) throws Exception {
    return MAPPER.readTree(response.body()).at("/error/code").asText();
  }
}
