package dev.agentfactory.connectors.event;

/** Constructor checks shared by the event records; failures name the JSON field. */
final class Checks {

  private Checks() {}

  static <T> T notNull(String field, T value) {
    if (value == null) {
      throw new InvalidEventException(field, "is required");
    }
    return value;
  }

  static String notBlank(String field, String value) {
    notNull(field, value);
    if (value.isBlank()) {
      throw new InvalidEventException(field, "must not be blank");
    }
    return value;
  }

  static void notNegative(String field, long value) {
    if (value < 0) {
      throw new InvalidEventException(field, "must be >= 0 but was " + value);
    }
  }
}
