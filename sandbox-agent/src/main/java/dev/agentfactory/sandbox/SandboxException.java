package dev.agentfactory.sandbox;

/**
 * The root of sandbox failures. {@link #retriable()} tells the caller whether trying again (e.g.
 * leasing another sandbox) can succeed.
 */
public class SandboxException extends RuntimeException {

  private final String code;
  private final boolean retriable;

  public SandboxException(String code, String message, boolean retriable) {
    super(message);
    this.code = code;
    this.retriable = retriable;
  }

  public SandboxException(String code, String message, boolean retriable, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.retriable = retriable;
  }

  /** The operation is not supported by this sandbox's isolation driver or host. */
  public static SandboxException unsupported(String operation, String why) {
    return new SandboxException("unsupported", operation + " is not supported: " + why, false);
  }

  /**
   * The failure of a command whose {@link OutputListener} threw {@code thrown}: the command is
   * stopped. The listener's exception is the cause (for the log), never part of the message the
   * caller shows.
   */
  public static SandboxException listenerFailed(RuntimeException thrown) {
    return new SandboxException(
        "listener_failed",
        "the command was stopped: the receiver of its output failed",
        false,
        thrown);
  }

  /** A stable, machine-readable code such as {@code unknown_template} or {@code sandbox_dead}. */
  public String code() {
    return code;
  }

  public boolean retriable() {
    return retriable;
  }
}
