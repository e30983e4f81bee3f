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
 * into prompt and completion. Every {@code tool} message it makes answers a call of an {@code
 * assistant} message before it, by id, as chat templates require.
 *
 * @param messages the event's messages in order; an assistant message that made tool calls carries
 *     them ({@code tool_calls}) and is followed by one {@code tool} message per call with its
 *     output, id and tool name; calls no message made (a sandbox command, an event from before
 *     {@code tool_call_ids}) are made by an assistant message of their own with empty content,
 *     followed by their results, before a final answer (see {@link #of(Interaction)})
 */
record Conversation(List<SftMessage> messages) {

  /** A prompt (up to and including the last user message) and what followed it. */
  record Split(List<SftMessage> prompt, List<SftMessage> completion) {}

  /**
   * The event's conversation. Calls no message names go, as one assistant message making them all
   * and their results, right before the last message if that is an assistant message naming no
   * calls (the answer they led to: an event from before {@code tool_call_ids} lists its calls but
   * not which response made them), else after the last message (a sandbox command: {@code [user
   * <command>, assistant calling sandbox_exec, tool <output>]}).
   */
  static Conversation of(Interaction event) {
    ToolCallLinks links = event.toolCallLinks();
    List<Message> source = event.messages();
    int last = source.size() - 1;
    boolean endsWithAnswer =
        last >= 0 && source.get(last).role() == Role.ASSISTANT && links.callsOf(last).isEmpty();
    int unlinkedAt = endsWithAnswer ? last : source.size();
    List<SftMessage> messages = new ArrayList<>();
    for (int i = 0; i < source.size(); i++) {
      if (i == unlinkedAt) {
        addCalls(messages, "", links.unlinked());
      }
      Message m = source.get(i);
      if (links.callsOf(i).isEmpty()) {
        messages.add(SftMessage.of(m.role().json(), m.content()));
      } else {
        addCalls(messages, m.content(), links.callsOf(i));
      }
    }
    if (unlinkedAt == source.size()) {
      addCalls(messages, "", links.unlinked());
    }
    return new Conversation(List.copyOf(messages));
  }

  /** An assistant message with {@code content} making {@code calls}, then their results. */
  private static void addCalls(List<SftMessage> messages, String content, List<ToolCall> calls) {
    if (calls.isEmpty()) {
      return;
    }
    List<SftToolCall> made = new ArrayList<>(calls.size());
    for (ToolCall call : calls) {
      made.add(new SftToolCall(call.id(), ToolCall.functionName(call.name()), call.arguments()));
    }
    messages.add(SftMessage.assistantCalling(content, made));
    for (ToolCall call : calls) {
      messages.add(
          SftMessage.toolResult(
              call.id(),
              ToolCall.functionName(call.name()),
              call.output() == null ? "" : call.output()));
    }
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
