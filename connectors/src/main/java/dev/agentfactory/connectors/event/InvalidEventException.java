package dev.agentfactory.connectors.event;

/**
 * An interaction event that cannot be accepted. {@link #field()} names the offending JSON field
 * (with its path, e.g. {@code messages[1].role}); the message reads {@code "<field>: <reason>"}.
 *
 * <p>Not retriable: the same bytes fail the same way every time, which is why the pipeline routes
 * them to the dead-letter topic instead of retrying.
 */
public final class InvalidEventException extends RuntimeException {

  private final String field;
  private final String reason;

  public InvalidEventException(String field, String reason) {
    this(field, reason, null);
  }

  public InvalidEventException(String field, String reason, Throwable cause) {
    super(field + ": " + reason, cause);
    this.field = field;
    this.reason = reason;
  }

  /** The JSON path of the offending field, {@code "$"} for the document itself. */
  public String field() {
    return field;
  }

  /** What is wrong with the field, without the field name. */
  public String reason() {
    return reason;
  }
}
