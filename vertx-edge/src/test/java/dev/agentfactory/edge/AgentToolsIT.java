package dev.agentfactory.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentfactory.edge.FakeModelServer.Step;
import dev.agentfactory.edge.agent.AgentRef;
import dev.agentfactory.edge.agent.AgentRegistry;
import dev.agentfactory.edge.agent.AgentSpec;
import dev.agentfactory.edge.agent.AgentSpecCodec;
import dev.agentfactory.edge.agent.AgentVersion;
import dev.agentfactory.edge.agent.Deployment;
import dev.agentfactory.edge.agent.JdbcAgentStore;
import dev.agentfactory.edge.agent.ModelProviders;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.session.SessionHandler;
import dev.agentfactory.edge.session.SessionSettings;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import dev.agentfactory.sandbox.template.TemplateParser;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent tools through the real session engine: WebSocket sessions on an HTTP server (port 0),
 * real bubblewrap sandboxes from a local pool, a real stdio MCP server (a Python script) run inside
 * the sandbox, a real streamable-HTTP MCP server, and — the one stand-in — a fake OpenAI-compatible
 * model server that plays a fixed script of tool calls. The cluster lease registry and Kafka are
 * left out (NodeSessionIT covers them): leases here come straight from the pool and interaction
 * events are kept in memory.
 */
class AgentToolsIT {

  private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int UID_BASE = 372_000;
  private static final int UID_COUNT = 40;

  @TempDir static Path dataDir;
  private static Vertx vertx;
  private static LocalSandboxPool pool;
  private static Path workDir;
  private static HttpServer edge;
  private static HttpServer web;
  private static FakeModelServer model;
  private static McpHttpFixtureServer mcpHttp;
  private static AgentRegistry registry;
  private static JdbcAgentStore store;
  private static SessionHandler sessions;

