package dev.agentfactory.cluster.pool;

import dev.agentfactory.sandbox.LeaseOptions;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The distributed warm pool as seen from one node: leases come from this node's own stock without a
 * network hop, from the peer with the most stock on a local miss, and every lease is recorded
 * cluster-wide with a fencing token and a TTL renewed by heartbeat.
 *
 * <p>Failures are {@link dev.agentfactory.cluster.ClusterException}s with these codes: {@code
 * pool.draining} (retriable: lease on another node), {@code quota.exceeded} (retriable once the
 * tenant releases a lease), {@code pool.*} from the local sandbox pool as its {@code
 * SandboxException}.
 *
 * <pre>{@code
 * WarmPool pool = node.pool(localSandboxPool);
 * pool.addLostListener((leased, reason) -> tellSession(leased.lease().sessionId(), reason.code()));
 * PooledSandbox leased = pool.lease("session-1", "acme", "shell").toCompletableFuture().join();
 * leased.sandbox().exec(ExecRequest.shell("echo hi"), listener);
 * pool.release(leased);
 * }</pre>
 */
public interface WarmPool {

  /**
   * Leases a ready sandbox of {@code template} for a session of {@code tenant}. From local stock
   * the stage is already complete when this returns; the cluster-wide record follows
   * asynchronously.
   */
  CompletionStage<PooledSandbox> lease(String sessionId, String tenant, String template);

  /**
   * Leases with claim-time options (environment, files, a narrower egress policy). Options are
   * applied by the local sandbox pool, so a lease with options never borrows from a peer: on a
   * local miss it starts a sandbox here on demand.
   */
  CompletionStage<PooledSandbox> lease(
      String sessionId, String tenant, String template, LeaseOptions options);

  /**
   * Ends the lease and terminates the sandbox (on its host for a borrowed one). Completes once the
   * sandbox is gone; the record is freed after it. Never throws: a release after the node closed
   * still terminates a local sandbox, and completes without freeing the record (it lapses by its
   * TTL).
   */
  CompletionStage<Void> release(PooledSandbox leased);

  /** Registers a listener for leases that end without a release. */
  void addLostListener(LeaseLostListener listener);

  /**
   * Stops serving and lending leases, gives this node's targets to the others, and completes when
   * every lease of this node has ended or {@link PoolConfig#drainTimeout()} passed, with the status
   * at that moment. Idempotent.
   */
  CompletionStage<DrainStatus> drain();

  /** A cheap snapshot of the drain state. */
  DrainStatus drainStatus();

  /** What every node advertised last, by node id (a local replica: no network). */
  Map<String, NodeStock> stock();

  /** This node's current share of the cluster-wide targets, per template. */
  Map<String, Integer> localTargets();

  PoolCounters counters();
}
