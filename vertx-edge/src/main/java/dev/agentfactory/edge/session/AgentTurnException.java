package dev.agentfactory.edge.session;

/** A turn that could not finish; {@code code} becomes the error frame's code. */
final class AgentTurnException extends RuntimeException {
  private final String code;
  private final transient AgentLoop.Turn soFar;

  AgentTurnException(String code, String message) {
    this(code, message, null);
  }

  private AgentTurnException(String code, String message, AgentLoop.Turn soFar) {
    super(message);
    this.code = code;
    this.soFar = soFar;
  }

  String code() {
    return code;
  }

  /** What the turn did and used before it stopped; null until {@link AgentLoop#run} adds it. */
  AgentLoop.Turn soFar() {
    return soFar;
  }

  AgentTurnException soFar(AgentLoop.Turn turn) {
    return new AgentTurnException(code, getMessage(), turn);
  }
}