  @BeforeAll
  static void start() throws Exception {
    Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx--x--x"));
    vertx = Vertx.vertx();
    // short: the egress proxy's unix socket path must stay under 108 bytes
    workDir =
        Path.of(
            System.getProperty("java.io.tmpdir"),
            "af-it-sandboxes",
            "t-" + UUID.randomUUID().toString().substring(0, 8));
    // A host-side web server the sandbox may reach through its proxy. 127.0.0.2, not 127.0.0.1:
    // the sandbox sends 127.0.0.1 and localhost to its own loopback (NO_PROXY).
    web =
        await(
            vertx
                .createHttpServer()
                .requestHandler(
                    req ->
                        req.body()
                            .onSuccess(
                                body ->
                                    req.response()
                                        .putHeader("content-type", "text/plain")
                                        .end(
                                            req.method()
                                                + " "
                                                + req.path()
                                                + " x-test="
                                                + req.getHeader("x-test")
                                                + " body="
                                                + body)))
                .listen(0, "127.0.0.2"));
    String webTemplate =
        "{\"name\":\"web\",\"description\":\"shell with a web allowlist\","
            + "\"network\":{\"policy\":\"allowlist\",\"egress\":["
            + "{\"host\":\"127.0.0.2\",\"ports\":["
            + web.actualPort()
            + "]},{\"host\":\"example.com\"}]},"
            + "\"warm_pool_size\":0,\"requires\":[\"/bin/sh\"]}";
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withUidRange(UID_BASE, UID_COUNT)
                .withWarmTarget("shell", 1),
            TemplateCatalog.builtIn().with(TemplateParser.parse(webTemplate)));
    LocalPoolLeasing leasing = new LocalPoolLeasing(vertx, pool);
    store = await(JdbcAgentStore.open(vertx, JdbcAgentStore.embeddedUrl(dataDir), "", ""));
    registry =
        new AgentRegistry(
            store,
            java.time.Clock.systemUTC(),
            TemplateCatalog.builtIn().with(TemplateParser.parse(webTemplate)));
    sessions =
        new SessionHandler(
            vertx,
            leasing,
            record -> Future.succeededFuture(),
            new SessionSettings(
                64 * 1024,
                Duration.ofSeconds(5),
                Duration.ZERO,
                Duration.ZERO,
                Duration.ofSeconds(30)),
            100,
            new EdgeMetrics(),
            registry,
            new ModelProviders(vertx));
    Router router = Router.router(vertx);
    router.get("/v1/sessions").handler(sessions::open);
    edge = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    model = new FakeModelServer(vertx);
    mcpHttp = new McpHttpFixtureServer(vertx);
  }

  @AfterAll
  static void stop() throws Exception {
    if (sessions != null) {
      // Must finish even when the last test's close frame is still being handled
      // (SessionShutdownIT reproduces that case deterministically)
      await(sessions.shutdown());
    }
    if (pool != null) {
      pool.close();
    }
    if (vertx != null) {
      await(vertx.close());
    }
  }

  @Test
  void fileToolsWorkInTheSessionSandboxAndBadPathsAreToolErrors() throws Exception {
    createAgent("filer", "[\"sandbox.exec\",\"files.read\",\"files.write\",\"files.list\"]", "");
    model.script(
        Step.call("files_write", "{\"path\":\"notes/a.txt\",\"content\":\"hello from the model\"}"),
        Step.call("files_list", "{\"path\":\"notes\"}"),
        Step.call("files_read", "{\"path\":\"/workspace/notes/a.txt\"}"),
        Step.call("sandbox_exec", "{\"command\":\"cat notes/a.txt\"}"),
        Step.call("files_read", "{\"path\":\"../../etc/passwd\"}"),
        Step.call("files_read", "{\"path\":\"missing.txt\"}"),
        Step.call("files_read", "{\"path\":"),
        Step.answer("all done"));
    int before = model.requests().size();
    List<JsonNode> frames = turn("filer", "use the files");

    List<JsonNode> results = ofType(frames, "tool.result");
    assertThat(results)
        .extracting(f -> f.get("status").asText())
        .containsExactly("ok", "ok", "ok", "exited", "error", "error", "error");
    assertThat(results)
        .extracting(f -> f.get("is_error").asBoolean())
        .containsExactly(false, false, false, false, true, true, true);
    assertThat(output(frames, "call_" + callIndex(frames, 2))).isEqualTo("hello from the model");
    assertThat(output(frames, "call_" + callIndex(frames, 3))).isEqualTo("hello from the model");
    assertThat(output(frames, "call_" + callIndex(frames, 1))).contains("\"name\":\"a.txt\"");
    assertThat(output(frames, "call_" + callIndex(frames, 4))).contains("path_outside_workspace");
    assertThat(output(frames, "call_" + callIndex(frames, 5))).contains("file_not_found");
    assertThat(output(frames, "call_" + callIndex(frames, 6))).contains("not valid JSON");
    assertThat(frames.get(frames.size() - 1).get("type").asText()).isEqualTo("turn.completed");

    // What the model was offered and what it read back.
    JsonNode first = model.requests().get(before);
    assertThat(toolNames(first))
        .containsExactly("sandbox_exec", "files_read", "files_write", "files_list");
    List<String> toolMessages = toolMessages(model.requests().get(model.requests().size() - 1));
    assertThat(toolMessages.get(2)).isEqualTo("hello from the model");
    assertThat(JSON.readTree(toolMessages.get(4)).get("is_error").asBoolean()).isTrue();
  }

  @Test
  void mcpToolsOfAStdioServerInTheSandboxAndOfAnHttpServerAreOfferedAndCalled() throws Exception {
    String stdio = resource("mcp/fixture_stdio_server.py");
    ObjectNode local = JSON.createObjectNode().put("name", "local").put("transport", "stdio");
    local.putArray("command").add("/usr/bin/python3").add("-c").add(stdio);
    ObjectNode remote =
        JSON.createObjectNode()
            .put("name", "remote")
            .put("transport", "http")
            .put("url", mcpHttp.url());
    createAgent("mcp-user", "[\"files.read\"]", ",\"mcp_servers\":[" + local + "," + remote + "]");
    model.script(
        Step.call("mcp_local_echo", "{\"text\":\"hi\"}"),
        Step.call("mcp_local_where", "{}"),
        Step.call("mcp_remote_add", "{\"a\":2,\"b\":3}"),
        Step.call("mcp_remote_fail", "{}"),
        Step.call("mcp_local_boom", "{}"),
        Step.call("mcp_remote_nope", "{}"),
        Step.answer("the sum is 5"));
    int before = model.requests().size();
    List<JsonNode> frames = turn("mcp-user", "use MCP");

    JsonNode offered = model.requests().get(before);
    assertThat(toolNames(offered))
        .containsExactly(
            "files_read",
            "mcp_local_echo",
            "mcp_local_where",
            "mcp_local_boom",
            "mcp_remote_add",
            "mcp_remote_fail");
    JsonNode addSchema =
        StreamSupport.stream(offered.get("tools").spliterator(), false)
            .filter(t -> t.path("function").path("name").asText().equals("mcp_remote_add"))
            .findFirst()
            .orElseThrow()
            .path("function")
            .path("parameters");
    assertThat(addSchema.path("required").toString()).isEqualTo("[\"a\",\"b\"]");

    List<JsonNode> results = ofType(frames, "tool.result");
    assertThat(results)
        .extracting(f -> f.get("is_error").asBoolean())
        .containsExactly(false, false, false, true, true, true);
    assertThat(output(frames, "call_" + callIndex(frames, 0))).isEqualTo("echo: hi");
    JsonNode where = JSON.readTree(output(frames, "call_" + callIndex(frames, 1)));
    assertThat(where.get("cwd").asText()).isEqualTo("/workspace");
    assertThat(where.get("sees_host_work").asBoolean()).as("runs inside the sandbox").isFalse();
    assertThat(output(frames, "call_" + callIndex(frames, 2))).isEqualTo("5");
    assertThat(output(frames, "call_" + callIndex(frames, 3))).isEqualTo("fail failed");
    assertThat(output(frames, "call_" + callIndex(frames, 4))).isEqualTo("boom failed on purpose");
    assertThat(output(frames, "call_" + callIndex(frames, 5))).contains("unknown tool");
    assertThat(frames.get(frames.size() - 1).get("type").asText()).isEqualTo("turn.completed");
    // one HTTP MCP session for the whole turn: initialized once, then list and calls
    assertThat(mcpHttp.methods)
        .containsSubsequence("initialize", "notifications/initialized", "tools/list", "tools/call");
    assertThat(mcpHttp.methods.stream().filter(m -> m.equals("initialize")).count()).isEqualTo(1);
  }

  @Test
  void anMcpServerThatCannotStartFailsTheTurnNamingItAndTheSessionCarriesOn() throws Exception {
    createAgent(
        "broken-mcp",
        "[\"files.list\"]",
        ",\"mcp_servers\":[{\"name\":\"ghost\",\"transport\":\"stdio\","
            + "\"command\":[\"/nonexistent/server\"]}]");
    try (FrameClient client = open("broken-mcp")) {
      for (String id : List.of("m1", "m2")) {
        client.send("{\"v\":1,\"type\":\"message\",\"id\":\"" + id + "\",\"content\":\"hello\"}");
        JsonNode error =
            client.until(f -> f.get("type").asText().equals("error"), FRAME_TIMEOUT).stream()
                .reduce((a, b) -> b)
                .orElseThrow();
        assertThat(error.get("id").asText()).isEqualTo(id);
        assertThat(error.get("code").asText()).isEqualTo("tool_unavailable");
        assertThat(error.get("message").asText()).contains("ghost").contains("/nonexistent/server");
        assertThat(error.get("fatal").asBoolean()).isFalse();
      }
    }
  }

  @Test
  void aMessageWhoseMcpServerCannotGetASandboxIsAnsweredWithAnError() throws Exception {
    // The lease fails at once (an allowlist wider than the template): so does the tool listing
    storeUncheckedAgent(
        "no-box-mcp",
        "[\"files.list\"]",
        ",\"network\":{\"egress\":[{\"host\":\"*\"}]},\"mcp_servers\":[{\"name\":\"local\","
            + "\"transport\":\"stdio\",\"command\":[\"/usr/bin/python3\",\"-c\",\"pass\"]}]",
        "web");
    try (FrameClient client = open("no-box-mcp")) {
      for (String id : List.of("m1", "m2")) {
        client.send("{\"v\":1,\"type\":\"message\",\"id\":\"" + id + "\",\"content\":\"hello\"}");
        JsonNode error =
            client.until(f -> f.get("type").asText().equals("error"), FRAME_TIMEOUT).stream()
                .reduce((a, b) -> b)
                .orElseThrow();
        assertThat(error.get("id").asText()).isEqualTo(id);
        assertThat(error.get("code").asText()).isEqualTo("tool_unavailable");
        assertThat(error.get("message").asText()).contains("egress");
        assertThat(error.get("fatal").asBoolean()).isFalse();
      }
    }
  }

  @Test
  void aRetriedToolListingStillOffersTheToolsOfTheServersThatAnsweredTheFirstTime()
      throws Exception {
    try (McpHttpFixtureServer steady = new McpHttpFixtureServer(vertx);
        McpHttpFixtureServer flaky = new McpHttpFixtureServer(vertx)) {
      flaky.listFailures.set(1);
      ObjectNode first =
          JSON.createObjectNode()
              .put("name", "steady")
              .put("transport", "http")
              .put("url", steady.url());
      ObjectNode second =
          JSON.createObjectNode()
              .put("name", "flaky")
              .put("transport", "http")
              .put("url", flaky.url());
      createAgent(
          "retrying-mcp", "[\"files.read\"]", ",\"mcp_servers\":[" + first + "," + second + "]");
      model.script(
          Step.call("mcp_steady_add", "{\"a\":2,\"b\":3}"),
          Step.call("mcp_flaky_add", "{\"a\":4,\"b\":5}"),
          Step.answer("5 and 9"));
      int before = model.requests().size();
      try (FrameClient client = open("retrying-mcp")) {
        client.send("{\"v\":1,\"type\":\"message\",\"id\":\"m1\",\"content\":\"add\"}");
        JsonNode error =
            client.until(f -> f.get("type").asText().equals("error"), FRAME_TIMEOUT).stream()
                .reduce((a, b) -> b)
                .orElseThrow();
        assertThat(error.get("code").asText()).isEqualTo("tool_unavailable");
        assertThat(error.get("message").asText()).contains("flaky");

        client.send("{\"v\":1,\"type\":\"message\",\"id\":\"m2\",\"content\":\"add\"}");
        List<JsonNode> frames =
            client.until(
                f ->
                    f.get("type").asText().equals("turn.completed")
                        || f.get("type").asText().equals("error"),
                FRAME_TIMEOUT);
        assertThat(frames.get(frames.size() - 1).get("type").asText())
            .as("%s", frames)
            .isEqualTo("turn.completed");
        assertThat(toolNames(model.requests().get(before)))
            .containsExactly(
                "files_read",
                "mcp_steady_add",
                "mcp_steady_fail",
                "mcp_flaky_add",
                "mcp_flaky_fail");
        assertThat(ofType(frames, "tool.result"))
            .extracting(f -> f.get("is_error").asBoolean())
            .containsExactly(false, false);
        assertThat(output(frames, "call_" + callIndex(frames, 0))).isEqualTo("5");
        assertThat(output(frames, "call_" + callIndex(frames, 1))).isEqualTo("9");
      }
    }
  }

  @Test
  void aCommandEndsAtTheTimeoutTheModelAsksForAndABadTimeoutIsAToolError() throws Exception {
    createAgent("timed", "[\"sandbox.exec\"]", "");
    model.script(
        Step.call("sandbox_exec", "{\"command\":\"sleep 30; echo late\",\"timeout_ms\":1000}"),
        Step.call("sandbox_exec", "{\"command\":\"echo early\",\"timeout_ms\":\"soon\"}"),
        Step.answer("done"));
    List<JsonNode> frames = turn("timed", "wait");

    List<JsonNode> results = ofType(frames, "tool.result");
    assertThat(results)
        .extracting(f -> f.get("status").asText())
        .containsExactly("timeout", "not_run");
    assertThat(results).extracting(f -> f.get("is_error").asBoolean()).containsExactly(true, true);
    assertThat(results.get(1).get("exit_code").isNull()).as("nothing ran to exit").isTrue();
    assertThat(output(frames, "call_" + callIndex(frames, 0))).doesNotContain("late");
    assertThat(output(frames, "call_" + callIndex(frames, 1))).as("not run").isEmpty();
    List<String> toolMessages = toolMessages(model.requests().get(model.requests().size() - 1));
    assertThat(toolMessages.get(toolMessages.size() - 1))
        .contains("'timeout_ms' must be an integer from 1 to 600000");
  }

  @Test
  void httpFetchLeavesTheSandboxOnlyThroughTheAgentsEgressAllowlist() throws Exception {
    String url = "http://127.0.0.2:" + web.actualPort();
    // The template also allows example.com; the agent's narrower list, applied at lease time, not.
    createAgent(
        "fetcher",
        "[\"http.fetch\"]",
        ",\"network\":{\"egress\":[{\"host\":\"127.0.0.2\",\"ports\":[" + web.actualPort() + "]}]}",
        "web");
    model.script(
        Step.call("http_fetch", "{\"url\":\"" + url + "/hello\"}"),
        Step.call(
            "http_fetch",
            "{\"url\":\""
                + url
                + "/echo\",\"method\":\"POST\",\"headers\":{\"X-Test\":\"yes\"},"
                + "\"body\":\"ping\"}"),
        Step.call("http_fetch", "{\"url\":\"http://example.com/\"}"),
        Step.call("http_fetch", "{\"url\":\"https://example.com/\"}"),
        Step.call("http_fetch", "{\"url\":\"file:///etc/passwd\"}"),
        Step.answer("fetched"));
    List<JsonNode> frames = turn("fetcher", "fetch things");

    assertThat(ofType(frames, "tool.result"))
        .extracting(f -> f.get("is_error").asBoolean())
        .containsExactly(false, false, true, true, true);
    JsonNode hello = JSON.readTree(output(frames, "call_" + callIndex(frames, 0)));
    assertThat(hello.get("status").asInt()).isEqualTo(200);
    assertThat(hello.get("body").asText()).isEqualTo("GET /hello x-test=null body=");
    JsonNode echo = JSON.readTree(output(frames, "call_" + callIndex(frames, 1)));
    assertThat(echo.get("body").asText()).isEqualTo("POST /echo x-test=yes body=ping");
    assertThat(output(frames, "call_" + callIndex(frames, 2))).contains("egress denied");
    assertThat(output(frames, "call_" + callIndex(frames, 3))).contains("egress denied");
    assertThat(output(frames, "call_" + callIndex(frames, 4))).contains("http or https");
  }

  @Test
  void anAgentWhoseAllowlistIsWiderThanItsTemplateGetsNoSandbox() throws Exception {
    storeUncheckedAgent(
        "too-wide", "[\"http.fetch\"]", ",\"network\":{\"egress\":[{\"host\":\"*\"}]}", "web");
    try (FrameClient client =
        new FrameClient(
            URI.create("ws://127.0.0.1:" + edge.actualPort() + "/v1/sessions?agent=too-wide"))) {
      // Sandboxes are leased on first need: the session opens, the first command is refused.
      assertThat(client.next(FRAME_TIMEOUT).get("type").asText()).isEqualTo("session.ready");
      client.send("{\"v\":1,\"type\":\"exec\",\"id\":\"x1\",\"command\":\"true\"}");
      JsonNode error = client.next(FRAME_TIMEOUT);
      assertThat(error.get("type").asText()).isEqualTo("error");
      assertThat(error.get("code").asText()).isEqualTo("lease_failed");
      assertThat(error.get("message").asText()).contains("egress");
      assertThat(error.get("fatal").asBoolean()).as("the session stays open").isFalse();
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static void createAgent(String name, String tools, String extra) throws Exception {
    createAgent(name, tools, extra, "shell");
  }

  private static void createAgent(String name, String tools, String extra, String template)
      throws Exception {
    await(registry.create("default", spec(name, tools, extra, template)));
  }

  /**
   * An agent as a version stored before specs were checked against their template's egress when
   * written (the registry now refuses such a spec): straight into the store.
   */
  private static void storeUncheckedAgent(String name, String tools, String extra, String template)
      throws Exception {
    AgentSpec spec = spec(name, tools, extra, template);
    AgentRef ref = new AgentRef("default", name);
    Instant now = Instant.now();
    await(
        store.create(
            new AgentVersion(ref, 1, new AgentSpecCodec().contentHash(spec), spec, now),
            new Deployment(ref, 1, Optional.empty(), OptionalInt.empty(), 1, now)));
  }

  private static AgentSpec spec(String name, String tools, String extra, String template) {
    String spec =
        "{\"name\":\""
            + name
            + "\",\"model\":{\"provider\":\"openai\",\"name\":\"fake-model\",\"base_url\":\""
            + model.baseUrl()
            + "\"},\"tools\":"
            + tools
            + extra
            + ",\"sandbox\":{\"template\":\""
            + template
            + "\"},\"limits\":{\"max_turns\":20}}";
    return new AgentSpecCodec().parseJson(spec);
  }

  private static FrameClient open(String agent) throws Exception {
    FrameClient client =
        new FrameClient(
            URI.create("ws://127.0.0.1:" + edge.actualPort() + "/v1/sessions?agent=" + agent));
    JsonNode ready = client.next(FRAME_TIMEOUT);
    assertThat(ready.get("type").asText()).as(ready.toString()).isEqualTo("session.ready");
    return client;
  }

  /** One user message, answered: every frame up to turn.completed (or an error). */
  private static List<JsonNode> turn(String agent, String content) throws Exception {
    try (FrameClient client = open(agent)) {
      client.send("{\"v\":1,\"type\":\"message\",\"id\":\"q1\",\"content\":\"" + content + "\"}");
      List<JsonNode> frames =
          client.until(
              f ->
                  f.get("type").asText().equals("turn.completed")
                      || f.get("type").asText().equals("error"),
              FRAME_TIMEOUT);
      assertThat(frames.get(frames.size() - 1).get("type").asText())
          .as("%s", frames)
          .isEqualTo("turn.completed");
      return frames;
    }
  }

  private static List<JsonNode> ofType(List<JsonNode> frames, String type) {
    return frames.stream().filter(f -> f.get("type").asText().equals(type)).toList();
  }

  /** The model's call number of the {@code n}-th tool.call frame of the turn. */
  private static String callIndex(List<JsonNode> frames, int n) {
    return ofType(frames, "tool.call").get(n).get("call_id").asText().substring("call_".length());
  }

  private static String output(List<JsonNode> frames, String callId) {
    return frames.stream()
        .filter(f -> f.get("type").asText().equals("tool.output"))
        .filter(f -> f.get("call_id").asText().equals(callId))
        .map(f -> f.get("data").asText())
        .collect(Collectors.joining());
  }

  private static List<String> toolNames(JsonNode request) {
    return StreamSupport.stream(request.path("tools").spliterator(), false)
        .map(t -> t.path("function").path("name").asText())
        .toList();
  }

  private static List<String> toolMessages(JsonNode request) {
    return StreamSupport.stream(request.path("messages").spliterator(), false)
        .filter(m -> m.path("role").asText().equals("tool"))
        .map(m -> m.path("content").asText())
        .toList();
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = AgentToolsIT.class.getClassLoader().getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
