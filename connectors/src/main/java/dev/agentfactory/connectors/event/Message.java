package dev.agentfactory.connectors.event;

import java.util.List;

/**
 * One chat message of an interaction. {@code content} may be empty but never null.
 *
 * @param toolCallIds {@code tool_call_ids}: of an {@code assistant} message, the ids of the tool
 *     calls it made, in order, each naming an entry of the event's {@code tool_calls} (see {@link
 *     ToolCallLinks}); empty for a message that made none and for every other role
 */
public record Message(Role role, String content, List<String> toolCallIds) {

  public Message {
    Checks.notNull("role", role);
    Checks.notNull("content", content);
    // Null reads as none: Flink restores a message it checkpointed before the field existed (e.g.
    // one in flight in the judge's async operator) with null for the new field.
    toolCallIds = toolCallIds == null ? List.of() : List.copyOf(toolCallIds);
    if (!toolCallIds.isEmpty() && role != Role.ASSISTANT) {
      throw new InvalidEventException(
          "tool_call_ids", "only an assistant message makes tool calls, not " + role.json());
    }
    for (int i = 0; i < toolCallIds.size(); i++) {
      Checks.notBlank("tool_call_ids[" + i + "]", toolCallIds.get(i));
    }
  }

  /** A message that made no tool calls: the schema as it was before {@code tool_call_ids}. */
  public Message(Role role, String content) {
    this(role, content, List.of());
  }

  public static Message system(String content) {
    return new Message(Role.SYSTEM, content);
  }

  public static Message user(String content) {
    return new Message(Role.USER, content);
  }

  public static Message assistant(String content) {
    return new Message(Role.ASSISTANT, content);
  }

  /** An assistant message that made the calls {@code toolCallIds} (its content may be empty). */
  public static Message assistant(String content, List<String> toolCallIds) {
    return new Message(Role.ASSISTANT, content, toolCallIds);
  }

  /** Returns a copy with other content (the scrubbers rewrite content, nothing else). */
  public Message withContent(String newContent) {
    return new Message(role, newContent, toolCallIds);
  }
}
