package dev.agentfactory.edge.model;

/**
 * What a {@link ModelStream} emits, in order: any number of {@link TextDelta} and {@link
 * ToolCallDelta}, then one {@link ToolCallReady} per complete tool call, then one {@link
 * Completed}.
 */
public sealed interface ModelEvent {

  /** A piece of the answer's text. */
  record TextDelta(String text) implements ModelEvent {}

  /**
   * A fragment of tool call number {@code index} as it streams; {@code id} and {@code name} are
   * null after the first fragment. Useful for showing progress; {@link ToolCallReady} carries the
   * assembled call.
   */
  record ToolCallDelta(int index, String id, String name, String argumentsFragment)
      implements ModelEvent {}

  /** A tool call with its arguments fully assembled. */
  record ToolCallReady(int index, ToolCall call) implements ModelEvent {}

  /** The model has finished; the whole response is also the stream's {@code result()}. */
  record Completed(ModelResponse response) implements ModelEvent {}
}
