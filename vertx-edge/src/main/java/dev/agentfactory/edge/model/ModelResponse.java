package dev.agentfactory.edge.model;

import java.util.List;
import java.util.Objects;

/**
 * One finished model call.
 *
 * @param provider the provider's name, e.g. {@code openai} or {@code scripted}
 * @param model the model that answered, as the provider named it
 * @param scripted true when no real model answered (the {@code scripted} provider); carried into
 *     everything recorded from this response so scripted turns are never mistaken for model output
 */
public record ModelResponse(
    String provider,
    String model,
    String text,
    List<ToolCall> toolCalls,
    FinishReason finishReason,
    TokenUsage usage,
    boolean scripted) {

  public ModelResponse {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(finishReason, "finishReason");
    Objects.requireNonNull(usage, "usage");
    toolCalls = List.copyOf(toolCalls);
  }

  /** The assistant message to append to the conversation before the tool results. */
  public ChatMessage.Assistant toMessage() {
    return new ChatMessage.Assistant(text, toolCalls);
  }
}
