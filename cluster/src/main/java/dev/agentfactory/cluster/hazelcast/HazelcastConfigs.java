package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.config.Config;
import com.hazelcast.config.ExecutorConfig;
import com.hazelcast.config.IndexConfig;
import com.hazelcast.config.IndexType;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.spi.properties.ClusterProperty;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import dev.agentfactory.cluster.ClusterConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/** Translates a {@link ClusterConfig} into a Hazelcast member {@link Config}. */
final class HazelcastConfigs {

  static final String LEASE_MAP = "af.leases";
  static final String LEASE_QUORUM = "af.lease-quorum";

  /**
   * One entry per tenant: the holds on its cluster-wide quota ({@link TenantHolds}). Not {@code
   * af.quotas}, the map of bare per-node counts before holds: nodes of both versions in one cluster
   * (a rolling update) then each count in a map of their own instead of misreading each other's
   * entries.
   */
  static final String QUOTA_MAP = "af.quota-holds";

  static final String STOCK_MAP = "af.stock";
  static final String LOAN_EXECUTOR = "af.loans";
  static final String OUTPUT_EXECUTOR = "af.output";
  static final String CONTROL_EXECUTOR = "af.loans.control";

  /**
   * How long a node waits for a peer's answer to a call on {@link #CONTROL_EXECUTOR} (borrow,
   * return, pause/resume/hibernate, file calls). Hazelcast bounds none of them while the peer is
   * alive: an executor task waiting for a thread, or running, is reported live by the callee's
   * operation heartbeats, so its invocation never reaches {@code
   * hazelcast.operation.call.timeout.millis}. The same 60 s as that call timeout.
   */
  static final Duration CONTROL_CALL_TIMEOUT = Duration.ofSeconds(60);

  /**
   * The ids of API keys revoked through some node ({@link HazelcastKeyRevocations}). A name of its
   * own: nodes of a version without it simply never publish nor listen on it.
   */
  static final String KEY_REVOCATION_TOPIC = "af.keys.revoked";

  private static final String BIND_ANY = "0.0.0.0";

  private HazelcastConfigs() {}

  /** A member config without a node id: the member is then known by its UUID. */
  static Config toHazelcast(ClusterConfig cluster) {
    return toHazelcast(cluster, null);
  }

  /**
   * The member config of node {@code nodeId}, published as a member attribute ({@link NodeIds}):
   * unlike the member UUID it survives a split-brain merge.
   */
  static Config toHazelcast(ClusterConfig cluster, String nodeId) {
    Config config = new Config();
    if (nodeId != null) {
      config.getMemberAttributeConfig().setAttribute(NodeIds.ATTRIBUTE, nodeId);
    }
    config.setClusterName(joinName(cluster));
    config.setProperty(ClusterProperty.PHONE_HOME_ENABLED.getName(), "false");
    config.setProperty(ClusterProperty.LOGGING_TYPE.getName(), "slf4j");
    // the node process owns shutdown order (leases, sessions, then the member)
    config.setProperty(ClusterProperty.SHUTDOWNHOOK_ENABLED.getName(), "false");
    // the failure detector bounds how long a killed node's leases stay un-reclaimed
    long silentSeconds = Math.max(2, cluster.failureTimeout().toSeconds());
    config.setProperty(ClusterProperty.HEARTBEAT_INTERVAL_SECONDS.getName(), "1");
    config.setProperty(
        ClusterProperty.MAX_NO_HEARTBEAT_SECONDS.getName(), String.valueOf(silentSeconds));

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(cluster.port()).setPortAutoIncrement(cluster.portAutoIncrement());
    if (!cluster.publicAddress().isEmpty()) {
      network.setPublicAddress(cluster.publicAddress());
    }
    if (!BIND_ANY.equals(cluster.bindAddress())) {
      network.getInterfaces().setEnabled(true).addInterface(cluster.bindAddress());
      config.setProperty(ClusterProperty.SOCKET_BIND_ANY.getName(), "false");
    }

    JoinConfig join = network.getJoin();
    join.getAutoDetectionConfig().setEnabled(false);
    join.getMulticastConfig().setEnabled(false);
    if (cluster.kubernetes() != null) {
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig()
          .setEnabled(true)
          .setProperty("service-dns", cluster.kubernetes().serviceDns());
      if (cluster.port() != 0) {
        join.getKubernetesConfig().setProperty("service-port", String.valueOf(cluster.port()));
      }
    } else {
      join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());
    }

    config
        .getSerializationConfig()
        .getCompactSerializationConfig()
        .addSerializer(new LeaseSlotSerializer())
        .addSerializer(new WriteSerializers.Record())
        .addSerializer(new WriteSerializers.Release())
        .addSerializer(new QuotaSerializers.Holds())
        .addSerializer(new QuotaSerializers.Processor());
    config.addMapConfig(leaseMap(cluster, config));
    MapConfig quotas = new MapConfig(QUOTA_MAP).setBackupCount(1);
    if (cluster.leaseQuorum() > 1) {
      quotas.setSplitBrainProtectionName(LEASE_QUORUM);
    }
    config.addMapConfig(quotas);
    // borrowed sandboxes run their commands on these threads of the host: one per running command
    config.addExecutorConfig(new ExecutorConfig(LOAN_EXECUTOR).setPoolSize(32));
    // a borrower takes streamed output on these, one batch per running command at a time: apart
    // from af.loans, so output never waits behind commands this node runs for its own borrowers
    config.addExecutorConfig(new ExecutorConfig(OUTPUT_EXECUTOR).setPoolSize(16));
    // borrow, return, pause/resume/hibernate, file calls and "your loan ended" run here: apart
    // from af.loans, so 32 long commands on lent sandboxes cannot hold up a peer's lease or a
    // borrower's release behind them
    config.addExecutorConfig(new ExecutorConfig(CONTROL_EXECUTOR).setPoolSize(8));
    return config;
  }

  private static MapConfig leaseMap(ClusterConfig cluster, Config config) {
    MapConfig map =
        new MapConfig(LEASE_MAP)
            .setBackupCount(1)
            .addIndexConfig(new IndexConfig(IndexType.HASH, LeaseSlotSerializer.OWNER_NODE))
            .addIndexConfig(new IndexConfig(IndexType.SORTED, LeaseSlotSerializer.EXPIRES_AT));
    if (cluster.leaseQuorum() > 1) {
      config.addSplitBrainProtectionConfig(
          new SplitBrainProtectionConfig(LEASE_QUORUM, true, cluster.leaseQuorum())
              .setProtectOn(SplitBrainProtectionOn.READ_WRITE));
      map.setSplitBrainProtectionName(LEASE_QUORUM);
    }
    return map;
  }

  /**
   * The name Hazelcast checks at join. With a secret it is {@code <name>-<16 hex of SHA-256(name
   * NUL secret)>}: members without the secret are refused before they join.
   */
  static String joinName(ClusterConfig cluster) {
    if (!cluster.hasSecret()) {
      return cluster.clusterName();
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(cluster.clusterName().getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(cluster.secret().getBytes(StandardCharsets.UTF_8));
      return cluster.clusterName() + "-" + HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is mandatory in every JRE", e);
    }
  }
}
