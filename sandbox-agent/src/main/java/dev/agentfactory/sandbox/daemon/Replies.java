package dev.agentfactory.sandbox.daemon;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Answers in the API's shapes, and the hop from the event loop to the daemon's workers. */
final class Replies {

  private static final Logger LOG = LoggerFactory.getLogger(Replies.class);

  private final Executor workers;

  Replies(Executor workers) {
    this.workers = workers;
  }

  /**
   * Runs {@code call} on a worker (sandbox calls may take locks or touch the host) and completes on
   * the caller's Vert.x context.
   */
  <T> Future<T> onWorker(RoutingContext ctx, Supplier<CompletionStage<T>> call) {
    CompletableFuture<T> result;
    try {
      result = CompletableFuture.supplyAsync(call, workers).thenCompose(s -> s);
    } catch (RejectedExecutionException e) {
      result =
          CompletableFuture.failedFuture(
              new ApiException(503, "shutting_down", "the sandbox-agent is shutting down", null));
    }
    return Future.fromCompletionStage(result, ctx.vertx().getOrCreateContext());
  }

  /** Runs {@code task} on a worker, or here when the workers are shutting down. */
  void background(Runnable task) {
    try {
      workers.execute(task);
    } catch (RejectedExecutionException e) {
      task.run();
    }
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended()) {
      return;
    }
    boolean unread = bodyUnread(ctx);
    if (unread) {
      // Answered before the request body was read (413 on its content-length, 401 before any
      // body handler). Nothing would ever read the rest of the body, and the connection stayed
      // open: a keep-alive client's next request behind it would never be read. So: Connection:
      // close, the rest of the body read and dropped (closing at once would reset the connection
      // under a client still sending, and it would lose this reply), then the connection closed.
      ctx.response().putHeader("connection", "close");
    }
    Future<Void> sent =
        ctx.response()
            .setStatusCode(status)
            .putHeader("content-type", "application/json")
            .end(body.encode());
    if (unread) {
      drainThenClose(ctx.request(), sent);
    }
  }

  /** Beyond this much dropped body the connection is closed without reading further. */
  static final long DRAIN_LIMIT = 64L << 20;

  private static void drainThenClose(HttpServerRequest request, Future<Void> sent) {
    AtomicLong dropped = new AtomicLong();
    Runnable close = () -> sent.onComplete(ar -> request.connection().close());
    request.exceptionHandler(e -> request.connection().close());
    request.handler(
        chunk -> {
          if (dropped.addAndGet(chunk.length()) > DRAIN_LIMIT) {
            request.connection().close();
          }
        });
    request.endHandler(v -> close.run());
    request.resume();
  }

  /**
   * Whether the request has a body that was not read to its end. (Not {@code ctx.body()
   * .available()}: the body handler sets that even when it refuses the body unread.)
   */
  static boolean bodyUnread(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String length = request.getHeader("content-length");
    boolean hasBody =
        request.headers().contains("transfer-encoding")
            || (length != null && !length.strip().equals("0"));
    return hasBody && !request.isEnded();
  }

  static void error(RoutingContext ctx, ApiException e) {
    if (e.status() >= 500) {
      LOG.warn(
          "{} {} failed: {} {}",
          ctx.request().method(),
          ctx.request().path(),
          e.code(),
          e.getMessage());
    }
    if (e.retryAfterSeconds() > 0 && !ctx.response().ended()) {
      ctx.response().putHeader("retry-after", Integer.toString(e.retryAfterSeconds()));
    }
    json(ctx, e.status(), e.toJson());
  }

  /** The typed error for any failure; {@code pathField} names the field of file errors. */
  static void fail(RoutingContext ctx, Throwable t, String pathField) {
    ApiException e = ApiException.from(t, pathField);
    if (e.code().equals("internal")) {
      LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), t);
    }
    error(ctx, e);
  }
}
