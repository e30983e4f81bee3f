package dev.agentfactory.sandbox.daemon;

import dev.agentfactory.sandbox.InvalidLeaseException;
import dev.agentfactory.sandbox.SandboxException;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * A failure the API answers with {@code {"error":{"code","message","field"}}} and an HTTP status.
 * {@link #from} maps every sandbox failure to one; anything unexpected becomes a 500 {@code
 * internal} without its details.
 */
final class ApiException extends RuntimeException {

  private static final Map<String, Integer> STATUS =
      Map.ofEntries(
          Map.entry("unknown_template", 404),
          Map.entry("template_unavailable", 409),
          Map.entry(InvalidLeaseException.INVALID, 400),
          Map.entry(InvalidLeaseException.EGRESS_WIDENED, 400),
          Map.entry("lease_files_failed", 400),
          Map.entry("invalid_request", 400),
          Map.entry("invalid_path", 400),
          Map.entry("path_outside_workspace", 400),
          Map.entry("path_symlink", 400),
          Map.entry("not_a_file", 400),
          Map.entry("not_a_directory", 400),
          Map.entry("file_not_found", 404),
          Map.entry("file_too_large", 413),
          Map.entry("directory_too_large", 413),
          Map.entry("disk_full", 507),
          Map.entry("sandbox_paused", 409),
          Map.entry("sandbox_hibernated", 409),
          Map.entry("sandbox_not_running", 409),
          Map.entry("sandbox_dead", 409),
          Map.entry("invalid_state", 409),
          Map.entry("unsupported", 501),
          Map.entry("pool_closed", 503),
          Map.entry("sandbox_start_failed", 503),
          Map.entry("file_timeout", 503),
          Map.entry("io_error", 500));

  /**
   * Retry-After, in seconds, of a 503 the client should send again to this daemon ({@code
   * lease_timeout}, a retriable {@code sandbox_start_failed}, …): none of them says when a sandbox
   * will be free, so the shortest the header can say; a client that meets the answer again backs
   * off.
   */
  static final int RETRY_AFTER_S = 1;

  private final int status;
  private final String code;
  private final String field;
  private final int retryAfterSeconds;

  ApiException(int status, String code, String message, String field) {
    this(status, code, message, field, 0);
  }

  private ApiException(int status, String code, String message, String field, int retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfterSeconds = retryAfter;
  }

  /**
   * 503 for a request this daemon cannot serve now but may soon: answered with {@code Retry-After}.
   * Not for a daemon that stops ({@code pool_closed}, {@code shutting_down}): retrying it does not
   * help.
   */
  static ApiException unavailable(String code, String message) {
    return new ApiException(503, code, message, null, RETRY_AFTER_S);
  }

  static ApiException badField(String field, String message) {
    return new ApiException(400, "invalid_field", field + " " + message, field);
  }

  static ApiException unknownLease(String id) {
    return new ApiException(
        404, "unknown_lease", "lease '" + id + "' does not exist or has ended", "id");
  }

  /**
   * The API error for any failure: itself, a {@link SandboxException} by its code (file errors name
   * the field {@code path}), or an unexpected one as {@code internal}.
   */
  static ApiException from(Throwable t, String pathField) {
    Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (e instanceof ApiException api) {
      return api;
    }
    if (e instanceof InvalidLeaseException lease) {
      return new ApiException(
          STATUS.getOrDefault(lease.code(), 400), lease.code(), lease.getMessage(), lease.field());
    }
    if (e instanceof SandboxException se) {
      String field = null;
      if (se.code().startsWith("path_")
          || se.code().startsWith("file_")
          || se.code().startsWith("not_a_")
          || se.code().equals("invalid_path")
          || se.code().equals("directory_too_large")
          || se.code().equals("disk_full")) {
        field = pathField;
      } else if (se.code().equals("unknown_template") || se.code().equals("template_unavailable")) {
        field = "template";
      }
      int status = STATUS.getOrDefault(se.code(), 500);
      // The sandbox layer says whether trying again can succeed (another sandbox, a start that
      // timed out); pool_closed and file_timeout say it cannot.
      int retryAfter = status == 503 && se.retriable() ? RETRY_AFTER_S : 0;
      return new ApiException(status, se.code(), se.getMessage(), field, retryAfter);
    }
    return new ApiException(
        500, "internal", "internal error: " + e.getClass().getSimpleName(), null);
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  String field() {
    return field;
  }

  /** The {@code Retry-After} seconds to answer with; 0 for none. */
  int retryAfterSeconds() {
    return retryAfterSeconds;
  }

  JsonObject toJson() {
    JsonObject error = new JsonObject().put("code", code).put("message", getMessage());
    if (field != null) {
      error.put("field", field);
    }
    return new JsonObject().put("error", error);
  }
}
