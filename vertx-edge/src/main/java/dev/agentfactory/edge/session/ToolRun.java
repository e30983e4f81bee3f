package dev.agentfactory.edge.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.edge.protocol.LoneSurrogates;
import dev.agentfactory.edge.tools.ToolFailure;
import dev.agentfactory.edge.tools.ToolResult;

/**
 * How a tool call ended, as fed back to the model. A command ({@code sandbox_exec}) has a status of
 * exited, timeout, killed or failed and goes back as JSON of its exit code and output; other tools
 * have status ok or error, no exit code (null: they are not processes), and {@code forModel} is
 * their result text. A call of either kind answered without running has status {@value #NOT_RUN}
 * and no exit code: nothing ran that could have exited with one.
 */
record ToolRun(
    String status,
    Integer exitCode,
    String stdout,
    String stderr,
    long durationMs,
    boolean isError,
    String forModel) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The status of a call answered without running (bad arguments, no sandbox, too late). */
  static final String NOT_RUN = "not_run";

  static final int MAX_TOOL_OUTPUT_CHARS = 16 * 1024;

  /** A command's run: an error when it did not exit on its own. */
  ToolRun(String status, int exitCode, String stdout, String stderr, long durationMs) {
    this(status, exitCode, stdout, stderr, durationMs, !"exited".equals(status), null);
  }

  static ToolRun of(ToolResult result) {
    return new ToolRun(
        result.status(),
        null,
        result.isError() ? "" : result.content(),
        result.isError() ? result.content() : "",
        result.durationMs(),
        result.isError(),
        result.isError() ? errorJson(result.content()) : result.content());
  }

  /** A command answered without running, because of {@code why}: no exit code, an error. */
  static ToolRun commandNotRun(String why) {
    return new ToolRun(NOT_RUN, null, "", why, 0, true, null);
  }

  /** A command for which no sandbox could be leased: not run, the lease's failure as any tool's. */
  static ToolRun commandNotLeased(Throwable failure) {
    return commandNotRun("no sandbox could be leased: " + ToolFailure.reason(failure));
  }

  /**
   * A command whose run failed before the sandbox reported an exit code (e.g. the sandbox was lost
   * under it): status failed, no exit code rather than a made-up one, and the failure as any other
   * tool's reads ({@code sandbox_lost: …}).
   */
  static ToolRun commandFailed(Throwable failure) {
    return new ToolRun("failed", null, "", ToolFailure.reason(failure), 0, true, null);
  }

  /**
   * A command killed because its turn was cancelled (a {@code cancel} frame), with what it printed
   * until then; no exit code, as its end is not waited for.
   */
  static ToolRun commandCancelled(String stdout, String stderr, long durationMs) {
    return new ToolRun("cancelled", null, stdout, stderr, durationMs, true, null);
  }

  /** Whether the call ran at all (a call that did not is {@link #NOT_RUN}). */
  boolean ran() {
    return !NOT_RUN.equals(status);
  }

  /** A tool's error as the model reads it. */
  static String errorJson(String message) {
    return JSON.createObjectNode().put("is_error", true).put("error", message).toString();
  }

  /** The tool result as the model reads it (and as the scripted policy expects it). */
  String resultJson() {
    return JSON.createObjectNode()
        .put("status", status)
        .put("exit_code", exitCode)
        .put("stdout", cap(stdout))
        .put("stderr", cap(stderr))
        .toString();
  }

  private static String cap(String text) {
    return text.length() <= MAX_TOOL_OUTPUT_CHARS
        ? text
        : text.substring(0, LoneSurrogates.cutPoint(text, MAX_TOOL_OUTPUT_CHARS)) + "\n[truncated]";
  }
}
