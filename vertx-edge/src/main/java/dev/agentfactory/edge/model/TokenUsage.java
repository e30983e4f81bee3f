package dev.agentfactory.edge.model;

/**
 * Tokens one model call consumed, as the provider reported them. {@link #UNKNOWN} when it did not
 * (a server without {@code stream_options.include_usage}, or one that ignores it): unknown is not
 * zero, so whoever records or limits tokens can tell the two apart ({@link #known()}).
 *
 * <pre>{@code
 * TokenUsage turn = TokenUsage.NONE.plus(first.usage()).plus(second.usage());
 * if (turn.known()) { event.usage(turn.promptTokens(), turn.completionTokens()); }
 * }</pre>
 */
public record TokenUsage(int promptTokens, int completionTokens, int totalTokens, boolean known) {

  /** The server did not say; the counts read 0. */
  public static final TokenUsage UNKNOWN = new TokenUsage(0, 0, 0, false);

  /** Nothing used yet: the start of a sum. */
  public static final TokenUsage NONE = new TokenUsage(0, 0, 0);

  public TokenUsage {
    if (promptTokens < 0 || completionTokens < 0 || totalTokens < 0) {
      throw new IllegalArgumentException("token counts cannot be negative");
    }
    if (!known && (promptTokens != 0 || completionTokens != 0 || totalTokens != 0)) {
      throw new IllegalArgumentException("unknown usage has no counts");
    }
  }

  /** Counts a provider reported. */
  public TokenUsage(int promptTokens, int completionTokens, int totalTokens) {
    this(promptTokens, completionTokens, totalTokens, true);
  }

  /**
   * The sum of two calls' usage, for per-turn accounting: unknown when either is, because a sum
   * missing a call's tokens would pass for the whole.
   */
  public TokenUsage plus(TokenUsage other) {
    if (!known || !other.known) {
      return UNKNOWN;
    }
    return new TokenUsage(
        promptTokens + other.promptTokens,
        completionTokens + other.completionTokens,
        totalTokens + other.totalTokens);
  }

  /**
   * A stand-in count for a call whose usage is unknown, for limits only (never recorded as usage):
   * every character the model was sent (system prompt, messages, tool calls, the offered tools'
   * names, descriptions and schemas) and every character it answered (text, tool names and
   * arguments), four characters a token, rounded up.
   */
  public static long estimate(ChatRequest request, ModelResponse response) {
    long chars = 0;
    for (ChatMessage message : request.messages()) {
      chars += length(message);
    }
    for (ToolDefinition tool : request.tools()) {
      chars += tool.name().length() + tool.description().length();
      chars += tool.parameters().toString().length();
    }
    chars += response.text().length();
    for (ToolCall call : response.toolCalls()) {
      chars += call.name().length() + call.argumentsJson().length();
    }
    return (chars + 3) / 4;
  }

  private static long length(ChatMessage message) {
    if (message instanceof ChatMessage.System system) {
      return system.content().length();
    } else if (message instanceof ChatMessage.User user) {
      return user.content().length();
    } else if (message instanceof ChatMessage.Assistant assistant) {
      long chars = assistant.content().length();
      for (ToolCall call : assistant.toolCalls()) {
        chars += call.name().length() + call.argumentsJson().length();
      }
      return chars;
    } else if (message instanceof ChatMessage.Tool tool) {
      return tool.content().length();
    }
    return 0;
  }
}
