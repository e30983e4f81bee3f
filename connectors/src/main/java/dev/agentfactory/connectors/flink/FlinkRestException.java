package dev.agentfactory.connectors.flink;

/** A Flink REST call answered with an error status or an unexpected body. */
public final class FlinkRestException extends RuntimeException {

  private final int status;

  public FlinkRestException(String message, int status) {
    super(message);
    this.status = status;
  }

  /** The HTTP status, 0 when the failure was not an HTTP error (e.g. a failed savepoint). */
  public int status() {
    return status;
  }
}
