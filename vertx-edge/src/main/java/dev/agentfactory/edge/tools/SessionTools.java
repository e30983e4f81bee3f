package dev.agentfactory.edge.tools;

import dev.agentfactory.edge.agent.AgentSpec;
import dev.agentfactory.edge.agent.BuiltinTool;
import dev.agentfactory.edge.model.ToolCall;
import dev.agentfactory.edge.model.ToolDefinition;
import dev.agentfactory.edge.tools.mcp.McpClient;
import dev.agentfactory.edge.tools.mcp.McpHttpClient;
import dev.agentfactory.edge.tools.mcp.McpStdioClient;
import dev.agentfactory.edge.tools.mcp.McpTool;
import dev.agentfactory.sandbox.Sandbox;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tools of one agent session other than {@code sandbox.exec} (which streams its output and
 * stays with the session): the file tools, {@code http.fetch}, and the tools of the agent's MCP
 * servers, discovered with {@code tools/list} the first time the session needs its tool list and
 * offered to the model as {@code mcp_<server>_<tool>}.
 *
 * <p>Everything a model can get wrong (bad arguments, a missing file, a path outside the workspace,
 * a denied host, an MCP tool error, an MCP server that fails mid-session) is an error {@link
 * ToolResult}, a failure of the session's sandbox worded by {@link ToolFailure} as for {@code
 * sandbox_exec}; only tool discovery fails the future, because without it the model cannot be asked
 * anything. Runs on the session's context.
 *
 * <pre>{@code
 * SessionTools tools = new SessionTools(vertx, context, spec, () -> sandboxFuture);
 * tools.definitions().compose(defs -> ...);           // built-ins + MCP tools
 * tools.call(new ToolCall("c1", "files_read", "{\"path\":\"notes.txt\"}"));
 * }</pre>
 */
public final class SessionTools {

  private static final Logger LOG = LoggerFactory.getLogger(SessionTools.class);

  /** What one tool result may put into the conversation and the frames. */
  public static final int MAX_CONTENT_CHARS = 64 * 1024;

  private final Vertx vertx;
  private final Context context;
  private final AgentSpec spec;
  private final Supplier<Future<Sandbox>> sandbox;
  private final List<McpClient> clients = new ArrayList<>();
  private final Map<String, Route> mcpRoutes = new LinkedHashMap<>();
  private WebClient web;
  private Future<List<ToolDefinition>> discovered;

  /** Where a model's function name leads: a server and its own name for the tool. */
  private record Route(McpClient client, String tool) {}

  public SessionTools(
      Vertx vertx, Context context, AgentSpec spec, Supplier<Future<Sandbox>> sandbox) {
    this.vertx = vertx;
    this.context = context;
    this.spec = spec;
    this.sandbox = sandbox;
    for (AgentSpec.McpServer server : spec.mcpServers()) {
      if (server instanceof AgentSpec.McpServer.Http http) {
        clients.add(new McpHttpClient(web(), http.name(), http.url()));
      } else if (server instanceof AgentSpec.McpServer.Stdio stdio) {
        clients.add(new McpStdioClient(context, sandbox, stdio));
      }
    }
  }

  private WebClient web() {
    if (web == null) {
      web = WebClient.create(vertx);
    }
    return web;
  }

  /**
   * The functions to offer the model: the spec's built-ins, then every MCP server's tools. Listed
   * once per session; a failed discovery is retried at the next call.
   */
  public Future<List<ToolDefinition>> definitions() {
    if (clients.isEmpty()) {
      return Future.succeededFuture(spec.toolDefinitions());
    }
    if (discovered != null) {
      return discovered;
    }
    // The routes of one attempt only: a failed attempt leaves none behind, so a retry routes (and
    // offers) the tools of the servers that had answered before too.
    Map<String, Route> routes = new LinkedHashMap<>();
    Future<List<ToolDefinition>> attempt =
        discover(0, new ArrayList<>(spec.toolDefinitions()), routes)
            .andThen(
                ar -> {
                  if (ar.succeeded()) {
                    mcpRoutes.clear();
                    mcpRoutes.putAll(routes);
                  }
                });
    discovered = attempt;
    // An attempt can fail before this line (a sandbox that cannot be leased fails at once): it is
    // forgotten then, and this call still returns it, never the reset field.
    attempt.onFailure(
        e -> {
          if (discovered == attempt) {
            discovered = null;
          }
        });
    return attempt;
  }

