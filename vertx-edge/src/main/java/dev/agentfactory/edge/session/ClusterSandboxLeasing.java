package dev.agentfactory.edge.session;

import dev.agentfactory.cluster.pool.PooledSandbox;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.sandbox.LeaseOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Leases from the distributed warm pool: this node's own stock first (no network hop; the lease is
 * recorded cluster-wide with a fencing token right after), a peer's sandbox on a local miss (used
 * through the peer, the session stays here). Leases that end without a release are reported to the
 * session through {@link #onLost}.
 */
public final class ClusterSandboxLeasing implements SandboxLeasing {

  private final Vertx vertx;
  private final WarmPool pool;
  private final String isolation;
  private final String node;
  private final Map<String, PooledSandbox> leases = new ConcurrentHashMap<>();
  private final Map<String, Consumer<String>> lostHandlers = new ConcurrentHashMap<>();

  public ClusterSandboxLeasing(Vertx vertx, WarmPool pool, String isolation, String node) {
    this.vertx = vertx;
    this.pool = pool;
    this.isolation = isolation;
    pool.addLostListener(
        (leased, reason) -> {
          leases.remove(leased.lease().leaseId());
          Consumer<String> handler = lostHandlers.remove(leased.lease().leaseId());
          if (handler != null) {
            handler.accept(reason.code());
          }
        });
    this.node = node;
  }

  @Override
  public String node() {
    return node;
  }

  @Override
  public String isolation() {
    return isolation;
  }

  @Override
  public Future<LeasedSandbox> lease(String sessionId, String template) {
    return lease(sessionId, "default", template, LeaseOptions.NONE);
  }

  @Override
  public Future<LeasedSandbox> lease(String sessionId, String template, LeaseOptions options) {
    return lease(sessionId, "default", template, options);
  }

  @Override
  public Future<LeasedSandbox> lease(String sessionId, String tenant, String template) {
    return lease(sessionId, tenant, template, LeaseOptions.NONE);
  }

  @Override
  public Future<LeasedSandbox> lease(
      String sessionId, String tenant, String template, LeaseOptions options) {
    return Future.fromCompletionStage(
            pool.lease(sessionId, tenant, template, options), vertx.getOrCreateContext())
        .map(
            pooled -> {
              leases.put(pooled.lease().leaseId(), pooled);
              return new LeasedSandbox(
                  pooled.sandbox(),
                  pooled.lease().leaseId(),
                  pooled.lease().fencingToken(),
                  pooled.hostNode(),
                  isolation);
            });
  }

  @Override
  public Future<Void> release(LeasedSandbox leased) {
    lostHandlers.remove(leased.leaseId());
    PooledSandbox pooled = leases.remove(leased.leaseId());
    if (pooled == null) {
      // lost already: the pool terminated the sandbox and told the session
      return Future.succeededFuture();
    }
    return Future.fromCompletionStage(pool.release(pooled), vertx.getOrCreateContext());
  }

  @Override
  public void onLost(LeasedSandbox leased, Consumer<String> onLost) {
    if (leases.containsKey(leased.leaseId())) {
      lostHandlers.put(leased.leaseId(), onLost);
    } else {
      onLost.accept("lease_fenced");
    }
  }
}
