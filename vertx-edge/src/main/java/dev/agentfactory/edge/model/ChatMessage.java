package dev.agentfactory.edge.model;

import java.util.List;
import java.util.Objects;

/** One message of a conversation sent to a model, by role. */
public sealed interface ChatMessage {

  /** The wire role: system, user, assistant or tool. */
  String role();

  /** Instructions that frame the whole conversation. */
  record System(String content) implements ChatMessage {
    public System {
      Objects.requireNonNull(content, "content");
    }

    @Override
    public String role() {
      return "system";
    }
  }

  /** What the user said. */
  record User(String content) implements ChatMessage {
    public User {
      Objects.requireNonNull(content, "content");
    }

    @Override
    public String role() {
      return "user";
    }
  }

  /**
   * A previous model turn: its text (may be empty) and the tool calls it made (may be empty). Sent
   * back so the model sees its own calls next to their results.
   */
  record Assistant(String content, List<ToolCall> toolCalls) implements ChatMessage {
    public Assistant {
      content = content == null ? "" : content;
      toolCalls = List.copyOf(toolCalls);
    }

    public static Assistant text(String content) {
      return new Assistant(content, List.of());
    }

    @Override
    public String role() {
      return "assistant";
    }
  }

  /** The result of the tool call {@code toolCallId}, as text (often JSON). */
  record Tool(String toolCallId, String content) implements ChatMessage {
    public Tool {
      Objects.requireNonNull(toolCallId, "toolCallId");
      Objects.requireNonNull(content, "content");
    }

    @Override
    public String role() {
      return "tool";
    }
  }
}
