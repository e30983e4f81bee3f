package dev.agentfactory.edge.session;

/**
 * A turn is in the {@link TurnStore} but cannot be read back: its row does not decrypt with this
 * node's {@code session.store.key} (a key the node lacks, a different key, a tampered row) or its
 * event does not parse. Names the turn; fatal for that turn (retrying does not help until the keys
 * are fixed), never for the node.
 */
public final class UnreadableTurnException extends RuntimeException {

  private final String tenant;
  private final String sessionId;
  private final String turnId;

  public UnreadableTurnException(
      String tenant, String sessionId, String turnId, String reason, Throwable cause) {
    super(
        "turn '"
            + turnId
            + "' of session "
            + sessionId
            + " is in the session turn store but cannot be read: "
            + reason,
        cause);
    this.tenant = tenant;
    this.sessionId = sessionId;
    this.turnId = turnId;
  }

  public String tenant() {
    return tenant;
  }

  public String sessionId() {
    return sessionId;
  }

  public String turnId() {
    return turnId;
  }
}
