package dev.agentfactory.connectors.flink;

import java.util.Optional;

/** A Flink REST call answered with an error status or an unexpected body. */
public final class FlinkRestException extends RuntimeException {

  private final int status;
  private final String flinkError;

  public FlinkRestException(String message, int status) {
    this(message, status, null);
  }

  /**
   * @param flinkError the first entry of the {@code errors} array of Flink's answer, if it had one
   */
  public FlinkRestException(String message, int status, String flinkError) {
    super(message);
    this.status = status;
    this.flinkError = flinkError;
  }

  /** The HTTP status, 0 when the failure was not an HTTP error (e.g. a failed savepoint). */
  public int status() {
    return status;
  }

  /**
   * What Flink said went wrong: the first entry of its answer's {@code errors} array (often a whole
   * stack trace as text); empty when the answer had none.
   */
  public Optional<String> flinkError() {
    return Optional.ofNullable(flinkError);
  }
}
