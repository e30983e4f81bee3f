package dev.agentfactory.clusterit;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Network;
import org.testcontainers.lifecycle.Startables;

/**
 * A cluster of real node processes, one container each, and the faults the tests inject: SIGKILL, a
 * network partition (disconnect from the peers network) and its healing, adding a node. Every
 * container and network carries the label {@code af.cluster-it=<run id>}, and {@link #close()}
 * removes them all.
 */
final class ClusterFixture implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterFixture.class);

  /** The lease TTL the nodes run with: the upper bound for a lost node's leases to lapse. */
  static final Duration LEASE_TTL = Duration.ofSeconds(12);

  /**
   * Failure detection and split-brain merge on a test's time scale. The node's own Hazelcast config
   * wins over these where it sets the same property.
   */
  private static final List<String> HAZELCAST_PROPERTIES =
      List.of(
          "-Dhazelcast.heartbeat.interval.seconds=1",
          "-Dhazelcast.max.no.heartbeat.seconds=6",
          "-Dhazelcast.merge.first.run.delay.seconds=5",
          "-Dhazelcast.merge.next.run.delay.seconds=3",
          "-Dhazelcast.wait.seconds.before.join=1",
          "-Dhazelcast.max.wait.seconds.before.join=3");

  final String runId = "afit-" + UUID.randomUUID().toString().substring(0, 8);
  final String adminKey = "it-admin-" + UUID.randomUUID();
  private final String clusterName = runId;
  private final String clusterSecret = UUID.randomUUID().toString();
  private final DockerClient docker = DockerClientFactory.instance().client();
  private final String image;
  private final String nodeDir;
  private final String version;
  private final Network peers;
  private final Network edge;
  private final String peersPrefix;
  private final String edgePrefix;
  private final List<NodeContainer> nodes = new ArrayList<>();

  /** Nodes that came up and were not killed: where clients send sessions. */
  private final List<NodeContainer> serving = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Nodes that were killed, partitioned or removed: their clients may lose them. */
  private final Set<String> disturbed = ConcurrentHashMap.newKeySet();

  ClusterFixture() {
    nodeDir = System.getProperty("af.it.node.dir", "../vertx-edge/target");
    version = System.getProperty("af.it.version", "0.1.0-SNAPSHOT");
    Path jar = Path.of(nodeDir, "vertx-edge-" + version + ".jar");
    if (!Files.isRegularFile(jar) || !Files.isDirectory(Path.of(nodeDir, "lib"))) {
      throw new IllegalStateException(
          jar + " or its lib/ is missing: build vertx-edge first (mvn -pl cluster-it -am verify)");
    }
    image = NodeImage.ensure(docker);
    // Two /24s with a random third octet: two runs on one machine do not collide
    int third = ThreadLocalRandom.current().nextInt(16, 250);
    peersPrefix = "10.231." + third + ".";
    edgePrefix = "10.232." + third + ".";
    peers = network(peersPrefix);
    edge = network(edgePrefix);
  }

  private Network network(String prefix) {
    Network network =
        Network.builder()
            .createNetworkCmdModifier(
                cmd ->
                    cmd.withLabels(Map.of("af.cluster-it", runId))
                        .withIpam(
                            new com.github.dockerjava.api.model.Network.Ipam()
                                .withConfig(
                                    new com.github.dockerjava.api.model.Network.Ipam.Config()
                                        .withSubnet(prefix + "0/24"))))
            .build();
    network.getId(); // created lazily: create it now, so a clash fails here
    return network;
  }

  /** The first {@code count} nodes, started side by side; returns once each serves sessions. */
  List<NodeContainer> start(int count) {
    List<NodeContainer> started = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      started.add(newNode());
    }
    Startables.deepStart(started).join();
    started.forEach(this::awaitReady);
    serving.addAll(started);
    return started;
  }

  /** One more node, joining through the members it is given. */
  NodeContainer addNode() {
    NodeContainer node = newNode();
    node.start();
    awaitReady(node);
    serving.add(node);
    return node;
  }

  private NodeContainer newNode() {
    int slot = nodes.size() + 1;
    String name = "node" + slot;
    // every node lists the first three and itself: enough to find the cluster
    List<String> members = new ArrayList<>();
    for (int i = 1; i <= Math.max(3, slot); i++) {
      if (i <= 3 || i == slot) {
        members.add(peersPrefix + (10 + i) + ":" + NodeContainer.CLUSTER_PORT);
      }
    }
    NodeContainer node =
        new NodeContainer(
            image,
            new NodeContainer.Spec(
                runId,
                name,
                peers,
                peersPrefix + (10 + slot),
                edge,
                edgePrefix + (10 + slot),
                members,
                clusterName,
                clusterSecret,
                adminKey,
                LEASE_TTL,
                HAZELCAST_PROPERTIES,
                Path.of(nodeDir).toAbsolutePath().normalize().toString(),
                version));
    nodes.add(node);
    return node;
  }

  private void awaitReady(NodeContainer node) {
    await("node " + node.name() + " ready")
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> api(node).ready());
  }

  NodeApi api(NodeContainer node) {
    return new NodeApi(node, adminKey);
  }

  /** Nodes that came up and were not killed (a partitioned node still counts). */
  List<NodeContainer> running() {
    return List.copyOf(serving);
  }

  /** Starts a new scenario: no node is disturbed yet. */
  void clearDisturbed() {
    disturbed.clear();
  }

  boolean isDisturbed(String nodeName) {
    return disturbed.contains(nodeName);
  }

  /** Waits until every given node sees exactly {@code size} members. */
  void awaitMembers(List<NodeContainer> which, int size, Duration atMost) {
    await("every one of " + names(which) + " sees " + size + " members")
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> which.stream().allMatch(n -> api(n).members() == size));
  }

  /** {@code docker kill --signal=KILL}: no shutdown hook, no goodbye to the cluster. */
  void kill(NodeContainer node) {
    disturbed.add(node.name());
    serving.remove(node);
    LOG.info("SIGKILL {}", node.name());
    docker.killContainerCmd(node.getContainerId()).withSignal("KILL").exec();
  }

  /** {@code docker stop}: SIGTERM, so the node drains (already drained: at once) and leaves. */
  void stop(NodeContainer node) {
    serving.remove(node);
    LOG.info("SIGTERM {}", node.name());
    docker.stopContainerCmd(node.getContainerId()).withTimeout(90).exec();
  }

  /** Cuts the node off from its peers; its clients still reach it over the edge network. */
  void partition(NodeContainer node) {
    disturbed.add(node.name());
    LOG.info("partition {} from its peers", node.name());
    docker
        .disconnectFromNetworkCmd()
        .withNetworkId(peers.getId())
        .withContainerId(node.getContainerId())
        .withForce(true)
        .exec();
  }

  /** Reconnects a partitioned node at its old address. */
  void heal(NodeContainer node) {
    LOG.info("heal the partition of {}", node.name());
    docker
        .connectToNetworkCmd()
        .withNetworkId(peers.getId())
        .withContainerId(node.getContainerId())
        .withContainerNetwork(
            new ContainerNetwork()
                .withIpamConfig(new ContainerNetwork.Ipam().withIpv4Address(node.peerIp()))
                .withAliases(node.name()))
        .exec();
  }

  /** Marks a node whose clients may be cut off for a reason other than a fault (e.g. drain). */
  void expectDisconnects(NodeContainer node) {
    disturbed.add(node.name());
  }

  /** Containers of this run that Docker still has, running or not. */
  List<Container> leftoverContainers() {
    return docker
        .listContainersCmd()
        .withShowAll(true)
        .withLabelFilter(Map.of("af.cluster-it", runId))
        .exec();
  }

  private static List<String> names(List<NodeContainer> which) {
    return which.stream().map(NodeContainer::name).toList();
  }

  /** Stops and removes every container of the run, then both networks. */
  @Override
  public void close() {
    for (NodeContainer node : nodes) {
      try {
        node.stop(); // removes the container (and its tmpfs) too, killed or not
      } catch (RuntimeException e) {
        LOG.warn("stopping {} failed", node.name(), e);
      }
    }
    peers.close();
    edge.close();
  }
}
