package dev.agentfactory.connectors.event;

/**
 * How a turn ended ({@code outcome}). Every turn but a completed one was cut short: its messages
 * and tool calls are those it got to, and its last assistant message (if any) is no final answer.
 */
public enum TurnOutcome {
  /** The agent answered, or the command ran to its end (whatever its exit code). */
  COMPLETED("completed"),
  /** A limit of the agent's spec ended the turn: max_turns, max_tokens or max_wall_time. */
  LIMIT_EXCEEDED("limit_exceeded"),
  /** A model call failed. */
  MODEL_ERROR("model_error"),
  /** The agent's tools could not be listed (an MCP server did not answer). */
  TOOL_UNAVAILABLE("tool_unavailable"),
  /** The session ended while the turn ran (the client closed it, or the node shut down). */
  CANCELLED("cancelled");

  private final String json;

  TurnOutcome(String json) {
    this.json = json;
  }

  /** The lower-case JSON value. */
  public String json() {
    return json;
  }

  /** The outcome whose JSON value is {@code value}. */
  static TurnOutcome fromJson(String field, String value) {
    for (TurnOutcome outcome : values()) {
      if (outcome.json.equals(value)) {
        return outcome;
      }
    }
    throw new InvalidEventException(
        field,
        "must be one of completed, limit_exceeded, model_error, tool_unavailable, cancelled but"
            + " was "
            + Checks.quote(value));
  }
}
