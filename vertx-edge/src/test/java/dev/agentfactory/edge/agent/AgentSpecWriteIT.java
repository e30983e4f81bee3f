package dev.agentfactory.edge.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.edge.TestHttp;
import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.api.ApiRouter;
import dev.agentfactory.edge.auth.Auth;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agent specs written through the HTTP API, on a real server with the contract router (which reads
 * the body before the handler does) and the registry over the embedded H2 store: what is refused
 * when a spec is written, and what is accepted that a JSON reader might not.
 */
class AgentSpecWriteIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A spec the python template (no network) can serve; tests change one thing in it. */
  private static final String SPEC =
      "{\"name\":\"calc\",\"model\":{\"provider\":\"scripted\",\"name\":\"scripted/math-v1\"},"
          + "\"system_prompt\":\"add\",\"tools\":[\"sandbox.exec\"],"
          + "\"sandbox\":{\"template\":\"python\"}}";

  @TempDir Path dir;
  private Vertx vertx;
  private JdbcAgentStore store;
  private HttpServer server;
  private final HttpClient http = TestHttp.client();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    store =
        AgentRegistryIT.await(JdbcAgentStore.open(vertx, JdbcAgentStore.embeddedUrl(dir), "", ""));
    AgentsHandler agents = new AgentsHandler(new AgentRegistry(store));
    Map<String, Handler<RoutingContext>> operations = new HashMap<>();
    // every operation of the contract needs a handler; only the agents' are called here
    JsonNode paths = JSON.readTree(ApiRouter.contractText()).get("paths");
    paths.forEach(
        path ->
            path.forEach(
                operation -> {
                  if (operation.has("operationId")) {
                    operations.put(
                        operation.get("operationId").asText(),
                        ctx -> ApiErrors.send(ctx, 501, "not_here", "not served here", null));
                  }
                }));
    operations.put("createAgent", agents::create);
    operations.put("getAgent", agents::get);
    operations.put("addAgentVersion", agents::addVersion);
    operations.put("listAgentVersions", agents::versions);
    Handler<RoutingContext> tenant =
        ctx -> {
          ctx.put(Auth.TENANT, Auth.DEFAULT_TENANT);
          ctx.next();
        };
    server =
        AgentRegistryIT.await(
            vertx
                .createHttpServer()
                .requestHandler(ApiRouter.create(vertx, tenant, operations))
                .listen(0, "127.0.0.1"));
  }

  @AfterEach
  void stop() throws Exception {
    AgentRegistryIT.await(server.close());
    AgentRegistryIT.await(store.close());
    AgentRegistryIT.await(vertx.close());
  }

  @Test
  void aSpecAfterAUtf8ByteOrderMarkIsCreated() throws Exception {
    byte[] spec = SPEC.getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[spec.length + 3];
    body[0] = (byte) 0xEF;
    body[1] = (byte) 0xBB;
    body[2] = (byte) 0xBF;
    System.arraycopy(spec, 0, body, 3, spec.length);

    HttpResponse<String> created = post("/v1/agents", body);

    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(get("/v1/agents/calc/versions").body()).contains("\"system_prompt\":\"add\"");
  }

  @Test
  void aSpecGivingAFieldTwiceIsRefusedNamingItAndNothingIsWritten() throws Exception {
    String twice =
        SPEC.replace(
            "\"system_prompt\":\"add\"", "\"system_prompt\":\"add\",\"system_prompt\":\"rm -rf\"");
    assertThat(twice).isNotEqualTo(SPEC);

    assertRefused(
        post("/v1/agents", twice), "system_prompt", "system_prompt: is given more than once");
    assertThat(get("/v1/agents/calc").statusCode()).isEqualTo(404);
  }

  @Test
  void aSpecWithAnUnpairedSurrogateIsRefusedNamingIt() throws Exception {
    String lone = SPEC.replace("\"add\"", "\"add \\ud800\"");
    assertThat(lone).isNotEqualTo(SPEC);

    assertRefused(
        post("/v1/agents", lone),
        "system_prompt",
        "system_prompt: has an unpaired UTF-16 surrogate \\ud800 at character 4");
    assertThat(get("/v1/agents/calc").statusCode()).isEqualTo(404);
  }

  @Test
  void egressTheTemplateDoesNotAllowIsRefusedWhenCreatedOrVersioned() throws Exception {
    String fenced =
        SPEC.replace(
            ",\"sandbox\"",
            ",\"network\":{\"egress\":[{\"host\":\"pypi.org\",\"ports\":[443]}]},\"sandbox\"");
    assertThat(fenced).isNotEqualTo(SPEC);
    String message =
        "network.egress[0]: (pypi.org ports=[443]) is not covered by template 'python', whose"
            + " egress allowlist is empty (no network): an agent may only narrow it";

    assertRefused(post("/v1/agents", fenced), "network.egress[0]", message);
    assertThat(get("/v1/agents/calc").statusCode()).isEqualTo(404);

    assertThat(post("/v1/agents", SPEC).statusCode()).isEqualTo(201);
    assertRefused(post("/v1/agents/calc/versions", fenced), "network.egress[0]", message);
    assertThat(JSON.readTree(get("/v1/agents/calc/versions").body()).get("versions")).hasSize(1);
  }

  @Test
  void anMcpUrlWithCredentialsOrAFragmentIsRefusedWithoutEchoingIt() throws Exception {
    String message =
        "mcp_servers[1].url: must be an http(s) URL without credentials (user:pass@, which are"
            + " never sent) or fragment";
    for (String url :
        new String[] {"http://bob:s3cret@127.0.0.1:9/mcp", "http://h.example/mcp#x"}) {
      String spec = withMcp(url);
      HttpResponse<String> refused = post("/v1/agents", spec);
      assertRefused(refused, "mcp_servers[1].url", message);
      assertThat(refused.body()).doesNotContain("s3cret");
      assertThat(get("/v1/agents/calc").statusCode()).isEqualTo(404);
    }

    assertThat(post("/v1/agents", withMcp("http://h.example/mcp?q=1")).statusCode()).isEqualTo(201);
    assertRefused(
        post("/v1/agents/calc/versions", withMcp("http://bob:s3cret@h.example/mcp")),
        "mcp_servers[1].url",
        message);
    assertThat(JSON.readTree(get("/v1/agents/calc/versions").body()).get("versions")).hasSize(1);
  }

  /**
   * A port outside 1 to 65535 parses as a URI but cannot be called: such a spec was stored, and
   * every turn of its agent failed with {@code agent_error}, a code the protocol does not have.
   */
  @Test
  void aUrlWithAPortNoServerCanHaveIsRefusedWhenCreatedOrVersioned() throws Exception {
    String openAi = "{\"provider\":\"openai\",\"name\":\"m\",\"base_url\":\"%s\"}";
    assertRefused(
        post("/v1/agents", withModel(String.format(openAi, "http://127.0.0.1:99999/v1"))),
        "model.base_url",
        "model.base_url: has port 99999: a port is a number from 1 to 65535");
    assertRefused(
        post("/v1/agents", withMcp("http://h.example:0/mcp")),
        "mcp_servers[1].url",
        "mcp_servers[1].url: has port 0: a port is a number from 1 to 65535");
    assertThat(get("/v1/agents/calc").statusCode()).isEqualTo(404);

    assertThat(post("/v1/agents", withMcp("http://h.example:65535/mcp")).statusCode())
        .isEqualTo(201);
    assertRefused(
        post("/v1/agents/calc/versions", withMcp("http://h.example:65536/mcp")),
        "mcp_servers[1].url",
        "mcp_servers[1].url: has port 65536: a port is a number from 1 to 65535");
    assertThat(JSON.readTree(get("/v1/agents/calc/versions").body()).get("versions")).hasSize(1);
  }

  /** The spec with {@code model} as its model. */
  private static String withModel(String model) {
    String scripted = "{\"provider\":\"scripted\",\"name\":\"scripted/math-v1\"}";
    assertThat(SPEC).contains(scripted);
    return SPEC.replace(scripted, model);
  }

  /** The spec with a stdio MCP server and then an HTTP one at {@code url}. */
  private static String withMcp(String url) {
    String spec =
        SPEC.replace(
            ",\"sandbox\"",
            ",\"mcp_servers\":[{\"name\":\"local\",\"command\":[\"true\"]},"
                + "{\"name\":\"docs\",\"url\":\""
                + url
                + "\"}],\"sandbox\"");
    assertThat(spec).isNotEqualTo(SPEC);
    return spec;
  }

  private static void assertRefused(HttpResponse<String> response, String field, String message)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    JsonNode error = JSON.readTree(response.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("invalid_spec");
    assertThat(error.get("field").asText()).isEqualTo(field);
    assertThat(error.get("message").asText()).isEqualTo(message);
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return post(path, body.getBytes(StandardCharsets.UTF_8));
  }

  private HttpResponse<String> post(String path, byte[] body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.actualPort() + path);
  }
}
