package dev.agentfactory.edge.model;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One model call: the conversation so far, the tools the model may call and how to sample.
 *
 * <pre>{@code
 * ChatRequest request = new ChatRequest(
 *     "gpt-4o-mini",
 *     List.of(new ChatMessage.System("You are terse."), new ChatMessage.User("hi")),
 *     List.of(),
 *     ModelParameters.DEFAULTS);
 * }</pre>
 */
public record ChatRequest(
    String model,
    List<ChatMessage> messages,
    List<ToolDefinition> tools,
    ModelParameters parameters) {

  public ChatRequest {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(parameters, "parameters");
    messages = List.copyOf(messages);
    tools = List.copyOf(tools);
    if (messages.isEmpty()) {
      throw new IllegalArgumentException("a chat request needs at least one message");
    }
    Set<String> names = new HashSet<>();
    for (ToolDefinition tool : tools) {
      if (!names.add(tool.name())) {
        throw new IllegalArgumentException("tool " + tool.name() + " is defined twice");
      }
    }
  }
}
