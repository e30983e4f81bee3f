package dev.agentfactory.connectors.event;

/** How a tool call ended. */
public enum ToolCallStatus {
  OK("ok"),
  ERROR("error"),
  TIMEOUT("timeout"),
  CANCELLED("cancelled");

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
        field, "must be one of ok, error, timeout, cancelled but was " + Checks.quote(value));
  }
}
