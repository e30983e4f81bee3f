package dev.agentfactory.connectors.event;

/** One chat message of an interaction. {@code content} may be empty but never null. */
public record Message(Role role, String content) {

  public Message {
    Checks.notNull("role", role);
    Checks.notNull("content", content);
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

  /** Returns a copy with other content (the scrubbers rewrite content, nothing else). */
  public Message withContent(String newContent) {
    return new Message(role, newContent);
  }
}
