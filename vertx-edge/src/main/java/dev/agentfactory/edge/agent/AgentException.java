package dev.agentfactory.edge.agent;

/**
 * The one root of agent registry failures: a {@link Code} for callers (and HTTP status mapping),
 * the offending field where there is one.
 */
public final class AgentException extends RuntimeException {

  /** What went wrong. */
  public enum Code {
    /** No such agent, version or deployment. */
    NOT_FOUND("not_found"),
    /** A spec field is missing or wrong; {@link #field()} names it. */
    INVALID_SPEC("invalid_spec"),
    /** A deployment request does not make sense (e.g. promoting without a canary). */
    INVALID_REQUEST("invalid_request"),
    /** The agent already exists, or someone else changed it first. */
    CONFLICT("conflict"),
    /** The store failed; may succeed on retry. */
    STORE_UNAVAILABLE("store_unavailable");

    private final String wire;

    Code(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }
  }

  private final Code code;
  private final String field;

  public AgentException(Code code, String message, String field, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.field = field;
  }

  public static AgentException invalidSpec(String field, String message) {
    return new AgentException(Code.INVALID_SPEC, field + ": " + message, field, null);
  }

  public static AgentException notFound(String message) {
    return new AgentException(Code.NOT_FOUND, message, null, null);
  }

  public static AgentException conflict(String message) {
    return new AgentException(Code.CONFLICT, message, null, null);
  }

  public static AgentException invalidRequest(String field, String message) {
    return new AgentException(Code.INVALID_REQUEST, field + ": " + message, field, null);
  }

  public Code code() {
    return code;
  }

  /** The spec or request field at fault, in dotted form ({@code model.base_url}); may be null. */
  public String field() {
    return field;
  }
}
