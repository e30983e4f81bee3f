package dev.agentfactory.clusterit;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.ContainerNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.output.Slf4jLogConsumer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * One Agent Factory node ({@code NodeMain}) in its own container, on two Docker networks with fixed
 * addresses: {@code peers} carries Hazelcast traffic only (disconnecting it partitions the node
 * from the cluster), {@code edge} carries the tests' HTTP and WebSocket traffic (so a partitioned
 * node still answers its clients, and says why it cannot lease).
 */
final class NodeContainer extends GenericContainer<NodeContainer> {

  static final int HTTP_PORT = 8080;
  static final int CLUSTER_PORT = 5701;

  private final String name;
  private final String peerIp;
  private final String edgeIp;
  private final Network edge;

  NodeContainer(String image, Spec spec) {
    super(image);
    this.name = spec.name();
    this.peerIp = spec.peerIp();
    this.edgeIp = spec.edgeIp();
    this.edge = spec.edge();
    withImagePullPolicy(imageName -> false); // there is no registry: the image is made here
    withNetwork(spec.peers());
    withNetworkAliases(name);
    withCreateContainerCmdModifier(
        cmd -> {
          cmd.withIpv4Address(peerIp).withName(spec.runId() + "-" + name);
          // af-launch mounts a size-capped tmpfs per sandbox workspace: CAP_SYS_ADMIN, nothing
          // more (sandboxes run with isolation 'process' here; see docs/operations.md)
          cmd.getHostConfig().withCapAdd(Capability.SYS_ADMIN);
        });
    withLabel("af.cluster-it", spec.runId());
    for (String path : NodeImage.hostBinds()) {
      withFileSystemBind(path, path, BindMode.READ_ONLY);
    }
    withFileSystemBind(spec.nodeDir(), "/opt/af", BindMode.READ_ONLY);
    withTmpFs(Map.of("/data", "rw,exec,mode=755", "/tmp", "rw,exec,mode=1777"));
    withEnv("AF_HTTP_HOST", "0.0.0.0");
    withEnv("AF_HTTP_PORT", Integer.toString(HTTP_PORT));
    withEnv("AF_ADMIN_KEY", spec.adminKey());
    withEnv("AF_DATA_DIR", "/data");
    withEnv("AF_DATA_ENABLED", "false");
    withEnv("AF_SANDBOX_ISOLATION", "process");
    withEnv("AF_SANDBOX_POOL_SIZE", "2");
    withEnv("AF_SESSION_RESUME_GRACE_MS", "0");
    withEnv("AF_SESSION_IDLE_PAUSE_MS", "0");
    withEnv("AF_SESSION_IDLE_HIBERNATE_MS", "0");
    withEnv("AF_CLUSTER_NAME", spec.clusterName());
    withEnv("AF_CLUSTER_SECRET", spec.clusterSecret());
    withEnv("AF_CLUSTER_PORT", Integer.toString(CLUSTER_PORT));
    withEnv("AF_CLUSTER_PORT_AUTO_INCREMENT", "false");
    withEnv("AF_CLUSTER_BIND_ADDRESS", "0.0.0.0");
    withEnv("AF_CLUSTER_PUBLIC_ADDRESS", peerIp + ":" + CLUSTER_PORT);
    withEnv("AF_CLUSTER_MEMBERS", String.join(",", spec.members()));
    withEnv("AF_CLUSTER_LEASE_TTL", spec.leaseTtl().toSeconds() + "s");
    withEnv("AF_CLUSTER_HEARTBEAT_INTERVAL", Math.max(1, spec.leaseTtl().toSeconds() / 3) + "s");
    // a majority of the first three: a node cut off alone writes no lease
    withEnv("AF_CLUSTER_LEASE_QUORUM", "2");
    withCommand(command(spec).toArray(String[]::new));
    withLogConsumer(
        new Slf4jLogConsumer(LoggerFactory.getLogger("node." + name)).withSeparateOutputStreams());
    waitingFor(Wait.forLogMessage(".*agent-factory: node up in.*", 1))
        .withStartupTimeout(Duration.ofMinutes(5));
  }

  private static List<String> command(Spec spec) {
    List<String> cmd = new ArrayList<>();
    cmd.add(NodeImage.javaExecutable());
    // small and frugal: four of these share two cores with the test
    cmd.addAll(
        List.of(
            "-Xmx384m",
            "-Xss512k",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:CICompilerCount=1",
            "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.management/sun.management=ALL-UNNAMED",
            "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED"));
    // Failure detection and split-brain merge on a test's time scale (Hazelcast reads these
    // system properties for what the node's own config leaves unset).
    cmd.addAll(spec.hazelcastProperties());
    cmd.addAll(
        List.of(
            "-cp",
            "/opt/af/vertx-edge-" + spec.version() + ".jar:/opt/af/lib/*",
            "dev.agentfactory.edge.NodeMain"));
    return cmd;
  }

  /** Joins the edge network before the node starts, so clients reach it from the first second. */
  @Override
  protected void containerIsCreated(String containerId) {
    getDockerClient()
        .connectToNetworkCmd()
        .withNetworkId(edge.getId())
        .withContainerId(containerId)
        .withContainerNetwork(
            new ContainerNetwork()
                .withIpamConfig(new ContainerNetwork.Ipam().withIpv4Address(edgeIp))
                .withAliases(name + "-edge"))
        .exec();
  }

  String name() {
    return name;
  }

  String peerIp() {
    return peerIp;
  }

  /** Base URL for HTTP from the test JVM, over the edge network. */
  String httpUrl() {
    return "http://" + edgeIp + ":" + HTTP_PORT;
  }

  String wsUrl() {
    return "ws://" + edgeIp + ":" + HTTP_PORT;
  }

  /** Everything a node needs to know to start in a test cluster. */
  record Spec(
      String runId,
      String name,
      Network peers,
      String peerIp,
      Network edge,
      String edgeIp,
      List<String> members,
      String clusterName,
      String clusterSecret,
      String adminKey,
      Duration leaseTtl,
      List<String> hazelcastProperties,
      String nodeDir,
      String version) {}
}
