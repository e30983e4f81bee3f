package dev.agentfactory.connectors.event;

import java.util.ArrayList;
import java.util.List;

/**
 * Which assistant message made which tool call of an event. An assistant message names its calls in
 * {@code tool_call_ids}; each id takes the first call with that id that no earlier id took, so the
 * calls of several model responses may share an id (the edge names unnamed calls {@code
 * call_<index>} within their response). Calls no message names are <em>unlinked</em>: a sandbox
 * command (no model made it) or an event from before {@code tool_call_ids}.
 *
 * <pre>{@code
 * ToolCallLinks links = ToolCallLinks.of(event.messages(), event.toolCalls());
 * links.callsOf(1);   // the calls messages[1] made, in its order
 * links.unlinked();   // calls no message names, in event order
 * }</pre>
 */
public final class ToolCallLinks {

  private final List<List<ToolCall>> byMessage;
  private final List<ToolCall> unlinked;

  private ToolCallLinks(List<List<ToolCall>> byMessage, List<ToolCall> unlinked) {
    this.byMessage = byMessage;
    this.unlinked = unlinked;
  }

  /**
   * Resolves the links.
   *
   * @throws InvalidEventException naming {@code messages[i].tool_call_ids[j]} if an id names no
   *     call that is left
   */
  public static ToolCallLinks of(List<Message> messages, List<ToolCall> toolCalls) {
    boolean[] taken = new boolean[toolCalls.size()];
    List<List<ToolCall>> byMessage = new ArrayList<>(messages.size());
    for (int i = 0; i < messages.size(); i++) {
      List<String> ids = messages.get(i).toolCallIds();
      List<ToolCall> calls = new ArrayList<>(ids.size());
      for (int j = 0; j < ids.size(); j++) {
        int k = firstFree(toolCalls, taken, ids.get(j));
        if (k < 0) {
          throw new InvalidEventException(
              "messages[" + i + "].tool_call_ids[" + j + "]",
              "names no tool call (or one an earlier id already names): "
                  + Checks.quote(ids.get(j)));
        }
        taken[k] = true;
        calls.add(toolCalls.get(k));
      }
      byMessage.add(List.copyOf(calls));
    }
    List<ToolCall> unlinked = new ArrayList<>();
    for (int k = 0; k < toolCalls.size(); k++) {
      if (!taken[k]) {
        unlinked.add(toolCalls.get(k));
      }
    }
    return new ToolCallLinks(List.copyOf(byMessage), List.copyOf(unlinked));
  }

  /** The calls {@code messages[messageIndex]} made, in the order it names them. */
  public List<ToolCall> callsOf(int messageIndex) {
    return byMessage.get(messageIndex);
  }

  /** The calls no message names, in the order of {@code tool_calls}. */
  public List<ToolCall> unlinked() {
    return unlinked;
  }

  private static int firstFree(List<ToolCall> toolCalls, boolean[] taken, String id) {
    for (int k = 0; k < toolCalls.size(); k++) {
      if (!taken[k] && toolCalls.get(k).id().equals(id)) {
        return k;
      }
    }
    return -1;
  }
}
