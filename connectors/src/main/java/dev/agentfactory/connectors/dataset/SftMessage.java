package dev.agentfactory.connectors.dataset;

import java.util.Objects;

/**
 * One element of the {@code messages} column (TRL conversational format).
 *
 * @param toolCallId set on {@code tool} messages: the call the content answers; null otherwise
 */
public record SftMessage(String role, String content, String toolCallId) {

  public SftMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }
}
