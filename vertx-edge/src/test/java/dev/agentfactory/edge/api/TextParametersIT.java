package dev.agentfactory.edge.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.edge.TestHttp;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A string path or query parameter is checked against the contract as the text it came as, on every
 * route without a body: not first read as JSON, which turned {@code "x"} (quotes included) into
 * {@code x} for the check while the handler got the quotes (a job id in quotes passed its pattern
 * and failed the node with 500), and refused {@code -1} as a number. Every operation here answers
 * with the path parameters it was given, so a request that reaches one shows it.
 */
class TextParametersIT {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String JOB = "0123456789abcdef0123456789abcdef";

  private final HttpClient http = TestHttp.client();
  private Vertx vertx;
  private HttpServer server;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    Handler<RoutingContext> echo =
        ctx ->
            ctx.response()
                .putHeader("content-type", "application/json")
                .end(new JsonObject(new HashMap<>(ctx.pathParams())).encode());
    Map<String, Handler<RoutingContext>> operations = new HashMap<>();
    JsonObject paths = new JsonObject(ApiRouter.contractText()).getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject methods = paths.getJsonObject(path);
      for (String method : methods.fieldNames()) {
        if (methods.getValue(method) instanceof JsonObject op && op.containsKey("operationId")) {
          operations.put(op.getString("operationId"), echo);
        }
      }
    }
    server =
        vertx
            .createHttpServer()
            .requestHandler(ApiRouter.create(vertx, RoutingContext::next, operations))
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .join();
  }

  @AfterEach
  void stop() {
    server.close().toCompletionStage().toCompletableFuture().join();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  @Test
  void anIdInQuotesIsCheckedWithItsQuotesAndRefusedNamingTheField() throws Exception {
    Map<String, String> requests =
        Map.of(
            "/v1/jobs/%22" + JOB + "%22",
            "id",
            "/v1/keys/%22key_abc%22",
            "id",
            "/v1/datasets/%22sft%22/cuts/c1",
            "name");
    for (var request : requests.entrySet()) {
      String method = request.getKey().startsWith("/v1/datasets") ? "GET" : "DELETE";
      HttpResponse<String> refused = send(method, request.getKey());
      assertThat(refused.statusCode()).as(request.getKey() + ": " + refused.body()).isEqualTo(400);
      JsonNode error = MAPPER.readTree(refused.body()).get("error");
      assertThat(error.get("code").asText()).isEqualTo("invalid_field");
      assertThat(error.get("field").asText()).isEqualTo(request.getValue());
    }
    for (String path : new String[] {"/v1/agents/%22math%22", "/v1/sessions?agent=%22math%22"}) {
      HttpResponse<String> refused = send("GET", path);
      assertThat(refused.statusCode()).as(path + ": " + refused.body()).isEqualTo(400);
    }
  }

  @Test
  void anIdThatReadsAsANumberIsTextToo() throws Exception {
    HttpResponse<String> cut = send("GET", "/v1/datasets/sft/cuts/-1");
    assertThat(cut.statusCode()).as(cut.body()).isEqualTo(200);
    assertThat(MAPPER.readTree(cut.body()).get("id").asText()).isEqualTo("-1");

    HttpResponse<String> agent = send("GET", "/v1/agents/-1.5");
    assertThat(agent.statusCode()).as(agent.body()).isEqualTo(400);
    JsonNode error = MAPPER.readTree(agent.body()).get("error");
    assertThat(error.get("field").asText()).isEqualTo("name");
    assertThat(error.get("message").asText()).doesNotContain("number").contains("pattern");
  }

  @Test
  void anIdWithABackslashThatIsNoJsonEscapeReachesTheOperationAsItCame() throws Exception {
    HttpResponse<String> cut = send("GET", "/v1/datasets/sft/cuts/a%5Cu12");
    assertThat(cut.statusCode()).as(cut.body()).isEqualTo(200);
    assertThat(MAPPER.readTree(cut.body()).get("id").asText()).isEqualTo("a\\u12");
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
