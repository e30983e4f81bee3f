package dev.agentfactory.edge.tools.mcp;

/**
 * An MCP server could not be used: it did not start or answer, answered something that is not MCP,
 * spoke a protocol version this client does not, or returned a JSON-RPC error. The message names
 * the server.
 */
public final class McpException extends RuntimeException {

  public McpException(String message) {
    super(message);
  }

  public McpException(String message, Throwable cause) {
    super(message, cause);
  }
}
