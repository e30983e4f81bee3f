package dev.agentfactory.connectors.event;

/** A person's verdict on a turn's response: thumbs up or down. */
public enum Rating {
  UP("up"),
  DOWN("down");

  private final String json;

  Rating(String json) {
    this.json = json;
  }

  /** The lower-case JSON value. */
  public String json() {
    return json;
  }

  static Rating fromJson(String field, String value) {
    for (Rating rating : values()) {
      if (rating.json.equals(value)) {
        return rating;
      }
    }
    throw new InvalidEventException(
        field, "must be one of up, down but was " + Checks.quote(value));
  }
}
