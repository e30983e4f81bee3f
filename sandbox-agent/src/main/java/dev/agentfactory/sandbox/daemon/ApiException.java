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

  private final int status;
  private final String code;
  private final String field;

  ApiException(int status, String code, String message, String field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
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
      return new ApiException(
          STATUS.getOrDefault(se.code(), 500), se.code(), se.getMessage(), field);
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

  JsonObject toJson() {
    JsonObject error = new JsonObject().put("code", code).put("message", getMessage());
    if (field != null) {
      error.put("field", field);
    }
    return new JsonObject().put("error", error);
  }
}
