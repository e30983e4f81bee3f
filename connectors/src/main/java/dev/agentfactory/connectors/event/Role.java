package dev.agentfactory.connectors.event;

/** Who authored a message, as in the OpenAI / TRL chat format. */
public enum Role {
  SYSTEM("system"),
  USER("user"),
  ASSISTANT("assistant"),
  TOOL("tool");

  private final String json;

  Role(String json) {
    this.json = json;
  }

  /** The lower-case JSON value. */
  public String json() {
    return json;
  }

  static Role fromJson(String field, String value) {
    for (Role role : values()) {
      if (role.json.equals(value)) {
        return role;
      }
    }
    throw new InvalidEventException(
        field, "must be one of system, user, assistant, tool but was " + Checks.quote(value));
  }
}
