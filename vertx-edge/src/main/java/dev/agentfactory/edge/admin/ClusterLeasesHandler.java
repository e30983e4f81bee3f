package dev.agentfactory.edge.admin;

import dev.agentfactory.cluster.ClusterNode;
import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.auth.Auth;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Supplier;

/**
 * {@code GET /v1/admin/leases} (admin key only, read-only): how many live lease records the whole
 * cluster has and how many this node holds. Operators and the cluster tests use it to see that a
 * lost node's leases were reclaimed and that nothing leaked once the load is gone. The cluster-wide
 * count is a distributed query: fine for an operator, not for a hot path.
 */
public final class ClusterLeasesHandler {

  private final Vertx vertx;
  private final Supplier<ClusterNode> cluster;

  /** {@code cluster} supplies null while the node is starting. */
  public ClusterLeasesHandler(Vertx vertx, Supplier<ClusterNode> cluster) {
    this.vertx = vertx;
    this.cluster = cluster;
  }

  public void get(RoutingContext ctx) {
    Auth.requireAdmin(
        ctx,
        () -> {
          ClusterNode node = cluster.get();
          if (node == null) {
            ApiErrors.starting(ctx, "the cluster member is not up yet");
            return;
          }
          Future.fromCompletionStage(node.leases().activeLeases(), vertx.getOrCreateContext())
              .onSuccess(
                  active ->
                      ctx.response()
                          .putHeader("content-type", "application/json")
                          .end(
                              new JsonObject()
                                  .put("node_id", node.nodeId())
                                  .put("members", node.health().memberCount())
                                  .put("held_by_this_node", node.leases().heldLeases())
                                  .put("active_cluster_wide", active)
                                  .encode()))
              .onFailure(
                  e ->
                      ApiErrors.unavailable(
                          ctx,
                          "cluster_unavailable",
                          "the lease records cannot be counted: " + e.getMessage(),
                          null));
        });
  }
}