  private Future<List<ToolDefinition>> discover(
      int index, List<ToolDefinition> found, Map<String, Route> routes) {
    if (index == clients.size()) {
      return Future.succeededFuture(List.copyOf(found));
    }
    McpClient client = clients.get(index);
    return client
        .listTools()
        .compose(
            tools -> {
              for (McpTool tool : tools) {
                String function = functionName(client.name(), tool.name());
                if (routes.containsKey(function)) {
                  LOG.warn(
                      "MCP server {}: tool {} maps to {} twice; the first one is offered",
                      client.name(),
                      tool.name(),
                      function);
                  continue;
                }
                routes.put(function, new Route(client, tool.name()));
                found.add(new ToolDefinition(function, tool.description(), tool.inputSchema()));
              }
              return discover(index + 1, found, routes);
            });
  }

  /**
   * The function name models call for MCP tool {@code tool} of {@code server}: {@code
   * mcp_<server>_<tool>}, with characters function names cannot hold replaced by {@code _} and a
   * name over 64 characters shortened with a hash suffix.
   */
  public static String functionName(String server, String tool) {
    String name = "mcp_" + server + "_" + tool.replaceAll("[^A-Za-z0-9_-]", "_");
    if (name.length() <= 64) {
      return name;
    }
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256")
              .digest((server + "/" + tool).getBytes(StandardCharsets.UTF_8));
      return name.substring(0, 55) + "_" + HexFormat.of().formatHex(hash, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether {@code function} is {@code sandbox_exec}, which the session runs itself. */
  public static boolean isExec(String function) {
    return function.equals(BuiltinTool.SANDBOX_EXEC.functionName());
  }

  /** Runs a call; never fails: every problem is an error result the model reads. */
  public Future<ToolResult> call(ToolCall call) {
    long started = System.nanoTime();
    Future<ToolResult> result;
    try {
      result = dispatch(call);
    } catch (ToolArguments.ToolArgumentException e) {
      result = Future.succeededFuture(ToolResult.error(e.getMessage(), FileTools.ms(started)));
    }
    return result
        .recover(
            e ->
                Future.succeededFuture(
                    ToolResult.error(
                        e instanceof ToolArguments.ToolArgumentException
                            ? e.getMessage()
                            : ToolFailure.forTool(call.name(), e),
                        FileTools.ms(started))))
        .map(SessionTools::capped);
  }

  private Future<ToolResult> dispatch(ToolCall call) {
    BuiltinTool builtin = BuiltinTool.byFunctionName(call.name()).orElse(null);
    if (builtin != null && spec.tools().contains(builtin)) {
      ToolArguments args = ToolArguments.parse(call.argumentsJson());
      return switch (builtin) {
        case FILES_READ -> sandbox.get().compose(box -> FileTools.read(context, box, args));
        case FILES_WRITE -> sandbox.get().compose(box -> FileTools.write(context, box, args));
        case FILES_LIST -> sandbox.get().compose(box -> FileTools.list(context, box, args));
        case HTTP_FETCH -> {
          var request = HttpFetch.request(args);
          yield sandbox.get().compose(box -> HttpFetch.fetch(context, box, request));
        }
        case SANDBOX_EXEC ->
            throw new IllegalStateException("sandbox_exec is run by the session, not here");
      };
    }
    Route route = mcpRoutes.get(call.name());
    if (route != null) {
      ToolArguments args = ToolArguments.parse(call.argumentsJson());
      long started = System.nanoTime();
      return route
          .client()
          .callTool(route.tool(), args.node())
          .map(r -> new ToolResult(r.text(), r.isError(), FileTools.ms(started)));
    }
    List<String> offered = new ArrayList<>();
    spec.tools().forEach(t -> offered.add(t.functionName()));
    offered.addAll(mcpRoutes.keySet());
    return Future.succeededFuture(
        ToolResult.error("unknown tool '" + call.name() + "'; this agent offers " + offered, 0));
  }

  private static ToolResult capped(ToolResult result) {
    String content = result.content();
    if (content.length() <= MAX_CONTENT_CHARS) {
      return result;
    }
    return new ToolResult(
        content.substring(0, MAX_CONTENT_CHARS) + "\n[truncated]",
        result.isError(),
        result.durationMs());
  }

  /** Ends the MCP sessions and closes the HTTP client. Never fails. */
  public Future<Void> close() {
    Future<Void> closed =
        Future.join(clients.stream().map(McpClient::close).toList())
            .<Void>mapEmpty()
            .otherwiseEmpty();
    return closed.andThen(
        ar -> {
          if (web != null) {
            web.close();
          }
        });
  }
}
