package dev.agentfactory.cluster.hazelcast;

import dev.agentfactory.cluster.ClusterConfig;
import dev.agentfactory.cluster.ClusterNode;
import dev.agentfactory.testing.TestPorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/**
 * Real Hazelcast members in this JVM on 127.0.0.1, from {@code basePort} up (clear of a node on
 * 5701), each listing all the others over TCP-IP.
 */
final class TestCluster implements AutoCloseable {

  private final List<ClusterNode> nodes = new ArrayList<>();
  private final int basePort;
  private final int size;

  private final List<Integer> freePorts;

  TestCluster(int basePort, int size) {
    this.basePort = basePort;
    this.size = size;
    this.freePorts = List.of();
  }

  private TestCluster(List<Integer> freePorts) {
    this.basePort = freePorts.get(0);
    this.size = freePorts.size();
    this.freePorts = freePorts;
  }

  /**
   * Up to {@code size} members on ports that were free just now, drawn below Linux's ephemeral
   * range ({@link TestPorts#free()}): with auto-increment off a member whose port is taken fails to
   * start (seen once in CI, LeaseHeartbeatIT, port 34395, when it was drawn from that range).
   */
  static TestCluster onFreePorts(int size) {
    List<Integer> ports = new ArrayList<>();
    while (ports.size() < size) {
      int port = TestPorts.free();
      if (!ports.contains(port)) {
        ports.add(port);
      }
    }
    return new TestCluster(ports);
  }

  /** A config for one of this cluster's members; {@code tweak} adjusts it. */
  ClusterConfig config(UnaryOperator<ClusterConfig.Builder> tweak) {
    List<String> members =
        freePorts.isEmpty()
            ? IntStream.range(0, size).mapToObj(i -> "127.0.0.1:" + (basePort + i)).toList()
            : freePorts.stream().map(p -> "127.0.0.1:" + p).toList();
    int port = freePorts.isEmpty() ? basePort : freePorts.get(nodes.size() % size);
    return tweak
        .apply(
            ClusterConfig.builder()
                .clusterName("af-it-" + basePort)
                .port(port)
                .portAutoIncrement(freePorts.isEmpty())
                .bindAddress("127.0.0.1")
                .members(members))
        .build();
  }

  /** The port of member {@code index} of a cluster on free ports. */
  int portOf(int index) {
    return freePorts.get(index);
  }

  ClusterNode start(UnaryOperator<ClusterConfig.Builder> tweak) {
    return start(config(tweak));
  }

  ClusterNode start(ClusterConfig config) {
    ClusterNode node = ClusterNode.start(config);
    nodes.add(node);
    return node;
  }

  /** Starts all {@code size} members with the same tweak and waits until they see each other. */
  List<ClusterNode> startAll(UnaryOperator<ClusterConfig.Builder> tweak) {
    return start(size, tweak);
  }

  /** Starts {@code count} members with the same tweak and waits until they see each other. */
  List<ClusterNode> start(int count, UnaryOperator<ClusterConfig.Builder> tweak) {
    List<ClusterNode> started = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      started.add(start(tweak));
    }
    await(
        Duration.ofSeconds(30),
        "all members see each other",
        () -> started.stream().allMatch(n -> n.health().memberCount() == count));
    return started;
  }

  /** Kills a member without a goodbye: no partition hand-over, no leave message. */
  static void terminate(ClusterNode node) {
    ((HazelcastClusterNode) node).hazelcast().getLifecycleService().terminate();
  }

  /** Polls {@code condition} every 50 ms until it holds; fails after {@code timeout}. */
  static void await(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting until " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }

  @Override
  public void close() {
    for (ClusterNode node : nodes) {
      node.close();
    }
    nodes.clear();
  }
}
