package dev.agentfactory.edge.config;

import dev.agentfactory.cluster.ClusterConfig;
import dev.agentfactory.cluster.ClusterOptions;
import dev.agentfactory.cluster.InvalidClusterConfigException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The resolved, validated configuration of one node. Built once at start-up from a {@link
 * ConfigSource}; see {@link NodeOptions} for what each field means.
 */
public record NodeConfig(
    Path dataDir,
    String httpHost,
    int httpPort,
    Optional<String> kafkaBootstrapServers,
    int kafkaPort,
    Optional<String> flinkRestUrl,
    int flinkPort,
    Optional<Path> pipelineJar,
    int checkpointIntervalMs,
    ClusterConfig cluster,
    String sandboxIsolation,
    Optional<Path> sandboxDir,
    int sandboxPoolSize,
    int sessionMaxFrameBytes,
    int sessionResumeGraceMs) {

  public NodeConfig {
    dataDir = dataDir.toAbsolutePath().normalize();
    if (!sandboxIsolation.equals("namespace") && !sandboxIsolation.equals("process")) {
      throw new ConfigException(
          "sandbox.isolation is '" + sandboxIsolation + "': expected namespace or process");
    }
  }

  public static NodeConfig from(ConfigSource source) {
    return new NodeConfig(
        Path.of(source.get(NodeOptions.DATA_DIR)),
        source.get(NodeOptions.HTTP_HOST),
        source.get(NodeOptions.HTTP_PORT),
        source.optional(NodeOptions.KAFKA_BOOTSTRAP),
        source.get(NodeOptions.KAFKA_PORT),
        source.optional(NodeOptions.FLINK_REST_URL),
        source.get(NodeOptions.FLINK_PORT),
        source.optional(NodeOptions.PIPELINE_JAR).map(Path::of),
        source.get(NodeOptions.CHECKPOINT_INTERVAL_MS),
        cluster(source),
        source.get(NodeOptions.SANDBOX_ISOLATION),
        source.optional(NodeOptions.SANDBOX_DIR).map(Path::of),
        source.get(NodeOptions.SANDBOX_POOL_SIZE),
        source.get(NodeOptions.SESSION_MAX_FRAME_BYTES),
        source.get(NodeOptions.SESSION_RESUME_GRACE_MS));
  }

  /**
   * The cluster settings: every {@code AF_CLUSTER_*} variable the cluster module knows (secret,
   * Kubernetes discovery, lease TTL, ...; see cluster/README.md), with name, port and members
   * overridable as node options too.
   */
  private static ClusterConfig cluster(ConfigSource source) {
    ClusterConfig base;
    try {
      base = ClusterOptions.fromEnvironment(source.env());
    } catch (InvalidClusterConfigException e) {
      throw new ConfigException("cluster configuration: " + e.getMessage());
    }
    List<String> members =
        source
            .optional(NodeOptions.CLUSTER_MEMBERS)
            .map(s -> Arrays.stream(s.split(",")).map(String::trim).toList())
            .orElse(List.of());
    try {
      return ClusterConfig.builder()
          .clusterName(source.get(NodeOptions.CLUSTER_NAME))
          .secret(base.secret())
          .port(source.get(NodeOptions.CLUSTER_PORT))
          .portAutoIncrement(base.portAutoIncrement())
          .bindAddress(base.bindAddress())
          .publicAddress(base.publicAddress())
          .members(members)
          .kubernetes(base.kubernetes())
          .leaseTtl(base.leaseTtl())
          .heartbeatInterval(base.heartbeatInterval())
          .fencingRetention(base.fencingRetention())
          .leaseQuorum(base.leaseQuorum())
          .build();
    } catch (InvalidClusterConfigException e) {
      throw new ConfigException("cluster configuration: " + e.getMessage());
    }
  }

  /** Where sandbox workspaces live. */
  public Path sandboxesDir() {
    return sandboxDir.map(p -> p.toAbsolutePath().normalize()).orElse(dataDir.resolve("sandboxes"));
  }

  /** Where the pipeline job writes its Parquet datasets. */
  public Path datasetsDir() {
    return dataDir.resolve("datasets");
  }
}
