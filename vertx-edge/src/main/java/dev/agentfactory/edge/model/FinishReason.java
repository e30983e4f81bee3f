package dev.agentfactory.edge.model;

/** Why the model stopped producing output. */
public enum FinishReason {
  /** A natural end of the answer, or a stop sequence. */
  STOP,
  /** The model wants its tool calls executed; the loop continues with their results. */
  TOOL_CALLS,
  /** The token limit was reached; the answer is cut short. */
  LENGTH,
  /** The provider withheld content. */
  CONTENT_FILTER,
  /** Any other reason a provider reports. */
  OTHER;

  /** Maps an OpenAI-style {@code finish_reason}; {@code function_call} is the legacy name. */
  public static FinishReason fromWire(String value) {
    return switch (value) {
      case "stop", "eos" -> STOP;
      case "tool_calls", "function_call" -> TOOL_CALLS;
      case "length" -> LENGTH;
      case "content_filter" -> CONTENT_FILTER;
      default -> OTHER;
    };
  }
}
