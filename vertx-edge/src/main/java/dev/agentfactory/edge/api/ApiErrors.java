package dev.agentfactory.edge.api;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
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
    send(ctx.response(), status, error(code, message, field));
  }

  private static JsonObject error(String code, String message, String field) {
    JsonObject error = new JsonObject().put("code", code).put("message", message);
    if (field != null) {
      error.put("field", field);
    }
    return error;
  }

  private static void send(HttpServerResponse response, int status, JsonObject error) {
    response
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", error).encode());
  }

  /**
   * Answers a request to a WebSocket route that is not a usable upgrade, in the API's error shape
   * (the WebSocket layer itself would answer a bare text 400); true if it did, false for an upgrade
   * to go on with. No {@code Upgrade: websocket} with {@code Connection: upgrade} (a plain HTTP
   * request, or a proxy that dropped the hop-by-hop headers): 426 {@code upgrade_required}. A
   * version other than 13: 426 with {@code Sec-WebSocket-Version: 13} (RFC 6455 4.4). No {@code
   * Sec-WebSocket-Key}: 400 {@code invalid_request}.
   */
  public static boolean notAnUpgrade(RoutingContext ctx) {
    String upgrade = ctx.request().getHeader("upgrade");
    boolean websocket = upgrade != null && upgrade.trim().equalsIgnoreCase("websocket");
    if (!websocket || !hasToken(ctx.request().getHeader("connection"), "upgrade")) {
      ctx.response().putHeader("upgrade", "websocket");
      send(
          ctx,
          426,
          "upgrade_required",
          ctx.request().path()
              + " is a WebSocket: send an upgrade request (Upgrade: websocket, Connection:"
              + " Upgrade; docs/protocol.md)"
              + (websocket ? "; this one has Upgrade but no Connection: Upgrade" : ""),
          null);
      return true;
    }
    String version = ctx.request().getHeader("sec-websocket-version");
    if (version == null || !version.trim().equals("13")) {
      ctx.response().putHeader("sec-websocket-version", "13");
      send(
          ctx,
          426,
          "upgrade_required",
          "WebSocket version "
              + (version == null ? "(none)" : "'" + version.trim() + "'")
              + " is not supported: send Sec-WebSocket-Version: 13",
          null);
      return true;
    }
    String key = ctx.request().getHeader("sec-websocket-key");
    if (key == null || key.isBlank()) {
      send(
          ctx,
          400,
          "invalid_request",
          "the WebSocket upgrade has no Sec-WebSocket-Key (RFC 6455)",
          null);
      return true;
    }
    return false;
  }

  /** Whether the comma-separated header {@code value} has {@code token} (any case). */
  private static boolean hasToken(String value, String token) {
    if (value == null) {
      return false;
    }
    for (String part : value.split(",")) {
      if (part.trim().equalsIgnoreCase(token)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The HTTP server's {@code invalidRequestHandler}: answers a request its decoder refused in the
   * API's error shape, where Vert.x would answer 414/431 with an empty body or close the connection
   * without a word. The request line over {@code HttpServerOptions.maxInitialLineLength} (4096
   * bytes, the default the node keeps) is 414 {@code uri_too_long}, headers over {@code
   * maxHeaderSize} (8192) 431 {@code headers_too_large}, anything else that is not HTTP/1.1 400
   * {@code bad_request}. The connection closes after the answer: the decoder cannot tell where the
   * next request would start.
   */
  public static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status;
    String code;
    String message;
    if (cause instanceof TooLongHttpLineException) {
      status = 414;
      code = "uri_too_long";
      message =
          "the request line (method, path and query together) is over "
              + HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH
              + " bytes";
    } else if (cause instanceof TooLongHttpHeaderException) {
      status = 431;
      code = "headers_too_large";
      message =
          "the request headers are over " + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE + " bytes";
    } else {
      status = 400;
      code = "bad_request";
      message =
          "the request is not valid HTTP/1.1"
              + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
    send(request.response().putHeader("connection", "close"), status, error(code, message, null));
  }

  /**
   * Retry-After of {@code starting}, in seconds: a node (and its Flink, cluster member and pool)
   * comes up within seconds to tens of seconds, so a client asks again a few times meanwhile.
   */
  public static final int STARTING_RETRY_AFTER_S = 5;

  /**
   * Retry-After, in seconds, of a 503 for a store, Kafka or the cluster that did not answer or is
   * behind ({@code recording_backlog}, {@code store_unavailable}, …): none of them says when it
   * will be back, so the shortest the header can say; a client that meets the answer again backs
   * off.
   */
  public static final int UNAVAILABLE_RETRY_AFTER_S = 1;

  /**
   * 503 for a request the node cannot serve now but may soon, with {@code Retry-After: 1} ({@link
   * #UNAVAILABLE_RETRY_AFTER_S}): the client sends the same request again after it. Not for a node
   * that drains or stops ({@code node_draining}, {@code shutting_down}): there the client goes to
   * another node.
   */
  public static void unavailable(RoutingContext ctx, String code, String message, String field) {
    unavailable(ctx, code, message, field, UNAVAILABLE_RETRY_AFTER_S);
  }

  private static void unavailable(
      RoutingContext ctx, String code, String message, String field, int retryAfterSeconds) {
    if (ctx.response().ended()) {
      return;
    }
    send(
        ctx.response().putHeader("retry-after", Integer.toString(retryAfterSeconds)),
        503,
        error(code, message, field));
  }

  /** 503 {@code starting}: what the request needs has not started yet. */
  public static void starting(RoutingContext ctx, String message) {
    unavailable(ctx, "starting", message, null, STARTING_RETRY_AFTER_S);
  }

  /** 429 with a Retry-After header (seconds, rounded up) and the exact wait in the body. */
  public static void tooMany(RoutingContext ctx, String code, String message, long retryAfterMs) {
    send(
        ctx.response()
            .putHeader("retry-after", Long.toString(Math.max(1, (retryAfterMs + 999) / 1000))),
        429,
        error(code, message, null).put("retry_after_ms", retryAfterMs));
  }
}
