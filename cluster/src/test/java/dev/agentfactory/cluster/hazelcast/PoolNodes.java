package dev.agentfactory.cluster.hazelcast;

import dev.agentfactory.cluster.ClusterConfig;
import dev.agentfactory.cluster.ClusterNode;
import dev.agentfactory.cluster.pool.PoolConfig;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.sandbox.SandboxPool;
import dev.agentfactory.sandbox.driver.Isolation;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Cluster members in this JVM, each with a real local sandbox pool (process isolation: real sandbox
 * processes, no namespaces, so the tests run wherever the build runs).
 */
final class PoolNodes implements AutoCloseable {

  /** A member with its sandbox pool and its part of the distributed pool. */
  record Node(ClusterNode cluster, LocalSandboxPool sandboxes, WarmPool pool) {
    String id() {
      return cluster.nodeId();
    }
  }

  private final TestCluster cluster;
  private final List<LocalSandboxPool> sandboxPools = new ArrayList<>();

  PoolNodes(int size) {
    this.cluster = TestCluster.onFreePorts(size);
  }

  /** Starts a member whose local pool keeps {@code warm} shell sandboxes ready. */
  Node start(int warm, PoolConfig pool, UnaryOperator<ClusterConfig.Builder> tweak) {
    return start(warm, pool, tweak, sandboxes -> sandboxes);
  }

  /**
   * Starts a member whose distributed pool sees its local pool through {@code wrap} (e.g. to make
   * it fail).
   */
  Node start(
      int warm,
      PoolConfig pool,
      UnaryOperator<ClusterConfig.Builder> tweak,
      Function<LocalSandboxPool, SandboxPool> wrap) {
    Path workDir =
        Path.of(System.getProperty("java.io.tmpdir"), "af-it-pool", UUID.randomUUID().toString());
    LocalSandboxPool sandboxes =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withIsolation(Isolation.PROCESS)
                .withWarmTarget("shell", warm));
    sandboxPools.add(sandboxes);
    ClusterNode member = cluster.start(b -> tweak.apply(b.pool(pool)));
    return new Node(member, sandboxes, member.pool(wrap.apply(sandboxes)));
  }

  Node start(int warm) {
    return start(warm, fastPool(), b -> b);
  }

  /** The address of member {@code index} (members take their ports in start order by default). */
  String address(int index) {
    return "127.0.0.1:" + cluster.portOf(index);
  }

  int portOf(int index) {
    return cluster.portOf(index);
  }

  static PoolConfig fastPool() {
    return PoolConfig.defaults().withCapacity(1).withAdvertiseInterval(Duration.ofMillis(100));
  }

  @Override
  public void close() {
    cluster.close();
    for (LocalSandboxPool pool : sandboxPools) {
      pool.close();
    }
  }
}
