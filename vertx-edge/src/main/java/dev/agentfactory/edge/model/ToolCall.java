package dev.agentfactory.edge.model;

import java.util.Objects;

/**
 * A function call the model asked for. {@code argumentsJson} is the arguments object exactly as the
 * model produced it: usually JSON, but models can emit invalid JSON, so whoever executes the call
 * parses (and rejects) it.
 */
public record ToolCall(String id, String name, String argumentsJson) {
  public ToolCall {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    argumentsJson = argumentsJson == null || argumentsJson.isEmpty() ? "{}" : argumentsJson;
  }
}
