package dev.agentfactory.sandbox.egress;

import java.util.Objects;

/**
 * One decision of a sandbox's egress proxy, logged and published as a {@link
 * dev.agentfactory.sandbox.SandboxEvent} with reason {@code egress_allowed} or {@code
 * egress_denied}.
 *
 * @param method the request's method; {@code CONNECT} for an HTTPS tunnel; {@code ?} when the
 *     request could not be parsed
 * @param host the target host from the request line (never from a header), normalized
 * @param port the target port
 * @param allowed whether the request was let through
 * @param reason why: {@link #ALLOWED} or one of the denial reasons below
 * @param address the address the proxy resolved and connected to (allowed) or refused (denied for
 *     {@link #SPECIAL_ADDRESS}); null when it did not get that far
 */
public record EgressDecision(
    String method, String host, int port, boolean allowed, String reason, String address) {

  public static final String ALLOWED = "allowed";

  /** No rule names the host and port. */
  public static final String NOT_LISTED = "not_listed";

  /** A rule names host and port, but not this method. */
  public static final String METHOD_NOT_ALLOWED = "method_not_allowed";

  /**
   * The host resolved to a loopback, private, link-local or similar address, and no rule names it.
   */
  public static final String SPECIAL_ADDRESS = "special_address";

  /** The proxy could not resolve the host. */
  public static final String UNRESOLVABLE = "unresolvable";

  /** The request was not a proxy request the proxy understands. */
  public static final String BAD_REQUEST = "bad_request";

  /** The sandbox has too many proxied connections open. */
  public static final String TOO_MANY_CONNECTIONS = "too_many_connections";

  public EgressDecision {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(reason, "reason");
  }

  static EgressDecision deny(String method, String host, int port, String reason, String address) {
    return new EgressDecision(method, host, port, false, reason, address);
  }
}
