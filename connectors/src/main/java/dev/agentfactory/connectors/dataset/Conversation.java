package dev.agentfactory.connectors.dataset;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Role;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallLinks;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An event's conversation in the OpenAI / TRL conversational tool-calling format, and its split
 * into prompt and completion.
 *
 * @param messages the event's messages in order; an assistant message that made tool calls carries
 *     them ({@code tool_calls}) and is followed by one {@code tool} message per call with its
 *     output, id and tool name; calls no message made (a sandbox command, an event from before
 *     {@code tool_call_ids}) follow as {@code tool} messages after the last message
 */
record Conversation(List<SftMessage> messages) {

  /** A prompt (up to and including the last user message) and what followed it. */
  record Split(List<SftMessage> prompt, List<SftMessage> completion) {}

  static Conversation of(Interaction event) {
    ToolCallLinks links = event.toolCallLinks();
    List<SftMessage> messages = new ArrayList<>();
    for (int i = 0; i < event.messages().size(); i++) {
      Message m = event.messages().get(i);
      List<ToolCall> calls = links.callsOf(i);
      if (calls.isEmpty()) {
        messages.add(SftMessage.of(m.role().json(), m.content()));
        continue;
      }
      List<SftToolCall> made = new ArrayList<>(calls.size());
      for (ToolCall call : calls) {
        made.add(new SftToolCall(call.id(), call.name(), call.arguments()));
      }
      messages.add(SftMessage.assistantCalling(m.content(), made));
      for (ToolCall call : calls) {
        messages.add(result(call));
      }
    }
    for (ToolCall call : links.unlinked()) {
      messages.add(result(call));
    }
    return new Conversation(List.copyOf(messages));
  }

  private static SftMessage result(ToolCall call) {
    return SftMessage.toolResult(
        call.id(), call.name(), call.output() == null ? "" : call.output());
  }

  /** Messages without tool calls or their results (a rejected alternative). */
  static List<SftMessage> of(List<Message> messages) {
    List<SftMessage> result = new ArrayList<>(messages.size());
    for (Message m : messages) {
      result.add(SftMessage.of(m.role().json(), m.content()));
    }
    return result;
  }

  /** The prompt: up to and including the last user message; empty if there is none. */
  Optional<List<SftMessage>> prompt() {
    int last = lastUserMessage();
    return last < 0 ? Optional.empty() : Optional.of(messages.subList(0, last + 1));
  }

  /** Prompt and completion; empty if there is no user message or nothing after the last one. */
  Optional<Split> split() {
    int last = lastUserMessage();
    if (last < 0 || last == messages.size() - 1) {
      return Optional.empty();
    }
    return Optional.of(
        new Split(messages.subList(0, last + 1), messages.subList(last + 1, messages.size())));
  }

  private int lastUserMessage() {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).role().equals(Role.USER.json())) {
        return i;
      }
    }
    return -1;
  }
}
