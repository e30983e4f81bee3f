package dev.agentfactory.connectors.event;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Typed readers of one field of a JSON object for {@link InteractionCodec}: each failure is an
 * {@link InvalidEventException} naming the field's full path ({@code path + field}, e.g. {@code
 * tool_calls[0].} + {@code status}). A field that is absent or JSON {@code null} is not given.
 */
final class JsonFields {

  private JsonFields() {}

  /** The field's value; null if it is not given. */
  static JsonNode optional(JsonNode parent, String field) {
    JsonNode node = parent.get(field);
    return node == null || node.isNull() ? null : node;
  }

  /** The field's value, which must be given. */
  static JsonNode required(JsonNode parent, String field, String path) {
    JsonNode node = optional(parent, field);
    if (node == null) {
      throw new InvalidEventException(path + field, "is required");
    }
    return node;
  }

  static JsonNode object(JsonNode node, String path) {
    if (node == null || !node.isObject()) {
      throw new InvalidEventException(path, "must be a JSON object");
    }
    return node;
  }

  static JsonNode array(JsonNode node, String path) {
    if (!node.isArray()) {
      throw new InvalidEventException(path, "must be an array");
    }
    return node;
  }

  static String requiredString(JsonNode parent, String field, String path) {
    JsonNode node = required(parent, field, path);
    if (!node.isTextual()) {
      throw new InvalidEventException(path + field, "must be a string");
    }
    return node.textValue();
  }

  static String requiredText(JsonNode parent, String field, String path) {
    String value = requiredString(parent, field, path);
    if (value.isBlank()) {
      throw new InvalidEventException(path + field, "must not be blank");
    }
    return value;
  }

  static String optionalText(JsonNode parent, String field, String path) {
    JsonNode node = optional(parent, field);
    if (node == null) {
      return null;
    }
    if (!node.isTextual()) {
      throw new InvalidEventException(path + field, "must be a string");
    }
    return node.textValue();
  }

  /** An optional boolean: not given reads as false. */
  static boolean optionalBoolean(JsonNode parent, String field, String path) {
    JsonNode node = optional(parent, field);
    if (node == null) {
      return false;
    }
    if (!node.isBoolean()) {
      throw new InvalidEventException(path + field, "must be a boolean");
    }
    return node.booleanValue();
  }

  static int requiredInt(JsonNode parent, String field, String path) {
    JsonNode node = required(parent, field, path);
    integral(node, path + field, node.canConvertToInt(), 32);
    return node.intValue();
  }

  static long requiredLong(JsonNode parent, String field, String path) {
    JsonNode node = required(parent, field, path);
    integral(node, path + field, node.canConvertToLong(), 64);
    return node.longValue();
  }

  /**
   * Rejects a number with a fraction ({@code 1.5}, also {@code 1.0}: producers write integers as
   * integers) or one beyond the Java type, instead of truncating it silently.
   */
  static void integral(JsonNode node, String field, boolean fits, int bits) {
    if (!node.isIntegralNumber()) {
      throw new InvalidEventException(field, "must be an integer");
    }
    if (!fits) {
      throw new InvalidEventException(
          field, "out of range for a " + bits + "-bit integer: " + Checks.quote(node.asText()));
    }
  }
}
