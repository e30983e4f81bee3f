package dev.agentfactory.edge.config;

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
    String clusterName,
    int clusterPort,
    List<String> clusterMembers,
    String sandboxIsolation,
    Optional<Path> sandboxDir,
    int sandboxPoolSize,
    int sessionMaxFrameBytes) {

  public NodeConfig {
    dataDir = dataDir.toAbsolutePath().normalize();
    clusterMembers = List.copyOf(clusterMembers);
    if (!sandboxIsolation.equals("namespace") && !sandboxIsolation.equals("process")) {
      throw new ConfigException(
          "sandbox.isolation is '" + sandboxIsolation + "': expected namespace or process");
    }
    for (String member : clusterMembers) {
      if (!member.matches("[^:\\s]+:\\d{1,5}")) {
        throw new ConfigException("cluster.members entry '" + member + "' is not host:port");
      }
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
        source.get(NodeOptions.CLUSTER_NAME),
        source.get(NodeOptions.CLUSTER_PORT),
        source
            .optional(NodeOptions.CLUSTER_MEMBERS)
            .map(s -> Arrays.stream(s.split(",")).map(String::trim).toList())
            .orElse(List.of()),
        source.get(NodeOptions.SANDBOX_ISOLATION),
        source.optional(NodeOptions.SANDBOX_DIR).map(Path::of),
        source.get(NodeOptions.SANDBOX_POOL_SIZE),
        source.get(NodeOptions.SESSION_MAX_FRAME_BYTES));
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
