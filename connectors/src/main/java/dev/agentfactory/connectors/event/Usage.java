package dev.agentfactory.connectors.event;

/** Model token usage ({@code gen_ai.usage.input_tokens}, {@code gen_ai.usage.output_tokens}). */
public record Usage(long inputTokens, long outputTokens) {

  public Usage {
    Checks.notNegative("gen_ai.usage.input_tokens", inputTokens);
    Checks.notNegative("gen_ai.usage.output_tokens", outputTokens);
  }
}
