package dev.agentfactory.edge;

import dev.agentfactory.cluster.ClusterConfig;
import dev.agentfactory.cluster.ClusterNode;
import dev.agentfactory.cluster.lease.LeaseRegistry;
import dev.agentfactory.cluster.pool.PoolConfig;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.sandbox.driver.Isolation;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import dev.agentfactory.testing.TestPorts;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * A real one-member cluster (or a member joining another) whose warm pool serves process sandboxes
 * from a local pool, for the edge's drain and borrowing ITs: the pool drains and lends as a node's
 * does.
 */
public final class OneMemberCluster implements AutoCloseable {

  private final ClusterNode cluster;
  private final LocalSandboxPool sandboxes;
  private final WarmPool pool;
  private final int port;

  /** {@code warm} sandboxes of template {@code shell} kept ready. */
  public OneMemberCluster(String name, Duration drainTimeout, int warm) throws IOException {
    this(name, drainTimeout, warm, null);
  }

  /**
   * A member that joins {@code join} (another member's {@code host:port}), or starts a cluster of
   * its own if null; {@code warm} sandboxes of template {@code shell} kept ready.
   */
  public OneMemberCluster(String name, Duration drainTimeout, int warm, String join)
      throws IOException {
    this(name, drainTimeout, warm, join, UnaryOperator.identity());
  }

  /**
   * As {@link #OneMemberCluster(String, Duration, int, String)}, with {@code tweak} applied to the
   * member's config last (e.g. a lease TTL, quotas).
   */
  public OneMemberCluster(
      String name,
      Duration drainTimeout,
      int warm,
      String join,
      UnaryOperator<ClusterConfig.Builder> tweak)
      throws IOException {
    // the port may be taken between its draw and the member's bind (seen once in CI)
    TestPorts.OnPort<ClusterNode> started =
        TestPorts.startOnFree(
            chosen ->
                ClusterNode.start(
                    tweak
                        .apply(
                            ClusterConfig.builder()
                                .clusterName(name)
                                .port(chosen)
                                .portAutoIncrement(false)
                                .members(List.of(join != null ? join : "127.0.0.1:" + chosen))
                                .pool(pool(drainTimeout)))
                        .build()));
    port = started.port();
    cluster = started.server();
    sandboxes =
        new LocalSandboxPool(
            SandboxConfig.defaults(
                    Path.of(
                        System.getProperty("java.io.tmpdir"),
                        "af-it-" + name,
                        "" + UUID.randomUUID()))
                .withIsolation(Isolation.PROCESS)
                .withWarmTarget("shell", warm));
    pool = cluster.pool(sandboxes);
  }

  /** The pool settings every member here starts with. */
  public static PoolConfig pool(Duration drainTimeout) {
    return PoolConfig.defaults()
        .withAdvertiseInterval(Duration.ofMillis(100))
        .withDrainTimeout(drainTimeout);
  }

  /** The cluster's lease records, as this member sees them. */
  public LeaseRegistry leases() {
    return cluster.leases();
  }

  public WarmPool pool() {
    return pool;
  }

  /** This member's Hazelcast port. */
  public int port() {
    return port;
  }

  public String nodeId() {
    return cluster.nodeId();
  }

  @Override
  public void close() {
    cluster.close();
    sandboxes.close();
  }
}
