package dev.agentfactory.connectors.kafka;

/**
 * An interaction event that {@link InteractionPublisher} did not get acknowledged by Kafka. {@link
 * #reason()} says why; {@link #retriable()} whether the same event may succeed later (the data
 * plane was full or away) or never will (the event was refused, the publisher closed).
 */
public final class PublishException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Why the event was not acknowledged. */
  public enum Reason {
    /** The publisher already holds its bound of unacknowledged events (count or bytes). */
    BUFFER_FULL(true),
    /** Kafka did not take or acknowledge the event within the publisher's delivery timeout. */
    TIMED_OUT(true),
    /** The publisher closed (node shutdown) before Kafka acknowledged the event. */
    CLOSED(false),
    /** Kafka refused the event (e.g. too large, not authorised): sending it again fails again. */
    REJECTED(false);

    private final boolean retriable;

    Reason(boolean retriable) {
      this.retriable = retriable;
    }
  }

  private final Reason reason;

  public PublishException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  /** Whether publishing the same event later may succeed. */
  public boolean retriable() {
    return reason.retriable;
  }
}
