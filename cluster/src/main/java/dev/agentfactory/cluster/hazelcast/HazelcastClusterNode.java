package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.cluster.ClusterState;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import dev.agentfactory.cluster.ClusterConfig;
import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.ClusterHealth;
import dev.agentfactory.cluster.ClusterNode;
import dev.agentfactory.cluster.KeyRevocations;
import dev.agentfactory.cluster.lease.LeaseRegistry;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.sandbox.SandboxPool;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ClusterNode} as an embedded Hazelcast member. Owns one named single-thread scheduler,
 * {@code af-cluster-<node>}, for the lease heartbeat, lease reclaim and the other blocking cluster
 * calls, so none of them runs on a caller's thread.
 */
public final class HazelcastClusterNode implements ClusterNode {

  private static final Logger LOG = LoggerFactory.getLogger(HazelcastClusterNode.class);

  private final HazelcastInstance hazelcast;
  private final String nodeId;
  private final String localAddress;
  private final ScheduledExecutorService worker;
  // the heartbeat has a thread of its own: a pool tick or a reclaim that waits on an unreachable
  // member's partitions must never hold back the renewal of this node's leases past their TTL
  private final ScheduledExecutorService beat;
  private final HazelcastLeaseRegistry leases;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ClusterConfig config;
  private final ExecutorService closer;
  private final HazelcastKeyRevocations keyRevocations;
  private HazelcastWarmPool pool;

