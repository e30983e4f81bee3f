package dev.agentfactory.cluster.lease;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Cluster-wide record of which node holds which sandbox. A sandbox is never held by two live
 * leases; every lease has a fencing token and a TTL; a live node renews its leases by heartbeat,
 * and the survivors reclaim the leases of a node that leaves.
 *
 * <p>All methods are non-blocking. Stages may complete on a cluster I/O thread: do not block in
 * dependent actions; hop to your own executor for real work (on Vert.x, {@code
 * Future.fromCompletionStage(stage, context)}).
 *
 * <p><b>Expiry.</b> A lease is live until its {@code expiresAt} in cluster time. After that it can
 * be acquired again even if its holder still believes in it: the new lease has a higher fencing
 * token, and the old holder's renew and release fail with {@link LeaseFencedException}.
 *
 * <pre>{@code
 * leases.acquire(sandboxId, sessionId, "python")
 *     .thenCompose(lease -> runSession(lease).whenComplete((r, e) -> leases.release(lease)));
 * }</pre>
 */
public interface LeaseRegistry {

  /**
   * Grants a lease on {@code sandboxId} to this node, with the configured TTL, and keeps it alive
   * by heartbeat until released or fenced.
   *
   * @return the lease; fails with {@link LeaseConflictException} if the sandbox has a live lease
   */
  CompletionStage<Lease> acquire(String sandboxId, String sessionId, String template);

  /**
   * Extends the lease by one TTL from now, if it is still the sandbox's current lease and has not
   * expired.
   *
   * @return the lease with its new {@code expiresAt}; fails with {@link LeaseFencedException}
   *     otherwise
   */
  CompletionStage<Lease> renew(Lease lease);

  /**
   * Ends the lease if its fencing token is still the sandbox's current one (an expired lease that
   * nobody took over is released too).
   *
   * @return completes when released; fails with {@link LeaseFencedException} if another lease
   *     superseded it
   */
  CompletionStage<Void> release(Lease lease);

  /** The sandbox's live lease, if any. */
  CompletionStage<Optional<Lease>> current(String sandboxId);

  /** The number of live leases across the cluster (a distributed query: not for hot paths). */
  CompletionStage<Long> activeLeases();

  /** The number of leases this node holds and heartbeats; local and cheap. */
  int heldLeases();
}
