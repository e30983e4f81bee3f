package dev.agentfactory.cluster;

/**
 * A {@link ClusterConfig} value that cannot be used. {@link #field()} names the offending property;
 * the message reads {@code "<field>: <reason>"}. Not retriable.
 */
public final class InvalidClusterConfigException extends ClusterException {

  private final String field;

  public InvalidClusterConfigException(String field, String reason) {
    super("cluster.config", field + ": " + reason, false);
    this.field = field;
  }

  /** The property name, as in {@link ClusterConfig} (e.g. {@code leaseTtl}). */
  public String field() {
    return field;
  }
}
