package dev.agentfactory.sandbox.daemon;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Typed reads of JSON request bodies; every error names the field. */
final class Bodies {

  private Bodies() {}

  /** The body as a JSON object; an empty body is {@code {}}. */
  static JsonObject object(Buffer body) {
    if (body == null || body.length() == 0) {
      return new JsonObject();
    }
    String text = body.toString(java.nio.charset.StandardCharsets.UTF_8).strip();
    if (!text.startsWith("{")) {
      throw new ApiException(400, "malformed_json", "the body must be a JSON object", "body");
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new ApiException(400, "malformed_json", "the body is not valid JSON", "body");
    }
  }

  static void onlyKnown(JsonObject json, Set<String> known, String prefix) {
    for (String name : json.fieldNames()) {
      if (!known.contains(name)) {
        throw new ApiException(
            400,
            "unknown_field",
            prefix + name + " is not a known field; known: " + known,
            prefix + name);
      }
    }
  }

  static String string(JsonObject json, String field, boolean required) {
    Object v = json.getValue(field);
    if (v == null) {
      if (required) {
        throw ApiException.badField(field, "must be set");
      }
      return null;
    }
    if (!(v instanceof String s)) {
      throw ApiException.badField(field, "must be a string");
    }
    return utf8(field, s);
  }

  /**
   * {@code text}, unless it holds a lone UTF-16 surrogate: JSON can escape half a pair ({@code
   * \ud800}), UTF-8 cannot carry it, and the command, environment or file would reach the sandbox
   * with '?' in its place. Refused instead, as the edge's session protocol does.
   */
  static String utf8(String field, String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw ApiException.badField(
            field,
            "has a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair),"
                + " which no UTF-8 text can hold");
      }
    }
    return text;
  }

  /** An integer field (no fractions); null when absent. */
  static Long longValue(JsonObject json, String field) {
    Object v = json.getValue(field);
    if (v == null) {
      return null;
    }
    if (v instanceof Integer || v instanceof Long) {
      return ((Number) v).longValue();
    }
    throw ApiException.badField(field, "must be an integer");
  }

  /** An object of string values; empty when absent. */
  static Map<String, String> stringMap(JsonObject json, String field) {
    Object v = json.getValue(field);
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof JsonObject obj)) {
      throw ApiException.badField(field, "must be an object of strings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String k : obj.fieldNames()) {
      Object value = obj.getValue(k);
      if (!(value instanceof String s)) {
        throw ApiException.badField(field + "['" + k + "']", "must be a string");
      }
      out.put(k, utf8(field + "['" + k + "']", s));
    }
    return out;
  }
}
