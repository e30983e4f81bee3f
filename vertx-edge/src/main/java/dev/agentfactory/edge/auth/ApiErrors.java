package dev.agentfactory.edge.auth;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Writes the API's one error shape: {@code {"error":{"code","message","field"}}}. */
public final class ApiErrors {

  private ApiErrors() {}

  public static void send(
      RoutingContext ctx, int status, String code, String message, String field) {
    if (ctx.response().ended()) {
      return;
    }
    JsonObject error = new JsonObject().put("code", code).put("message", message);
    if (field != null) {
      error.put("field", field);
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", error).encode());
  }

  /**
   * Answers a plain HTTP request to a WebSocket route with 426 {@code upgrade_required} (the
   * WebSocket layer itself would answer a bare text 400); true if it did, false for an upgrade.
   */
  public static boolean notAnUpgrade(RoutingContext ctx) {
    String upgrade = ctx.request().getHeader("upgrade");
    if (upgrade != null && upgrade.trim().equalsIgnoreCase("websocket")) {
      return false;
    }
    ctx.response().putHeader("upgrade", "websocket");
    send(
        ctx,
        426,
        "upgrade_required",
        ctx.request().path() + " is a WebSocket: send an upgrade request (docs/protocol.md)",
        null);
    return true;
  }

  /** 429 with a Retry-After header (seconds, rounded up) and the exact wait in the body. */
  public static void tooMany(RoutingContext ctx, String code, String message, long retryAfterMs) {
    JsonObject error =
        new JsonObject()
            .put("code", code)
            .put("message", message)
            .put("retry_after_ms", retryAfterMs);
    ctx.response()
        .setStatusCode(429)
        .putHeader("retry-after", Long.toString(Math.max(1, (retryAfterMs + 999) / 1000)))
        .putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", error).encode());
  }
}
