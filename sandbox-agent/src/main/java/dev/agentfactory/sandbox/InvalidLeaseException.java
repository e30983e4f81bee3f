package dev.agentfactory.sandbox;

/**
 * Lease options that cannot be applied as given; {@link #field()} names the offending one, e.g.
 * {@code files['../x']} or {@code egress[1]}. Never retriable.
 */
public final class InvalidLeaseException extends SandboxException {

  /** A malformed option (env name, file path, egress rule). */
  public static final String INVALID = "invalid_lease_options";

  /** A lease egress rule that the template's policy does not cover. */
  public static final String EGRESS_WIDENED = "egress_widened";

  private final String field;

  public InvalidLeaseException(String code, String field, String message) {
    super(code, field + " " + message, false);
    this.field = field;
  }

  public String field() {
    return field;
  }
}
