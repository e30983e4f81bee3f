package dev.agentfactory.edge;

import dev.agentfactory.cluster.ClusterNode;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.edge.health.ClusterStatus;
import dev.agentfactory.edge.health.ComponentStatus;
import dev.agentfactory.edge.health.NodeHealth;
import dev.agentfactory.sandbox.PoolStats;
import dev.agentfactory.sandbox.SandboxPool;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health of a node's components after start-up: the cluster and the sandbox pool here, Kafka
 * and the pipeline job through the {@link DataPlane}; and the wait for all of them at start-up.
 */
final class NodeProbes {

  // the node's log category, as before this class was split out of it
  private static final Logger LOG = LoggerFactory.getLogger(AgentFactoryNode.class);

  private final NodeConfig config;
  private final NodeHealth health;
  private final DataPlane data;
  private final StartGuard guard;

  /** Whether the "alone in the cluster" warning was logged since the node last saw a peer. */
  private final AtomicBoolean aloneWarned = new AtomicBoolean();

  NodeProbes(NodeConfig config, NodeHealth health, DataPlane data, StartGuard guard) {
    this.config = config;
    this.health = health;
    this.data = data;
    this.guard = guard;
  }

  /** Refreshes the health of the components that can change after start-up. */
  void probe(ClusterNode cluster, SandboxPool pool) {
    ComponentStatus clusterStatus = ClusterStatus.of(cluster.health(), config.cluster().members());
    if (clusterStatus.state() == ComponentStatus.State.DEGRADED
        && aloneWarned.compareAndSet(false, true)) {
      LOG.warn("cluster: {}", clusterStatus.detail().get("reason"));
    } else if (clusterStatus.state() == ComponentStatus.State.UP) {
      aloneWarned.set(false);
    }
    health.report(NodeHealth.HAZELCAST, clusterStatus);
    PoolStats stats = pool.stats();
    Map<String, Object> poolDetail = new LinkedHashMap<>();
    poolDetail.put("isolation", stats.isolation());
    poolDetail.put("ready", stats.ready());
    poolDetail.put("leased", stats.leased());
    poolDetail.put("target", stats.target());
    health.report(NodeHealth.SANDBOX_POOL, ComponentStatus.up(poolDetail));
    data.probe();
  }

  /**
   * Waits until every component is healthy and the pipeline job runs: {@code /health} counts a job
   * Flink still deploys or restarts as healthy ({@code DEGRADED}), but a node that started serves
   * its data plane.
   */
  void awaitHealthy() {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!health.allUp() || data.deploying()) {
      guard.requireOpen();
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("node not healthy after 2 minutes: " + health.snapshot());
      }
      health.snapshot().values().stream()
          .filter(s -> s.state() == ComponentStatus.State.DOWN)
          .findFirst()
          .ifPresent(
              down -> {
                throw new IllegalStateException("a component is down: " + health.snapshot());
              });
      try {
        Thread.sleep(100); // start-up only, on the caller's thread: never on an event loop
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting", e);
      }
    }
  }
}
