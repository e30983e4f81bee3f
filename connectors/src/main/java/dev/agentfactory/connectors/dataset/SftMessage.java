package dev.agentfactory.connectors.dataset;

import java.util.List;
import java.util.Objects;

/**
 * One element of the message columns ({@code messages}, {@code prompt}, {@code chosen}, ...), in
 * the OpenAI / TRL conversational tool-calling format: an {@code assistant} message lists the calls
 * it made, and each call's result follows as a {@code tool} message naming the call.
 *
 * @param toolCallId set on {@code tool} messages: the call the content answers; null otherwise
 * @param name set on {@code tool} messages: the tool that was called; null otherwise
 * @param toolCalls set on {@code assistant} messages that made tool calls (their content may be
 *     empty); null on every other message
 */
public record SftMessage(
    String role, String content, String toolCallId, String name, List<SftToolCall> toolCalls) {

  public SftMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
    toolCalls = toolCalls == null || toolCalls.isEmpty() ? null : List.copyOf(toolCalls);
  }

  /** A message that made no tool calls: the fields as they were before {@code tool_calls}. */
  public SftMessage(String role, String content, String toolCallId) {
    this(role, content, toolCallId, null, null);
  }

  /** A message without tool calls or results. */
  public static SftMessage of(String role, String content) {
    return new SftMessage(role, content, null, null, null);
  }

  /** A tool's result, answering the call {@code toolCallId} of the tool {@code name}. */
  public static SftMessage toolResult(String toolCallId, String name, String content) {
    return new SftMessage("tool", content, toolCallId, name, null);
  }

  /** An assistant message that made {@code toolCalls}. */
  public static SftMessage assistantCalling(String content, List<SftToolCall> toolCalls) {
    return new SftMessage("assistant", content, null, null, toolCalls);
  }
}
