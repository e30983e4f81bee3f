package dev.agentfactory.connectors.event;

/**
 * One tool invocation and its result.
 *
 * @param id the call id ({@code gen_ai.tool.call.id}), unique within the interaction
 * @param name the tool name ({@code gen_ai.tool.name}), e.g. {@code sandbox.exec}
 * @param arguments the arguments as JSON text, e.g. {@code {"command":"ls -la"}}
 * @param output what the tool returned (stdout/stderr for a command), null if none
 * @param exitCode the process exit code for command tools; null for other tools, which are not
 *     processes, and for a command with no exit code: one that did not run ({@link
 *     ToolCallStatus#NOT_RUN}) or whose run failed before it reported one
 * @param status how the call ended
 * @param durationMs wall time of the call
 * @param outputTruncated {@code output_truncated}: {@code output} is only the start of what the
 *     tool returned, cut so that the event fits in a Kafka record
 */
public record ToolCall(
    String id,
    String name,
    String arguments,
    String output,
    Integer exitCode,
    ToolCallStatus status,
    long durationMs,
    boolean outputTruncated) {

  public ToolCall {
    Checks.notBlank("gen_ai.tool.call.id", id);
    Checks.notBlank("gen_ai.tool.name", name);
    Checks.notNull("arguments", arguments);
    Checks.notNull("status", status);
    if (status == ToolCallStatus.NOT_RUN && exitCode != null) {
      throw new InvalidEventException(
          "exit_code", "must be null for a call that did not run (status not_run)");
    }
    Checks.notNegative("duration_ms", durationMs);
  }

  /** A call whose output is whole: the schema as it was before {@code output_truncated}. */
  public ToolCall(
      String id,
      String name,
      String arguments,
      String output,
      Integer exitCode,
      ToolCallStatus status,
      long durationMs) {
    this(id, name, arguments, output, exitCode, status, durationMs, false);
  }

  /**
   * The name models call tool {@code name} by: function-calling APIs forbid dots, so a tool that
   * specs and a sandbox command's event name {@code sandbox.exec} is offered to models as {@code
   * sandbox_exec}, and their calls carry that name. The edge offers its tools under it and the
   * datasets name every call by it, so a command a user ran and the same call by an agent read
   * alike.
   *
   * <pre>{@code
   * ToolCall.functionName("sandbox.exec"); // "sandbox_exec"
   * }</pre>
   */
  public static String functionName(String name) {
    return name.replace('.', '_');
  }

  /** Returns a copy with another output (the scrubbers rewrite output, nothing else). */
  public ToolCall withOutput(String newOutput) {
    return new ToolCall(
        id, name, arguments, newOutput, exitCode, status, durationMs, outputTruncated);
  }

  /** Returns a copy whose output is {@code start}, the start of this one's, marked as cut. */
  public ToolCall withOutputTruncatedTo(String start) {
    return new ToolCall(id, name, arguments, start, exitCode, status, durationMs, true);
  }

  /** Returns a copy with other arguments (JSON text; the scrubbers rewrite them). */
  public ToolCall withArguments(String newArguments) {
    return new ToolCall(
        id, name, newArguments, output, exitCode, status, durationMs, outputTruncated);
  }
}
