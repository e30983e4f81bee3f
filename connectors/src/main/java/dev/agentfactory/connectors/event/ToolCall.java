package dev.agentfactory.connectors.event;

/**
 * One tool invocation and its result.
 *
 * @param id the call id ({@code gen_ai.tool.call.id}), unique within the interaction
 * @param name the tool name ({@code gen_ai.tool.name}), e.g. {@code sandbox.exec}
 * @param arguments the arguments as JSON text, e.g. {@code {"command":"ls -la"}}
 * @param output what the tool returned (stdout/stderr for a command), null if none
 * @param exitCode the process exit code for command tools, null otherwise
 * @param status how the call ended
 * @param durationMs wall time of the call
 */
public record ToolCall(
    String id,
    String name,
    String arguments,
    String output,
    Integer exitCode,
    ToolCallStatus status,
    long durationMs) {

  public ToolCall {
    Checks.notBlank("gen_ai.tool.call.id", id);
    Checks.notBlank("gen_ai.tool.name", name);
    Checks.notNull("arguments", arguments);
    Checks.notNull("status", status);
    Checks.notNegative("duration_ms", durationMs);
  }

  /** Returns a copy with another output (the scrubbers rewrite output, nothing else). */
  public ToolCall withOutput(String newOutput) {
    return new ToolCall(id, name, arguments, newOutput, exitCode, status, durationMs);
  }
}
