package dev.agentfactory.edge.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Optional;

/**
 * The arguments of a tool call, parsed from the model's JSON text. Models emit invalid JSON and
 * wrong types; every problem is a {@link ToolArgumentException} naming the argument, which becomes
 * an error result the model can correct.
 */
final class ToolArguments {

  static final ObjectMapper JSON = new ObjectMapper();

  private final ObjectNode node;

  private ToolArguments(ObjectNode node) {
    this.node = node;
  }

  static ToolArguments parse(String json) {
    JsonNode node;
    try {
      node = JSON.readTree(json == null || json.isBlank() ? "{}" : json);
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

  String requiredText(String name) {
    return optionalText(name)
        .orElseThrow(() -> new ToolArgumentException("argument '" + name + "' is required"));
  }

  Optional<String> optionalText(String name) {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw new ToolArgumentException("argument '" + name + "' must be a string");
    }
    return Optional.of(value.textValue());
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
  static final class ToolArgumentException extends RuntimeException {
    ToolArgumentException(String message) {
      super(message);
    }
  }
}
