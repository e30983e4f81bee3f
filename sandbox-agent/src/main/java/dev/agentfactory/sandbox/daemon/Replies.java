package dev.agentfactory.sandbox.daemon;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
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
    ctx.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(body.encode());
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
