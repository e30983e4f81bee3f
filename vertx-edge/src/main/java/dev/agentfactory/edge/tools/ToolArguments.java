package dev.agentfactory.edge.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Optional;

/**
 * The arguments of a tool call, parsed from the model's JSON text. Models emit invalid JSON (a call
 * cut off at {@code finish_reason=length}, two objects run together) and wrong types; every problem
 * is a {@link ToolArgumentException} naming the argument, which becomes an error result the model
 * can correct: a tool never runs on arguments that are not exactly one JSON object.
 *
 * <pre>{@code
 * ToolArguments args = ToolArguments.parse("{\"command\":\"ls\",\"timeout_ms\":5000}");
 * String command = args.requiredText("command");
 * Optional<Integer> timeoutMs = args.optionalInt("timeout_ms", 1, 600_000);
 * }</pre>
 */
public final class ToolArguments {

  static final ObjectMapper JSON = new ObjectMapper();

  /** Strict: text after the object ({@code {"a":1}{"b":2}}) is an error, not ignored. */
  private static final ObjectReader ARGUMENTS =
      JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final ObjectNode node;

  private ToolArguments(ObjectNode node) {
    this.node = node;
  }

  /** Parses a call's arguments; blank text reads as no arguments. */
  public static ToolArguments parse(String json) {
    JsonNode node;
    try {
      node = ARGUMENTS.readTree(json == null || json.isBlank() ? "{}" : json);
    } catch (JsonProcessingException e) {
      throw new ToolArgumentException("arguments are not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ToolArgumentException("arguments are not valid JSON: " + e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw new ToolArgumentException("arguments must be a JSON object");
    }
    return new ToolArguments((ObjectNode) node);
  }

  ObjectNode node() {
    return node;
  }

  public String requiredText(String name) {
    return optionalText(name)
        .orElseThrow(() -> new ToolArgumentException("argument '" + name + "' is required"));
  }

  public Optional<String> optionalText(String name) {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw new ToolArgumentException("argument '" + name + "' must be a string");
    }
    return Optional.of(value.textValue());
  }

  /** An integer argument from {@code min} to {@code max}; absent or null is empty. */
  public Optional<Integer> optionalInt(String name, int min, int max) {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.canConvertToExactIntegral()
        || !value.canConvertToInt()
        || value.intValue() < min
        || value.intValue() > max) {
      throw new ToolArgumentException(
          "argument '" + name + "' must be an integer from " + min + " to " + max);
    }
    return Optional.of(value.intValue());
  }

  Optional<ObjectNode> optionalObject(String name) {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isObject()) {
      throw new ToolArgumentException("argument '" + name + "' must be an object");
    }
    return Optional.of((ObjectNode) value);
  }

  /** A model's mistake in a tool call; the message goes back to the model. */
  public static final class ToolArgumentException extends RuntimeException {
    ToolArgumentException(String message) {
      super(message);
    }
  }
}
