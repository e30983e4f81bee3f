package dev.agentfactory.edge.tools.mcp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import java.util.List;

/**
 * A client of one MCP server for one session: {@code initialize}, {@code tools/list} and {@code
 * tools/call} (JSON-RPC 2.0, MCP revisions 2025-06-18 and 2025-03-26). Failures are {@link
 * McpException}s; a tool that ran and reported an error is a result with {@code isError}.
 *
 * <pre>{@code
 * McpClient docs = new McpHttpClient(webClient, "docs", URI.create("http://localhost:9000/mcp"));
 * docs.listTools().compose(tools -> docs.callTool(tools.get(0).name(), arguments));
 * }</pre>
 */
public interface McpClient {

  /** The server's name in the agent spec. */
  String name();

  /** Every tool the server offers (all pages). */
  Future<List<McpTool>> listTools();

  Future<McpCallResult> callTool(String tool, ObjectNode arguments);

  /** Ends the server session, if the transport has one. Never fails. */
  Future<Void> close();
}
