package dev.agentfactory.cluster;

/**
 * Root of every failure the cluster module reports. {@link #retriable()} tells the one place that
 * decides retry versus give-up whether trying again (possibly elsewhere) can succeed: a lease
 * conflict is retriable (the sandbox frees up, or another one serves), a fenced lease is not (that
 * lease is gone for good).
 */
public class ClusterException extends RuntimeException {

  private final String code;
  private final boolean retriable;

  public ClusterException(String code, String message, boolean retriable) {
    this(code, message, retriable, null);
  }

  public ClusterException(String code, String message, boolean retriable, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.retriable = retriable;
  }

  /** A stable machine-readable code, e.g. {@code lease.conflict}. */
  public String code() {
    return code;
  }

  public boolean retriable() {
    return retriable;
  }
}
