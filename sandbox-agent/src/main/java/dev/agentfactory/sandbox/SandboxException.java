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

  /** A stable, machine-readable code such as {@code unknown_template} or {@code sandbox_dead}. */
  public String code() {
    return code;
  }

  public boolean retriable() {
    return retriable;
  }
}
