package dev.agentfactory.cluster;

import dev.agentfactory.cluster.hazelcast.HazelcastClusterNode;
import dev.agentfactory.cluster.lease.LeaseRegistry;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.sandbox.SandboxPool;

/**
 * This process's membership in the Agent Factory cluster. One per node; the node process owns its
 * lifecycle and closes it on shutdown (the Hazelcast shutdown hook is off).
 *
 * <pre>{@code
 * ClusterNode node = ClusterNode.start(ClusterConfig.defaults()); // blocks: call on a worker thread
 * Lease lease = node.leases().acquire("sbx-1", "session-9", "python").toCompletableFuture().join();
 * ...
 * node.close();
 * }</pre>
 */
public interface ClusterNode extends AutoCloseable {

  /**
   * Starts a member and joins (or forms) the cluster. Blocks for the join, typically one to a few
   * seconds: never call it on an event loop.
   *
   * @throws ClusterException if the member cannot start (e.g. the port is taken)
   */
  static ClusterNode start(ClusterConfig config) {
    return HazelcastClusterNode.start(config);
  }

  /**
   * This node's id, made at start and unique per process lifetime; it is the {@code ownerNode} of
   * its leases. It is not the Hazelcast member UUID and does not change when a split-brain merge
   * gives the member a new one.
   */
  String nodeId();

  /** A cheap snapshot of membership and state; safe to call from an event loop. */
  ClusterHealth health();

  /** The cluster-wide lease registry, acting as this node. */
  LeaseRegistry leases();

  /** Cluster-wide notices of revoked API keys, sent and received as this node. */
  KeyRevocations keyRevocations();

  /**
   * Joins this node's local sandbox pool to the distributed warm pool: the node starts advertising
   * its stock, takes its share of the cluster-wide targets ({@code ClusterConfig#pool()}) and lends
   * to peers. Call once; later calls return the same pool.
   */
  WarmPool pool(SandboxPool local);

  /**
   * Stops the heartbeat and leaves the cluster gracefully (partitions are handed over first). The
   * survivors reclaim this node's leases. Blocks; idempotent.
   */
  @Override
  void close();
}
