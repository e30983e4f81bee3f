package dev.agentfactory.edge.session;

import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.lease.LeaseRegistry;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxPool;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Leases from this node's warm pool and records the lease cluster-wide with a fencing token, so no
 * sandbox is ever held twice. Terminating a sandbox may wait for its processes to die, so it runs
 * on a worker thread, never on the event loop.
 */
public final class ClusterSandboxLeasing implements SandboxLeasing {

  private final Vertx vertx;
  private final SandboxPool pool;
  private final LeaseRegistry registry;
  private final String isolation;
  private final String node;
  private final Map<String, Lease> leases = new ConcurrentHashMap<>();

  public ClusterSandboxLeasing(
      Vertx vertx, SandboxPool pool, LeaseRegistry registry, String isolation, String node) {
    this.vertx = vertx;
    this.pool = pool;
    this.registry = registry;
    this.isolation = isolation;
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
    return Future.fromCompletionStage(pool.lease(template), vertx.getOrCreateContext())
        .compose(
            sandbox ->
                Future.fromCompletionStage(
                        registry.acquire(sandbox.id(), sessionId, template),
                        vertx.getOrCreateContext())
                    .recover(e -> terminate(sandbox).transform(v -> Future.failedFuture(e)))
                    .map(
                        lease -> {
                          leases.put(lease.leaseId(), lease);
                          return new LeasedSandbox(
                              sandbox,
                              lease.leaseId(),
                              lease.fencingToken(),
                              lease.ownerNode(),
                              isolation);
                        }));
  }

  @Override
  public Future<Void> release(LeasedSandbox leased) {
    Lease lease = leases.remove(leased.leaseId());
    // Terminate first: once the record is gone the sandbox must already be unusable.
    Future<Void> terminated = terminate(leased.sandbox());
    if (lease == null) {
      return terminated;
    }
    return terminated.eventually(
        () -> Future.fromCompletionStage(registry.release(lease), vertx.getOrCreateContext()));
  }

  private Future<Void> terminate(Sandbox sandbox) {
    return vertx.executeBlocking(
        () -> {
          sandbox.close();
          return null;
        },
        false);
  }
}
