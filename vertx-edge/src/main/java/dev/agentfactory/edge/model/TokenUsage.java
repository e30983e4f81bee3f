package dev.agentfactory.edge.model;

/**
 * Tokens one model call consumed, as the provider reported them ({@link #UNKNOWN} when it did not).
 */
public record TokenUsage(int promptTokens, int completionTokens, int totalTokens) {

  public static final TokenUsage UNKNOWN = new TokenUsage(0, 0, 0);

  public TokenUsage {
    if (promptTokens < 0 || completionTokens < 0 || totalTokens < 0) {
      throw new IllegalArgumentException("token counts cannot be negative");
    }
  }

  /** The sum of two calls' usage, for per-session accounting. */
  public TokenUsage plus(TokenUsage other) {
    return new TokenUsage(
        promptTokens + other.promptTokens,
        completionTokens + other.completionTokens,
        totalTokens + other.totalTokens);
  }
}
