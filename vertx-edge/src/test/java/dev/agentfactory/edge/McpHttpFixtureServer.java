package dev.agentfactory.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small, real MCP server on the streamable-HTTP transport (revision 2025-06-18), for tests: it
 * assigns an {@code Mcp-Session-Id} at initialize and insists on it afterwards, answers
 * notifications with 202, {@code tools/list} with JSON and {@code tools/call} as an event stream (a
 * log notification first, then the response). Tools: {@code add} {a, b}; {@code fail}. While {@link
 * #listFailures} is above 0, a {@code tools/list} is answered 500 and counts it down. {@link
 * #holdLists} holds {@code tools/list} answers back, {@link #deletesHang} the answer to a session's
 * {@code DELETE} (whose client would otherwise close its connections, a held listing's too).
 */
final class McpHttpFixtureServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final Set<String> sessions = ConcurrentHashMap.newKeySet();
  private final Set<String> initialized = ConcurrentHashMap.newKeySet();
  final List<String> methods = new CopyOnWriteArrayList<>();
  final List<String> deleted = new CopyOnWriteArrayList<>();
  final AtomicInteger listFailures = new AtomicInteger();
  private volatile CompletableFuture<Void> holdLists; // non-null: tools/list waits for it
  private volatile boolean deletesHang;

  McpHttpFixtureServer(Vertx vertx) throws Exception {
    server =
        vertx
            .createHttpServer()
            .requestHandler(this::handle)
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(20, TimeUnit.SECONDS);
  }

  /** {@code tools/list} is answered from now on only once {@code hold} completes; null: at once. */
  void holdLists(CompletableFuture<Void> hold) {
    this.holdLists = hold;
  }

  /** Whether a {@code DELETE} from now on is never answered. */
  void deletesHang(boolean hang) {
    this.deletesHang = hang;
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/mcp";
  }

  private void handle(HttpServerRequest req) {
    String session = req.getHeader("Mcp-Session-Id");
    if (req.method().name().equals("DELETE")) {
      if (deletesHang) {
        return;
      }
      deleted.add(String.valueOf(session));
      sessions.remove(session);
      req.response().setStatusCode(200).end();
      return;
    }
    if (!req.method().name().equals("POST") || !req.path().equals("/mcp")) {
      req.response().setStatusCode(405).end();
      return;
    }
    String accept = String.valueOf(req.getHeader("Accept"));
    if (!accept.contains("application/json") || !accept.contains("text/event-stream")) {
      req.response().setStatusCode(406).end();
      return;
    }
    req.body()
        .onSuccess(
            body -> {
              JsonNode msg;
              try {
                msg = JSON.readTree(body.toString());
              } catch (Exception e) {
                req.response().setStatusCode(400).end();
                return;
              }
              String method = msg.path("method").asText();
              methods.add(method);
              if (method.equals("initialize")) {
                String id = UUID.randomUUID().toString();
                sessions.add(id);
                ObjectNode result = JSON.createObjectNode().put("protocolVersion", "2025-06-18");
                result.putObject("capabilities").putObject("tools");
                result.putObject("serverInfo").put("name", "fixture-http").put("version", "1");
                json(req, id, response(msg, result));
                return;
              }
              if (session == null || !sessions.contains(session)) {
                req.response().setStatusCode(session == null ? 400 : 404).end();
                return;
              }
              if (!"2025-06-18".equals(req.getHeader("MCP-Protocol-Version"))) {
                req.response().setStatusCode(400).end("bad MCP-Protocol-Version");
                return;
              }
              if (method.equals("notifications/initialized")) {
                initialized.add(session);
                req.response().setStatusCode(202).end();
                return;
              }
              if (!initialized.contains(session)) {
                req.response().setStatusCode(400).end("not initialized");
                return;
              }
              if (method.equals("tools/list")
                  && listFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                req.response().setStatusCode(500).end("listing failed on purpose");
                return;
              }
              CompletableFuture<Void> hold = holdLists;
              if (method.equals("tools/list") && hold != null) {
                Context context = Vertx.currentContext();
                hold.thenRun(
                    () -> context.runOnContext(v -> json(req, null, response(msg, tools()))));
                return;
              }
              switch (method) {
                case "tools/list" -> json(req, null, response(msg, tools()));
                case "tools/call" -> stream(req, msg, call(msg.path("params")));
                default -> req.response().setStatusCode(400).end();
              }
            });
  }

  private static ObjectNode tools() {
    ObjectNode result = JSON.createObjectNode();
    var list = result.putArray("tools");
    ObjectNode add = list.addObject().put("name", "add").put("description", "Add two numbers");
    ObjectNode schema = add.putObject("inputSchema").put("type", "object");
    schema.putObject("properties").putObject("a").put("type", "number");
    schema.with("properties").putObject("b").put("type", "number");
    schema.putArray("required").add("a").add("b");
    list.addObject()
        .put("name", "fail")
        .put("description", "Always fails")
        .putObject("inputSchema")
        .put("type", "object");
    return result;
  }

  private static ObjectNode call(JsonNode params) {
    ObjectNode result = JSON.createObjectNode();
    String name = params.path("name").asText();
    JsonNode args = params.path("arguments");
    if (name.equals("add")) {
      double sum = args.path("a").asDouble() + args.path("b").asDouble();
      result.putArray("content").addObject().put("type", "text").put("text", fmt(sum));
      result.putObject("structuredContent").put("sum", sum);
    } else {
      result.putArray("content").addObject().put("type", "text").put("text", "fail failed");
      result.put("isError", true);
    }
    return result;
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  private static ObjectNode response(JsonNode request, ObjectNode result) {
    ObjectNode response = JSON.createObjectNode().put("jsonrpc", "2.0");
    response.set("id", request.get("id"));
    response.set("result", result);
    return response;
  }

  private static void json(HttpServerRequest req, String session, ObjectNode body) {
    var response = req.response().putHeader("Content-Type", "application/json");
    if (session != null) {
      response.putHeader("Mcp-Session-Id", session);
    }
    response.end(body.toString());
  }

  private static void stream(HttpServerRequest req, JsonNode msg, ObjectNode result) {
    ObjectNode log = JSON.createObjectNode().put("jsonrpc", "2.0");
    log.put("method", "notifications/message").putObject("params").put("level", "info");
    req.response()
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream")
        .end(
            "event: message\ndata: "
                + log
                + "\n\nevent: message\nid: 1\ndata: "
                + response(msg, result)
                + "\n\n");
  }

  @Override
  public void close() {
    server.close();
  }
}
