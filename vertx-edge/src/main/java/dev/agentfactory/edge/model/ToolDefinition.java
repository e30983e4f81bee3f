package dev.agentfactory.edge.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A function the model may call: a name, what it does, and its parameters as a JSON-schema object.
 * Names follow the OpenAI rule ({@code [a-zA-Z0-9_-]{1,64}}), which is why built-in tools such as
 * {@code sandbox.exec} are offered to models as {@code sandbox_exec}.
 */
public record ToolDefinition(String name, String description, JsonNode parameters) {

  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

  public ToolDefinition {
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(parameters, "parameters");
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "tool name '" + name + "' must match " + NAME.pattern() + " (function-calling rule)");
    }
    if (!parameters.isObject()) {
      throw new IllegalArgumentException("tool " + name + ": parameters must be a JSON schema");
    }
  }
}
