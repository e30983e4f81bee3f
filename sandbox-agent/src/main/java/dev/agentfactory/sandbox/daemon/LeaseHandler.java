package dev.agentfactory.sandbox.daemon;

import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxPool;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/** {@code /v1/leases}: lease, list, inspect, end, heartbeat, pause, resume, hibernate. */
final class LeaseHandler {

  private final SandboxPool pool;
  private final LeaseRegistry leases;
  private final Replies replies;
  private final Duration defaultTtl;
  private final Duration maxTtl;
  private final Duration leaseTimeout;

  /**
   * @param leaseTimeout how long a lease request may wait for its sandbox before it is answered
   *     {@code 503 lease_timeout}; a sandbox that arrives later is terminated
   */
  LeaseHandler(
      SandboxPool pool,
      LeaseRegistry leases,
      Replies replies,
      Duration defaultTtl,
      Duration maxTtl,
      Duration leaseTimeout) {
    this.pool = pool;
    this.leases = leases;
    this.replies = replies;
    this.defaultTtl = defaultTtl;
    this.maxTtl = maxTtl;
    this.leaseTimeout = leaseTimeout;
  }

  /** {@code POST /v1/leases}. */
  void create(RoutingContext ctx) {
    LeaseRequest request;
    try {
      request = LeaseRequest.parse(Bodies.object(ctx.body().buffer()), maxTtl);
    } catch (ApiException e) {
      Replies.error(ctx, e);
      return;
    }
    Duration ttl = request.ttl() == null ? defaultTtl : request.ttl();
    // Every lease request is answered within leaseTimeout, whatever the pool does: a start stuck
    // behind other work must not leave the caller (an edge node) waiting on a silent socket
    Promise<Sandbox> answer = Promise.promise();
    long deadline =
        ctx.vertx()
            .setTimer(
                leaseTimeout.toMillis(),
                t ->
                    answer.tryFail(
                        ApiException.unavailable(
                            "lease_timeout",
                            "no '"
                                + request.template()
                                + "' sandbox could be handed over within "
                                + leaseTimeout.toMillis()
                                + " ms; try again")));
    replies
        .onWorker(ctx, () -> pool.lease(request.template(), request.options()))
        .onComplete(
            ar -> {
              ctx.vertx().cancelTimer(deadline);
              boolean answered =
                  ar.succeeded() ? answer.tryComplete(ar.result()) : answer.tryFail(ar.cause());
              if (!answered && ar.succeeded()) {
                // too late: the caller was told lease_timeout and will never use it
                Sandbox late = ar.result();
                replies.background(late::close);
              }
            });
    answer
        .future()
        .onSuccess(
            sandbox -> {
              try {
                Lease lease = leases.add(sandbox, ttl);
                if (ctx.response().closed()) {
                  // the caller is gone: nobody would ever use or end this lease
                  leases.remove(lease.id(), "the caller left before the lease was answered");
                  return;
                }
                Replies.json(ctx, 201, lease.toJson());
              } catch (ApiException e) {
                Replies.error(ctx, e);
              }
            })
        .onFailure(e -> Replies.fail(ctx, e, null));
  }

  /** {@code GET /v1/leases}. */
  void list(RoutingContext ctx) {
    JsonArray out = new JsonArray();
    leases.all().forEach(l -> out.add(l.toJson()));
    Replies.json(ctx, 200, new JsonObject().put("leases", out));
  }

  /** {@code GET /v1/leases/:id}; like every call on a lease, it renews the TTL. */
  void get(RoutingContext ctx) {
    withLease(ctx, lease -> Replies.json(ctx, 200, lease.toJson()));
  }

  /** {@code POST /v1/leases/:id/heartbeat}. */
  void heartbeat(RoutingContext ctx) {
    get(ctx);
  }

  /** {@code DELETE /v1/leases/:id}: ends the lease and terminates its sandbox. */
  void delete(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (leases.remove(id, "deleted by its holder")) {
      ctx.response().setStatusCode(204).end();
    } else {
      Replies.error(ctx, ApiException.unknownLease(id));
    }
  }

  void pause(RoutingContext ctx) {
    lifecycle(ctx, Sandbox::pause);
  }

  void resume(RoutingContext ctx) {
    lifecycle(ctx, Sandbox::resume);
  }

  void hibernate(RoutingContext ctx) {
    lifecycle(ctx, Sandbox::hibernate);
  }

  private void lifecycle(RoutingContext ctx, Function<Sandbox, CompletionStage<Void>> action) {
    withLease(
        ctx,
        lease ->
            replies
                .onWorker(ctx, () -> action.apply(lease.sandbox()))
                .onSuccess(v -> Replies.json(ctx, 200, lease.toJson()))
                .onFailure(e -> Replies.fail(ctx, e, null)));
  }

  /** Runs {@code then} with the renewed lease of the {@code :id} path parameter. */
  void withLease(RoutingContext ctx, java.util.function.Consumer<Lease> then) {
    Lease lease;
    try {
      lease = leases.renew(ctx.pathParam("id"));
    } catch (ApiException e) {
      Replies.error(ctx, e);
      return;
    }
    then.accept(lease);
  }
}
