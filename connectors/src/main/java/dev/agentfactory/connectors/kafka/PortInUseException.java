package dev.agentfactory.connectors.kafka;

/**
 * The embedded broker could not listen on the client port it was given: another process (often
 * another broker or node) listens there. Stop it, or start on another port (0 picks a free one).
 */
public final class PortInUseException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final int port;

  PortInUseException(String host, int port, Throwable cause) {
    super(
        "Kafka cannot listen on "
            + host
            + ":"
            + port
            + ": the port is in use by another process; stop it or choose another port",
        cause);
    this.port = port;
  }

  /** The port that is in use. */
  public int port() {
    return port;
  }
}
