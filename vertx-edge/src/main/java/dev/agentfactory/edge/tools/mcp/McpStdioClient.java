package dev.agentfactory.edge.tools.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentfactory.edge.agent.AgentSpec;
import dev.agentfactory.edge.tools.SandboxCommand;
import dev.agentfactory.edge.tools.ToolFailure;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.Sandbox;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * An MCP client for a stdio server that runs <em>inside the session's sandbox</em>, so the server
 * gets the sandbox's isolation, limits and egress allowlist, not the node's.
 *
 * <p>The sandbox's exec API runs a command to completion and has no stdin, so every exchange is one
 * short-lived server process: a bridge program ({@code mcp_stdio_bridge.py}, run with the sandbox's
 * {@code python3}) starts the server, sends {@code initialize}, waits for its answer, sends {@code
 * notifications/initialized} and then the request ({@code tools/list} or {@code tools/call}), waits
 * for that answer and closes the server's stdin. Consequences: a server's in-memory state does not
 * survive from one call to the next (files it writes in the workspace do), and every call pays the
 * server's start-up time.
 */
public final class McpStdioClient implements McpClient {

  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final long MAX_OUTPUT_BYTES = 4L << 20;
  static final String PYTHON = "/usr/bin/python3";
  private static final String BRIDGE = resource("mcp_stdio_bridge.py");

  private final Context context;
  private final Supplier<Future<Sandbox>> sandbox;
  private final AgentSpec.McpServer.Stdio server;

  public McpStdioClient(
      Context context, Supplier<Future<Sandbox>> sandbox, AgentSpec.McpServer.Stdio server) {
    this.context = context;
    this.sandbox = sandbox;
    this.server = server;
  }

  @Override
  public String name() {
    return server.name();
  }

  @Override
  public Future<List<McpTool>> listTools() {
    List<McpTool> all = new ArrayList<>();
    return page(null, all, 0).map(v -> List.copyOf(all));
  }

  private Future<Void> page(String cursor, List<McpTool> all, int pages) {
    if (pages == 100) {
      return Future.failedFuture(
          new McpException("MCP server " + name() + ": over 100 tool pages"));
    }
    return exchange(JsonRpc.listTools(1, cursor))
        .compose(
            response -> {
              StringBuilder next = new StringBuilder();
              all.addAll(
                  JsonRpc.tools(name(), JsonRpc.result(name(), "tools/list", response), next));
              return next.isEmpty()
                  ? Future.succeededFuture()
                  : page(next.toString(), all, pages + 1);
            });
  }

  @Override
  public Future<McpCallResult> callTool(String tool, ObjectNode arguments) {
    return exchange(JsonRpc.callTool(1, tool, arguments))
        .map(response -> JsonRpc.callResult(name(), tool, response));
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture(); // no process outlives an exchange
  }

  /** initialize, initialized, then {@code request} (id 1); the answer to {@code request}. */
  private Future<JsonNode> exchange(ObjectNode request) {
    ArrayNode messages = JsonRpc.JSON.createArrayNode();
    messages.add(JsonRpc.initialize(0));
    messages.add(JsonRpc.notification("notifications/initialized"));
    messages.add(request);
    List<String> argv = new ArrayList<>(List.of(PYTHON, "-c", BRIDGE));
    argv.addAll(server.command());
    Map<String, String> env = new HashMap<>(server.env());
    env.put("AF_MCP_MESSAGES", messages.toString());
    env.put("AF_MCP_TIMEOUT_S", Long.toString(TIMEOUT.toSeconds()));
    return sandbox
        .get()
        .compose(
            box ->
                SandboxCommand.run(
                        context, box, argv, env, TIMEOUT.plusSeconds(5), MAX_OUTPUT_BYTES)
                    .recover(
                        e ->
                            Future.failedFuture(
                                new McpException(
                                    "MCP server "
                                        + name()
                                        + " could not be run in the sandbox: "
                                        + ToolFailure.reason(e),
                                    e))))
        .compose(out -> answers(out, request.path("method").asText()));
  }

  private Future<JsonNode> answers(SandboxCommand.Output out, String method) {
    Map<Long, JsonNode> byId = new HashMap<>();
    for (String line : out.stdout().split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      try {
        JsonNode answer = JsonRpc.JSON.readTree(line);
        byId.put(answer.path("id").asLong(-1), answer);
      } catch (IOException e) {
        return Future.failedFuture(
            new McpException("MCP server " + name() + ": the bridge wrote invalid JSON"));
      }
    }
    if (!byId.containsKey(0L)) {
      return Future.failedFuture(new McpException(failure(out, "initialize")));
    }
    JsonRpc.negotiated(name(), byId.get(0L));
    if (!byId.containsKey(1L)) {
      return Future.failedFuture(new McpException(failure(out, method)));
    }
    return Future.succeededFuture(byId.get(1L));
  }

  private String failure(SandboxCommand.Output out, String method) {
    String err = out.stderr().strip();
    if (err.length() > 2000) {
      err = "…" + err.substring(err.length() - 2000);
    }
    String how =
        out.result().status() == ExecResult.Status.TIMEOUT
            ? "timed out"
            : "ended with exit code " + out.result().exitCode();
    return "MCP server "
        + name()
        + " gave no answer to "
        + method
        + " ("
        + how
        + (err.isEmpty() ? ")" : "): " + err);
  }

  private static String resource(String name) {
    try (InputStream in =
        McpStdioClient.class.getResourceAsStream("/dev/agentfactory/edge/tools/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
