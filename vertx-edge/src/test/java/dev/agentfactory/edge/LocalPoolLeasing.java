package dev.agentfactory.edge;

import dev.agentfactory.edge.session.LeasedSandbox;
import dev.agentfactory.edge.session.SandboxLeasing;
import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The {@link SandboxLeasing} of the edge ITs: real sandboxes straight from a local pool, without a
 * cluster (node {@code test}, fencing token 1). It records what it leased and released, and injects
 * the faults some tests need: a draining pool, lease answers held back, releases that never answer.
 */
final class LocalPoolLeasing implements SandboxLeasing {

  private final Vertx vertx;
  private final LocalSandboxPool pool;
  private final String isolation;
  private final List<Sandbox> leased = new CopyOnWriteArrayList<>();
  private final List<Sandbox> released = new CopyOnWriteArrayList<>();
  private volatile boolean draining;
  private volatile Promise<Void> holdLeases; // non-null: lease answers wait for it
  private volatile boolean releasesHang;

  LocalPoolLeasing(Vertx vertx, LocalSandboxPool pool) {
    this.vertx = vertx;
    this.pool = pool;
    this.isolation = pool.stats().isolation();
  }

  /** Every sandbox leased so far, in order. */
  List<Sandbox> leased() {
    return leased;
  }

  /** Every sandbox released (and closed) so far, in order. */
  List<Sandbox> released() {
    return released;
  }

  /** Whether the pool reports itself draining (it still leases: the session handler refuses). */
  void draining(boolean draining) {
    this.draining = draining;
  }

  /**
   * Leases from now on take their sandbox at once but answer only once {@code hold} completes; null
   * answers at once again.
   */
  void holdLeases(Promise<Void> hold) {
    this.holdLeases = hold;
  }

  /** Lets every held lease answer; for a test's clean-up. */
  void letLeasesGo() {
    Promise<Void> hold = holdLeases;
    if (hold != null) {
      hold.tryComplete();
    }
  }

  /** Releases from now on never answer (a pool or cluster that hangs), and close nothing. */
  void releasesHang(boolean hang) {
    this.releasesHang = hang;
  }

  /** Closes every sandbox leased (closing one twice is harmless); for a test's clean-up. */
  void closeAll() {
    for (Sandbox box : leased) {
      box.close();
    }
  }

  @Override
  public String node() {
    return "test";
  }

  @Override
  public String isolation() {
    return isolation;
  }

  @Override
  public boolean draining() {
    return draining;
  }

  @Override
  public Future<LeasedSandbox> lease(String sessionId, String template) {
    return lease(sessionId, template, LeaseOptions.NONE);
  }

  @Override
  public Future<LeasedSandbox> lease(String sessionId, String template, LeaseOptions options) {
    Future<LeasedSandbox> lease =
        Future.fromCompletionStage(pool.lease(template, options))
            .map(
                box -> {
                  leased.add(box);
                  return new LeasedSandbox(box, "lease-" + box.id(), 1, "test", isolation);
                });
    Promise<Void> hold = holdLeases;
    return hold == null ? lease : hold.future().compose(v -> lease);
  }

  @Override
  public Future<Void> release(LeasedSandbox lease) {
    if (releasesHang) {
      return Promise.<Void>promise().future();
    }
    return vertx.executeBlocking(
        () -> {
          lease.sandbox().close();
          released.add(lease.sandbox());
          return null;
        },
        false);
  }
}
