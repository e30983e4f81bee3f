package dev.agentfactory.edge.tools.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An MCP client over the streamable-HTTP transport: every message is a {@code POST} of one JSON-RPC
 * object to the server's URL, answered with {@code application/json} or with a {@code
 * text/event-stream} carrying the response (server requests and notifications on that stream are
 * skipped). The {@code Mcp-Session-Id} the server assigns at {@code initialize} goes on every later
 * request; when the server forgets it (404) the client initializes again, once. Called from the
 * edge node, not from the sandbox.
 */
public final class McpHttpClient implements McpClient {

  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final String SESSION_HEADER = "Mcp-Session-Id";

  private final WebClient client;
  private final String name;
  private final URI url;
  // the URL as errors show it: never its credentials (a version stored before they were refused)
  private final String shown;
  private long nextId = 1;
  private String sessionId;
  private String protocolVersion;
  private Future<Void> initialized;

  public McpHttpClient(WebClient client, String name, URI url) {
    this.client = client;
    this.name = name;
    this.url = url;
    this.shown =
        url.getRawUserInfo() == null
            ? url.toString()
            : url.toString().replace(url.getRawUserInfo() + "@", "");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Future<List<McpTool>> listTools() {
    List<McpTool> all = new ArrayList<>();
    return page(null, all, 0).map(v -> List.copyOf(all));
  }

  private Future<Void> page(String cursor, List<McpTool> all, int pages) {
    if (pages == 100) {
      return Future.failedFuture(new McpException("MCP server " + name + ": over 100 tool pages"));
    }
    return call(id -> JsonRpc.listTools(id, cursor))
        .compose(
            response -> {
              StringBuilder next = new StringBuilder();
              all.addAll(JsonRpc.tools(name, JsonRpc.result(name, "tools/list", response), next));
              return next.isEmpty()
                  ? Future.succeededFuture()
                  : page(next.toString(), all, pages + 1);
            });
  }

  @Override
  public Future<McpCallResult> callTool(String tool, ObjectNode arguments) {
    return call(id -> JsonRpc.callTool(id, tool, arguments))
        .map(response -> JsonRpc.callResult(name, tool, response));
  }

  @Override
  public Future<Void> close() {
    if (sessionId == null) {
      return Future.succeededFuture();
    }
    String id = sessionId;
    sessionId = null;
    return client
        .deleteAbs(url.toString())
        .putHeader(SESSION_HEADER, id)
        .timeout(TIMEOUT.toMillis())
        .send()
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  private interface Message {
    ObjectNode withId(long id);
  }

  /** A request after {@code initialize}; a forgotten session is initialized again, once. */
  private Future<JsonNode> call(Message message) {
    return initialize()
        .compose(v -> post(message.withId(nextId++)))
        .recover(
            e -> {
              if (e instanceof SessionExpired) {
                sessionId = null;
                initialized = null;
                return initialize().compose(v -> post(message.withId(nextId++)));
              }
              return Future.failedFuture(e);
            });
  }

  private Future<Void> initialize() {
    if (initialized == null) {
      initialized =
          post(JsonRpc.initialize(nextId++))
              .compose(
                  response -> {
                    protocolVersion = JsonRpc.negotiated(name, response);
                    return post(JsonRpc.notification("notifications/initialized"));
                  })
              .<Void>mapEmpty()
              .onFailure(e -> initialized = null);
    }
    return initialized;
  }

  /** Posts one message; the response to a request, or null for a notification (202). */
  private Future<JsonNode> post(ObjectNode message) {
    var request =
        client
            .postAbs(url.toString())
            .putHeader("Content-Type", "application/json")
            .putHeader("Accept", "application/json, text/event-stream")
            .timeout(TIMEOUT.toMillis());
    if (sessionId != null) {
      request.putHeader(SESSION_HEADER, sessionId);
    }
    if (protocolVersion != null) {
      request.putHeader("MCP-Protocol-Version", protocolVersion);
    }
    String method = message.path("method").asText();
    return request
        .sendBuffer(Buffer.buffer(message.toString()))
        .recover(
            e ->
                Future.failedFuture(
                    new McpException(
                        "MCP server " + name + " (" + shown + ") unreachable: " + e.getMessage(),
                        e)))
        .compose(response -> answer(message, method, response));
  }

  private Future<JsonNode> answer(
      ObjectNode message, String method, HttpResponse<Buffer> response) {
    int status = response.statusCode();
    if (status == 404 && sessionId != null && !method.equals("initialize")) {
      return Future.failedFuture(new SessionExpired());
    }
    if (status / 100 != 2) {
      String body = response.bodyAsString();
      body = body == null ? "" : body.substring(0, Math.min(body.length(), 500));
      return Future.failedFuture(
          new McpException(
              "MCP server " + name + " answered " + method + " with HTTP " + status + " " + body));
    }
    String assigned = response.getHeader(SESSION_HEADER);
    if (method.equals("initialize") && assigned != null && !assigned.isEmpty()) {
      sessionId = assigned;
    }
    if (!message.has("id")) {
      return Future.succeededFuture(null);
    }
    long id = message.get("id").asLong();
    String type = String.valueOf(response.getHeader("Content-Type")).toLowerCase(Locale.ROOT);
    String body = response.bodyAsString();
    try {
      if (type.startsWith("text/event-stream")) {
        return Future.succeededFuture(fromEventStream(body == null ? "" : body, id, method));
      }
      JsonNode json = JsonRpc.JSON.readTree(body == null ? "" : body);
      return Future.succeededFuture(json);
    } catch (IOException e) {
      return Future.failedFuture(
          new McpException("MCP server " + name + " sent invalid JSON for " + method, e));
    }
  }

  /** The response with {@code id} among the events of an SSE body. */
  private JsonNode fromEventStream(String body, long id, String method) throws IOException {
    StringBuilder data = new StringBuilder();
    for (String line : (body + "\n\n").split("\r\n|\r|\n", -1)) {
      if (line.isEmpty()) {
        if (!data.isEmpty()) {
          JsonNode event = JsonRpc.JSON.readTree(data.toString());
          data.setLength(0);
          if (event != null
              && event.has("id")
              && event.get("id").asLong() == id
              && !event.has("method")) {
            return event;
          }
        }
      } else if (line.startsWith("data:")) {
        if (!data.isEmpty()) {
          data.append('\n');
        }
        data.append(line.substring(line.startsWith("data: ") ? 6 : 5));
      }
    }
    throw new McpException("MCP server " + name + " closed the stream without answering " + method);
  }

  private static final class SessionExpired extends RuntimeException {
    SessionExpired() {
      super("MCP session expired", null, false, false);
    }
  }
}
