package dev.agentfactory.edge.config;

import dev.agentfactory.cluster.ClusterConfig;
import dev.agentfactory.cluster.ClusterOptions;
import dev.agentfactory.cluster.InvalidClusterConfigException;
import dev.agentfactory.connectors.flink.JudgeConfig;
import dev.agentfactory.connectors.kafka.PublisherConfig;
import dev.agentfactory.edge.model.SecretPolicy;
import dev.agentfactory.edge.session.TurnCipher;
import java.net.URI;
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
    PublisherConfig publisher,
    Optional<String> flinkRestUrl,
    int flinkPort,
    Optional<Path> pipelineJar,
    int checkpointIntervalMs,
    String flinkSavepointsDir,
    int savepointsRetained,
    JudgeConfig judge,
    ClusterConfig cluster,
    String sandboxIsolation,
    Optional<Path> sandboxDir,
    Optional<Path> sandboxTemplatesDir,
    int sandboxPoolSize,
    int sessionMaxFrameBytes,
    int sessionResumeGraceMs,
    int sessionIdlePauseMs,
    int sessionIdleHibernateMs,
    int sessionSlowClientMs,
    int sessionMaxUnackedEvents,
    int sessionsPerTenant,
    Optional<String> sessionStoreUrl,
    Optional<String> sessionStoreKey,
    int sessionTurnRetentionHours,
    Optional<String> adminKey,
    Optional<String> authStoreUrl,
    Optional<String> agentsStoreUrl,
    SecretPolicy agentsSecrets,
    int rateLimitPerSecond,
    int rateLimitBurst,
    boolean dataEnabled,
    String logFormat) {

  public NodeConfig {
    dataDir = dataDir.toAbsolutePath().normalize();
    if (adminKey.isEmpty() && !isLoopback(httpHost)) {
      throw new ConfigException(
          "http.host is "
              + httpHost
              + ", reachable from other machines, but auth is off: set auth.admin.key"
              + " (AF_ADMIN_KEY) or listen on 127.0.0.1");
    }
    adminKey.ifPresent(
        key -> {
          if (key.length() < 16) {
            throw new ConfigException("auth.admin.key must be at least 16 characters");
          }
        });
    if (sessionStoreUrl.isPresent() && sessionStoreKey.isEmpty()) {
      throw new ConfigException(
          "session.store.url is set but session.store.key (AF_SESSION_STORE_KEY) is not: the"
              + " turns in a shared store are encrypted, and every node needs the same key to read"
              + " the turns the others stored. Set it to the same key on every node, e.g. the"
              + " output of `openssl rand -base64 32` or the path of a file holding it");
    }
    sessionStoreKey.ifPresent(
        key -> {
          try {
            TurnCipher.fromSpec(key);
          } catch (IllegalArgumentException e) {
            throw new ConfigException("session.store.key: " + e.getMessage());
          }
        });
    if (!logFormat.equals("text") && !logFormat.equals("json")) {
      throw new ConfigException("log.format is '" + logFormat + "': expected text or json");
    }
    if (!sandboxIsolation.equals("namespace") && !sandboxIsolation.equals("process")) {
      throw new ConfigException(
          "sandbox.isolation is '" + sandboxIsolation + "': expected namespace or process");
    }
  }

  public static NodeConfig from(ConfigSource source) {
    Path dataDir = Path.of(source.get(NodeOptions.DATA_DIR));
    return new NodeConfig(
        dataDir,
        source.get(NodeOptions.HTTP_HOST),
        source.get(NodeOptions.HTTP_PORT),
        source.optional(NodeOptions.KAFKA_BOOTSTRAP),
        source.get(NodeOptions.KAFKA_PORT),
        publisher(source),
        source.optional(NodeOptions.FLINK_REST_URL),
        source.get(NodeOptions.FLINK_PORT),
        source.optional(NodeOptions.PIPELINE_JAR).map(Path::of),
        source.get(NodeOptions.CHECKPOINT_INTERVAL_MS),
        source
            .optional(NodeOptions.FLINK_SAVEPOINTS_DIR)
            .map(dir -> dir.startsWith("/") ? Path.of(dir).toUri().toString() : dir)
            .orElseGet(() -> defaultSavepointsDir(dataDir)),
        source.get(NodeOptions.SAVEPOINTS_RETAIN),
        judge(source),
        cluster(source),
        source.get(NodeOptions.SANDBOX_ISOLATION),
        source.optional(NodeOptions.SANDBOX_DIR).map(Path::of),
        source.optional(NodeOptions.SANDBOX_TEMPLATES_DIR).map(Path::of),
        source.get(NodeOptions.SANDBOX_POOL_SIZE),
        source.get(NodeOptions.SESSION_MAX_FRAME_BYTES),
        source.get(NodeOptions.SESSION_RESUME_GRACE_MS),
        source.get(NodeOptions.SESSION_IDLE_PAUSE_MS),
        source.get(NodeOptions.SESSION_IDLE_HIBERNATE_MS),
        source.get(NodeOptions.SESSION_SLOW_CLIENT_MS),
        source.get(NodeOptions.SESSION_MAX_UNACKED_EVENTS),
        source.get(NodeOptions.SESSIONS_PER_TENANT),
        source.optional(NodeOptions.SESSION_STORE_URL),
        source.optional(NodeOptions.SESSION_STORE_KEY),
        source.get(NodeOptions.SESSION_TURN_RETENTION_HOURS),
        source.optional(NodeOptions.ADMIN_KEY),
        source.optional(NodeOptions.AUTH_STORE_URL),
        source.optional(NodeOptions.AGENTS_STORE_URL),
        source.get(NodeOptions.AGENTS_SECRETS),
        source.get(NodeOptions.RATE_LIMIT_PER_SECOND),
        source.get(NodeOptions.RATE_LIMIT_BURST),
        source.get(NodeOptions.DATA_ENABLED),
        source.get(NodeOptions.LOG_FORMAT));
  }

  /** The bounds of the node's interaction publisher. */
  private static PublisherConfig publisher(ConfigSource source) {
    int timeoutMs = source.get(NodeOptions.KAFKA_PUBLISH_TIMEOUT_MS);
    if (timeoutMs < 1000) {
      throw new ConfigException(
          "kafka.publish.timeout.ms is " + timeoutMs + ": at least 1000 (the producer needs it)");
    }
    return new PublisherConfig(
        source.get(NodeOptions.KAFKA_PUBLISH_BUFFER_EVENTS),
        source.get(NodeOptions.KAFKA_PUBLISH_BUFFER_BYTES),
        java.time.Duration.ofMillis(timeoutMs));
  }

  /**
   * {@code DATA_DIR/flink/savepoints} as a URI: where the embedded Flink keeps savepoints by
   * default too ({@code EmbeddedFlink.savepointsDir()}).
   */
  private static String defaultSavepointsDir(Path dataDir) {
    return dataDir
        .toAbsolutePath()
        .normalize()
        .resolve("flink")
        .resolve("savepoints")
        .toUri()
        .toString();
  }

  /** The pipeline's LLM judge: off unless {@code judge.endpoint} is set. */
  private static JudgeConfig judge(ConfigSource source) {
    Optional<String> endpoint = source.optional(NodeOptions.JUDGE_ENDPOINT);
    String keyEnv = source.get(NodeOptions.JUDGE_API_KEY_ENV).trim();
    if (!keyEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      // The value is not echoed: someone may have put the key itself here.
      throw new ConfigException(
          "judge.api.key.env must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*),"
              + " not the key itself");
    }
    String model = source.get(NodeOptions.JUDGE_MODEL).trim();
    if (model.isEmpty()) {
      throw new ConfigException("judge.model is empty: name the model the judge asks");
    }
    return new JudgeConfig(
        endpoint.map(URI::create).orElse(null),
        model,
        keyEnv,
        source.get(NodeOptions.JUDGE_SAMPLE_RATE),
        source.get(NodeOptions.JUDGE_TIMEOUT_MS),
        source.get(NodeOptions.JUDGE_MAX_CONCURRENT));
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
      throw invalid(e);
    }
    List<String> members =
        source
            .optional(NodeOptions.CLUSTER_MEMBERS)
            // a trailing or doubled comma is no member (as in ClusterOptions)
            .map(
                s ->
                    Arrays.stream(s.split(","))
                        .map(String::trim)
                        .filter(m -> !m.isEmpty())
                        .toList())
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
          .failureTimeout(base.failureTimeout())
          .pool(base.pool())
          .build();
    } catch (InvalidClusterConfigException e) {
      throw invalid(e);
    }
  }

  /**
   * A cluster setting the cluster module refused; a member list entry is named by the option it
   * came from (flag or AF_CLUSTER_MEMBERS, which both the node and the cluster module read).
   */
  private static ConfigException invalid(InvalidClusterConfigException e) {
    if (e.field().startsWith("members[")) {
      return new ConfigException(
          NodeOptions.CLUSTER_MEMBERS.key()
              + " ("
              + NodeOptions.CLUSTER_MEMBERS.env()
              + "): "
              + e.getMessage());
    }
    return new ConfigException("cluster configuration: " + e.getMessage());
  }

  /** Like the generated one, but the admin key never appears (configs end up in logs). */
  @Override
  public String toString() {
    return "NodeConfig[dataDir=%s, http=%s:%d, kafka=%s, flink=%s, cluster=%s, sandbox=%s/%d,"
            .formatted(
                dataDir,
                httpHost,
                httpPort,
                kafkaBootstrapServers.orElse("embedded:" + kafkaPort),
                flinkRestUrl.orElse("embedded:" + flinkPort),
                cluster,
                sandboxIsolation,
                sandboxPoolSize)
        + " auth="
        + (adminKey.isPresent() ? "on" : "off")
        + " data="
        + (dataEnabled ? "on" : "off")
        + " judge="
        + judge.endpointUrl().map(u -> u + " " + judge.model()).orElse("off")
        + "]";
  }

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
  }

  /** Where sandbox workspaces live. */
  public Path sandboxesDir() {
    return sandboxDir.map(p -> p.toAbsolutePath().normalize()).orElse(dataDir.resolve("sandboxes"));
  }

  /**
   * {@link #flinkSavepointsDir} as a local directory when it is one (a {@code file:} URI), for the
   * node to prune; empty for any other filesystem.
   */
  public Optional<Path> localSavepointsDir() {
    if (!flinkSavepointsDir.startsWith("file:")) {
      return Optional.empty();
    }
    try {
      return Optional.of(Path.of(URI.create(flinkSavepointsDir)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Where the pipeline job writes its Parquet datasets. */
  public Path datasetsDir() {
    return dataDir.resolve("datasets");
  }
}
