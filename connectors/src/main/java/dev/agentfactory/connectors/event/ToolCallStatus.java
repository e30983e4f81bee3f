package dev.agentfactory.connectors.event;

/**
 * How a tool call ended. Only {@link #OK} is a success: the labelers and the live evaluation count
 * every other status, {@link #NOT_RUN} included, as a tool error.
 */
public enum ToolCallStatus {
  OK("ok"),
  ERROR("error"),
  TIMEOUT("timeout"),
  CANCELLED("cancelled"),

  /**
   * The call was answered without running: a command whose arguments were invalid or for which no
   * sandbox could be leased, or a call of any tool whose turn or session ended before its turn
   * came. It has no exit code.
   */
  NOT_RUN("not_run");

  private final String json;

  ToolCallStatus(String json) {
    this.json = json;
  }

  /** The lower-case JSON value. */
  public String json() {
    return json;
  }

  static ToolCallStatus fromJson(String field, String value) {
    for (ToolCallStatus status : values()) {
      if (status.json.equals(value)) {
        return status;
      }
    }
    throw new InvalidEventException(
        field,
        "must be one of ok, error, timeout, cancelled, not_run but was " + Checks.quote(value));
  }
}
