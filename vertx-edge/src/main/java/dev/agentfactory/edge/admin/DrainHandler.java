package dev.agentfactory.edge.admin;

import dev.agentfactory.cluster.pool.DrainStatus;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.auth.Auth;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Supplier;

/**
 * {@code POST /v1/admin/drain} (admin key only): this node stops taking and lending leases, hands
 * its warm targets to the other nodes and answers 503 on {@code /ready}; open sessions carry on
 * until they end, except those whose client is gone, which end at once. {@code GET} reports
 * progress. Stop the node once {@code drained} is true (or let SIGTERM drain it and stop).
 */
public final class DrainHandler {

  private final Supplier<WarmPool> pool;
  private final Runnable onDrain;

  /**
   * {@code pool} is null until the node has started; {@code onDrain} runs once the pool drains (the
   * node ends its sessions that only wait for a resume).
   */
  public DrainHandler(Supplier<WarmPool> pool, Runnable onDrain) {
    this.pool = pool;
    this.onDrain = onDrain;
  }

  public void drain(RoutingContext ctx) {
    Auth.requireAdmin(
        ctx,
        () -> {
          WarmPool p = pool.get();
          if (p == null) {
            ApiErrors.starting(ctx, "node is starting");
            return;
          }
          p.drain();
          onDrain.run();
          send(ctx, 202, p.drainStatus());
        });
  }

  public void status(RoutingContext ctx) {
    Auth.requireAdmin(
        ctx,
        () -> {
          WarmPool p = pool.get();
          if (p == null) {
            ApiErrors.starting(ctx, "node is starting");
            return;
          }
          send(ctx, 200, p.drainStatus());
        });
  }

  private static void send(RoutingContext ctx, int status, DrainStatus drain) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(
            new JsonObject()
                .put("draining", drain.draining())
                .put("drained", drain.drained())
                .put("active_leases", drain.activeLeases())
                .put("lent_sandboxes", drain.lentSandboxes())
                .encode());
  }
}
