package dev.agentfactory.edge.session;

import dev.agentfactory.cluster.pool.PooledSandbox;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.sandbox.LeaseOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.CompletionException;
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

  /**
   * Leases the pool lost before their session listened (a lease record can fail while the lease is
   * still on its way to the session), by lease id, with the reason: the session is told when it
   * starts listening, instead of running commands on a sandbox that is being killed.
   */
  private final Map<String, String> lostEarly = new ConcurrentHashMap<>();

  public ClusterSandboxLeasing(Vertx vertx, WarmPool pool, String isolation, String node) {
    this.vertx = vertx;
    this.pool = pool;
    this.isolation = isolation;
    pool.addLostListener(
        (leased, reason) -> {
          String id = leased.lease().leaseId();
          Consumer<String> handler;
          synchronized (lostEarly) {
            leases.remove(id);
            handler = lostHandlers.remove(id);
            if (handler == null) {
              lostEarly.put(id, reason.code());
            }
          }
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
  public boolean draining() {
    return pool.drainStatus().draining();
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
        // a refusal raised in a later stage of the pool (e.g. quota.exceeded after the quota
        // check) arrives in that stage's CompletionException, whose message is the refusal's
        // class name: the session shows the pool's own failure (lease_failed)
        .recover(
            e ->
                Future.failedFuture(
                    e instanceof CompletionException && e.getCause() != null ? e.getCause() : e))
        .map(
            pooled -> {
              synchronized (lostEarly) {
                if (!lostEarly.containsKey(pooled.lease().leaseId())) {
                  leases.put(pooled.lease().leaseId(), pooled);
                }
              }
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
    lostEarly.remove(leased.leaseId());
    PooledSandbox pooled = leases.remove(leased.leaseId());
    if (pooled == null) {
      // lost already: the pool terminated the sandbox and told the session
      return Future.succeededFuture();
    }
    return Future.fromCompletionStage(pool.release(pooled), vertx.getOrCreateContext());
  }

  @Override
  public void onLost(LeasedSandbox leased, Consumer<String> onLost) {
    String code;
    synchronized (lostEarly) {
      code = lostEarly.remove(leased.leaseId());
      if (code == null && leases.containsKey(leased.leaseId())) {
        lostHandlers.put(leased.leaseId(), onLost);
        return;
      }
    }
    onLost.accept(code != null ? code : "lease_fenced");
  }
}
