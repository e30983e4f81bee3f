package dev.agentfactory.edge.model;

/** Why a model call failed, and whether trying again may help. */
public enum ModelErrorCode {
  /** HTTP 429: the provider asks us to slow down. */
  RATE_LIMITED("rate_limited", true),
  /** HTTP 5xx (and 408) before anything was streamed. */
  SERVER_ERROR("server_error", true),
  /** No connection, or no byte within the read timeout. */
  TIMEOUT("timeout", true),
  /** The connection could not be made or broke before the answer began. */
  CONNECTION_FAILED("connection_failed", true),
  /** HTTP 400/422 and other 4xx: the request itself is wrong. */
  BAD_REQUEST("bad_request", false),
  /** HTTP 401/403: the API key is missing, wrong or not allowed. */
  UNAUTHORIZED("unauthorized", false),
  /** HTTP 404: no such model or endpoint. */
  NOT_FOUND("not_found", false),
  /** The provider answered with something that is not the protocol (bad SSE line, bad JSON). */
  MALFORMED_RESPONSE("malformed_response", false),
  /**
   * The answer broke off after part of it was streamed. Never retried by a provider: a retry would
   * replay text the consumer has already seen. The partial text is on the exception.
   */
  STREAM_INTERRUPTED("stream_interrupted", false),
  /** The API key's secret reference could not be resolved. */
  SECRET_UNAVAILABLE("secret_unavailable", false),
  /**
   * The node's {@code agents.secrets} does not let agents send this secret to this URL (a spec
   * stored before the rule changed, or by a node with other rules).
   */
  SECRET_NOT_ALLOWED("secret_not_allowed", false),
  /** The request is valid but this provider cannot serve it (e.g. an unknown scripted model). */
  UNSUPPORTED("unsupported", false),
  /** The consumer cancelled the stream. */
  CANCELLED("cancelled", false);

  private final String wire;
  private final boolean retriable;

  ModelErrorCode(String wire, boolean retriable) {
    this.wire = wire;
    this.retriable = retriable;
  }

  /** The snake_case code used in error frames and events. */
  public String wire() {
    return wire;
  }

  public boolean retriable() {
    return retriable;
  }

  /** The code for an HTTP error status. */
  public static ModelErrorCode forStatus(int status) {
    if (status == 429) {
      return RATE_LIMITED;
    }
    if (status == 408 || status >= 500) {
      return status == 408 ? TIMEOUT : SERVER_ERROR;
    }
    if (status == 401 || status == 403) {
      return UNAUTHORIZED;
    }
    if (status == 404) {
      return NOT_FOUND;
    }
    return BAD_REQUEST;
  }
}
