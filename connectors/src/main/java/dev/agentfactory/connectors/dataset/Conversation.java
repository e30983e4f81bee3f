package dev.agentfactory.connectors.dataset;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.Role;
import dev.agentfactory.connectors.event.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An event's conversation in the TRL message format, and its split into prompt and completion.
 *
 * @param messages the event's messages in order, then one {@code tool} message per tool call with
 *     its output and call id
 */
record Conversation(List<SftMessage> messages) {

  /** A prompt (up to and including the last user message) and what followed it. */
  record Split(List<SftMessage> prompt, List<SftMessage> completion) {}

  static Conversation of(Interaction event) {
    List<SftMessage> messages = new ArrayList<>();
    for (Message m : event.messages()) {
      messages.add(new SftMessage(m.role().json(), m.content(), null));
    }
    for (ToolCall call : event.toolCalls()) {
      String output = call.output() == null ? "" : call.output();
      messages.add(new SftMessage(Role.TOOL.json(), output, call.id()));
    }
    return new Conversation(List.copyOf(messages));
  }

  /** Messages without tool call ids (a rejected alternative). */
  static List<SftMessage> of(List<Message> messages) {
    List<SftMessage> result = new ArrayList<>(messages.size());
    for (Message m : messages) {
      result.add(new SftMessage(m.role().json(), m.content(), null));
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