  private HazelcastClusterNode(HazelcastInstance hazelcast, ClusterConfig config, String nodeId) {
    this.hazelcast = hazelcast;
    this.config = config;
    this.nodeId = nodeId;
    this.localAddress = hazelcast.getCluster().getLocalMember().getAddress().toString();
    this.worker = Executors.newSingleThreadScheduledExecutor(namedDaemon(nodeId, "af-cluster-"));
    this.beat = Executors.newSingleThreadScheduledExecutor(namedDaemon(nodeId, "af-lease-beat-"));
    // sandbox termination waits for processes to die: never on the worker or a caller's thread
    this.closer = Executors.newFixedThreadPool(2, namedDaemon(nodeId, "af-pool-"));
    this.leases =
        new HazelcastLeaseRegistry(
            hazelcast.getMap(HazelcastConfigs.LEASE_MAP),
            hazelcast.getCluster(),
            nodeId,
            config,
            worker,
            key -> hazelcast.getPartitionService().getPartition(key).getPartitionId());
    hazelcast.getCluster().addMembershipListener(new LeaseReclaimer(leases, worker));
    this.keyRevocations =
        new HazelcastKeyRevocations(hazelcast.getTopic(HazelcastConfigs.KEY_REVOCATION_TOPIC));
    long every = config.heartbeatInterval().toMillis();
    if (every > 0) {
      beat.scheduleWithFixedDelay(
          () -> leases.heartbeat(every), every, every, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Starts a member and blocks until it has joined or formed the cluster.
   *
   * @throws ClusterException (not retriable) if the member cannot start
   */
  public static ClusterNode start(ClusterConfig config) {
    CallbackPool.installIfNeeded();
    // not the member UUID, which a split-brain merge replaces (NodeIds)
    String nodeId = NodeIds.newId();
    HazelcastInstance hazelcast;
    try {
      hazelcast = Hazelcast.newHazelcastInstance(HazelcastConfigs.toHazelcast(config, nodeId));
    } catch (RuntimeException e) {
      throw new ClusterException(
          "cluster.start",
          "cluster member failed to start with " + config + ": " + e.getMessage(),
          false,
          e);
    }
    awaitQuorum(hazelcast, config);
    HazelcastClusterNode node;
    try {
      node = new HazelcastClusterNode(hazelcast, config, nodeId);
    } catch (RuntimeException e) {
      hazelcast.getLifecycleService().terminate();
      throw new ClusterException("cluster.start", "cluster node failed to start", false, e);
    }
    LOG.info(
        "Cluster node {} (member {}) started at {} in cluster '{}' with {} members",
        node.nodeId,
        hazelcast.getCluster().getLocalMember().getUuid(),
        node.localAddress,
        config.clusterName(),
        hazelcast.getCluster().getMembers().size());
    return node;
  }

  /**
   * With a lease quorum, the lease map refuses every operation (creating its proxy and indexes
   * included) until that many members are present; a node started a moment before its peers must
   * wait for them instead of failing. It waits as long as it takes, saying so every 10 s, and gives
   * up only when the member is shut down meanwhile.
   */
  private static void awaitQuorum(HazelcastInstance hazelcast, ClusterConfig config) {
    int quorum = config.leaseQuorum();
    if (quorum <= 1) {
      return;
    }
    long nextLog = 0;
    while (true) {
      int members;
      try {
        members = hazelcast.getCluster().getMembers().size();
      } catch (HazelcastInstanceNotActiveException e) {
        throw new ClusterException(
            "cluster.start", "cluster member stopped while waiting for its lease quorum", false, e);
      }
      if (members >= quorum) {
        return;
      }
      long now = System.nanoTime();
      if (now >= nextLog) {
        LOG.info(
            "waiting for the lease quorum: {} of {} members present (af.lease-quorum)",
            members,
            quorum);
        nextLog = now + TimeUnit.SECONDS.toNanos(10);
      }
      if (!hazelcast.getLifecycleService().isRunning()) {
        throw new ClusterException(
            "cluster.start", "cluster member stopped while waiting for its lease quorum", false);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        hazelcast.getLifecycleService().terminate();
        throw new ClusterException(
            "cluster.start", "interrupted while waiting for the lease quorum", false, e);
      }
    }
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public ClusterHealth health() {
    int held = leases.heldLeases();
    if (closed.get() || !hazelcast.getLifecycleService().isRunning()) {
      return new ClusterHealth(ClusterHealth.State.STOPPED, 0, localAddress, nodeId, held);
    }
    try {
      ClusterState state = hazelcast.getCluster().getClusterState();
      int members = hazelcast.getCluster().getMembers().size();
      ClusterHealth.State ours =
          state == ClusterState.ACTIVE ? ClusterHealth.State.ACTIVE : ClusterHealth.State.DEGRADED;
      return new ClusterHealth(ours, members, localAddress, nodeId, held);
    } catch (HazelcastInstanceNotActiveException e) {
      return new ClusterHealth(ClusterHealth.State.STOPPED, 0, localAddress, nodeId, held);
    }
  }

  @Override
  public LeaseRegistry leases() {
    return leases;
  }

  @Override
  public KeyRevocations keyRevocations() {
    return keyRevocations;
  }

  @Override
  public synchronized WarmPool pool(SandboxPool local) {
    if (pool == null) {
      pool = new HazelcastWarmPool(hazelcast, leases, local, config.pool(), nodeId, worker, closer);
    }
    return pool;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    HazelcastWarmPool attached;
    synchronized (this) {
      attached = pool;
    }
    if (attached != null) {
      try {
        attached.close();
      } catch (RuntimeException e) {
        LOG.warn("closing the pool of node {} failed", nodeId, e);
      }
    }
    beat.shutdownNow();
    leases.close();
    worker.shutdownNow();
    closer.shutdown();
    try {
      if (!worker.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.warn("Cluster worker of node {} did not stop within 5 s", nodeId);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    hazelcast.shutdown();
    LOG.info("Cluster node {} left the cluster", nodeId);
  }

  /** The member, for tests in this package (e.g. a hard kill). */
  HazelcastInstance hazelcast() {
    return hazelcast;
  }

  private static java.util.concurrent.ThreadFactory namedDaemon(String nodeId, String name) {
    AtomicInteger count = new AtomicInteger();
    String prefix = name + nodeId.substring(0, 8) + "-";
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
