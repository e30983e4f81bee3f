package dev.agentfactory.edge.tools;

/**
 * How a tool call other than {@code sandbox.exec} ended. A failure the model should see (a missing
 * file, a path outside the workspace, a denied host, an MCP tool error) is a result with {@code
 * isError}, never a failed future: the agent reads it and carries on.
 *
 * @param content what goes back to the model (and into the {@code tool.output} frame)
 * @param isError whether the tool reported an error
 * @param durationMs wall time of the call
 */
public record ToolResult(String content, boolean isError, long durationMs) {

  public ToolResult {
    content = content == null ? "" : content;
  }

  public static ToolResult ok(String content, long durationMs) {
    return new ToolResult(content, false, durationMs);
  }

  public static ToolResult error(String message, long durationMs) {
    return new ToolResult(message, true, durationMs);
  }

  /** The status word of the {@code tool.result} frame: {@code ok} or {@code error}. */
  public String status() {
    return isError ? "error" : "ok";
  }
}
