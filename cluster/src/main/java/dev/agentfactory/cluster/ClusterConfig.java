package dev.agentfactory.cluster;

import dev.agentfactory.cluster.pool.PoolConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The resolved, validated configuration of one cluster member. Every constructor argument is
 * checked here, once; a bad value fails with an {@link InvalidClusterConfigException} naming the
 * property.
 *
 * <p><b>Who may join.</b> Open-source Hazelcast has no member authentication: the only join check
 * is the cluster name. When a {@link #secret()} is set, the Hazelcast cluster name becomes {@code
 * <clusterName>-<16 hex of SHA-256(clusterName, secret)>}, so a member with the right name but the
 * wrong (or no) secret is refused <em>at join</em>, before it can own partitions. This stops strays
 * and misconfigured nodes, not an attacker who can sniff the member port: the derived name crosses
 * the wire in clear text. Keep the member port on a private network (the Kubernetes sketch adds a
 * NetworkPolicy for this).
 *
 * <p>Multicast and auto-detection are always off; members are found through the TCP-IP {@link
 * #members()} list or through Kubernetes DNS discovery, never both.
 *
 * <pre>{@code
 * ClusterConfig config = ClusterConfig.builder()
 *     .port(5801)
 *     .members(List.of("127.0.0.1:5801", "127.0.0.1:5802"))
 *     .leaseTtl(Duration.ofSeconds(30))
 *     .build();
 * }</pre>
 *
 * @param clusterName cluster name, {@code [A-Za-z0-9._-]{1,64}}; default {@code agent-factory}
 * @param secret shared secret folded into the join check, empty for none (at least 8 characters
 *     otherwise); never printed by {@link #toString()}
 * @param port member port; 0 lets the OS choose (only useful for a single member), default 5701
 * @param portAutoIncrement try the next ports (up to 100) if {@code port} is taken; default true
 * @param bindAddress the local address to bind and advertise, {@code 0.0.0.0} to bind all
 *     interfaces and let Hazelcast pick the advertised one; default {@code 127.0.0.1}
 * @param publicAddress the address other members should dial if it differs from the bound one
 *     (NAT), empty for none
 * @param members TCP-IP member list, {@code host}, {@code host:port}, an IPv6 address or {@code
 *     [IPv6]:port}, one port per entry (ranges are rejected by Hazelcast); empty with Kubernetes
 *     discovery
 * @param kubernetes Kubernetes DNS discovery, {@code null} when off
 * @param leaseTtl how long a lease lives without renewal; default 30 s
 * @param heartbeatInterval how often this node renews its leases, at most half of {@code leaseTtl};
 *     {@link Duration#ZERO} turns the heartbeat off (leases then live only as long as the holder
 *     renews them by hand); default 10 s
 * @param fencingRetention how long a free sandbox's fencing counter is kept after its last change,
 *     at least {@code leaseTtl}; default 1 h. See {@code LeaseRegistry} for why it is bounded.
 * @param leaseQuorum minimum cluster size for lease writes (split-brain protection), 0 for off
 * @param failureTimeout how long a member may stay silent before the others declare it dead and
 *     reclaim its leases (Hazelcast's heartbeat failure detector, whole seconds, at least 2 s);
 *     default 8 s, so a killed node's leases are marked lost within 10 s
 * @param pool this node's part in the distributed warm pool
 */
public record ClusterConfig(
    String clusterName,
    String secret,
    int port,
    boolean portAutoIncrement,
    String bindAddress,
    String publicAddress,
    List<String> members,
    KubernetesDiscovery kubernetes,
    Duration leaseTtl,
    Duration heartbeatInterval,
    Duration fencingRetention,
    int leaseQuorum,
    Duration failureTimeout,
    PoolConfig pool) {

  public static final String DEFAULT_CLUSTER_NAME = "agent-factory";
  public static final int DEFAULT_PORT = 5701;
  public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";
  public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(30);
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(10);
  public static final Duration DEFAULT_FENCING_RETENTION = Duration.ofHours(1);
  public static final Duration DEFAULT_FAILURE_TIMEOUT = Duration.ofSeconds(8);

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:\\[\\]-]+");
  private static final Duration MIN_LEASE_TTL = Duration.ofMillis(100);

  public ClusterConfig {
    require(
        clusterName != null && NAME.matcher(clusterName).matches(),
        "clusterName",
        "must match [A-Za-z0-9._-]{1,64}, was " + clusterName);
    secret = secret == null ? "" : secret;
    require(
        secret.isEmpty() || secret.length() >= 8,
        "secret",
        "must be empty or at least 8 characters");
    require(port >= 0 && port <= 65535, "port", "must be in 0..65535, was " + port);
    require(
        bindAddress != null && !bindAddress.isBlank() && HOST.matcher(bindAddress).matches(),
        "bindAddress",
        "must be an address such as 127.0.0.1 or 0.0.0.0, was " + bindAddress);
    publicAddress = publicAddress == null ? "" : publicAddress.strip();
    require(
        publicAddress.isEmpty() || HOST.matcher(publicAddress).matches(),
        "publicAddress",
        "must be host or host:port, was " + publicAddress);
    members = List.copyOf(members == null ? List.of() : members);
    for (int i = 0; i < members.size(); i++) {
      checkMember(i, members.get(i));
    }
    require(
        kubernetes == null || members.isEmpty(),
        "members",
        "must be empty when kubernetes discovery is on (use one or the other)");
    require(
        leaseTtl != null && leaseTtl.compareTo(MIN_LEASE_TTL) >= 0,
        "leaseTtl",
        "must be at least 100 ms, was " + leaseTtl);
    require(
        heartbeatInterval != null && !heartbeatInterval.isNegative(),
        "heartbeatInterval",
        "must be zero (off) or positive, was " + heartbeatInterval);
    require(
        heartbeatInterval.isZero() || heartbeatInterval.multipliedBy(2).compareTo(leaseTtl) <= 0,
        "heartbeatInterval",
        "must be at most half of leaseTtl ("
            + leaseTtl
            + ") so one missed beat does not lose a lease, was "
            + heartbeatInterval);
    require(
        fencingRetention != null && fencingRetention.compareTo(leaseTtl) >= 0,
        "fencingRetention",
        "must be at least leaseTtl (" + leaseTtl + "), was " + fencingRetention);
    require(
        leaseQuorum >= 0,
        "leaseQuorum",
        "must be 0 (off) or a minimum member count, was " + leaseQuorum);
    require(
        failureTimeout != null && failureTimeout.compareTo(Duration.ofSeconds(2)) >= 0,
        "failureTimeout",
        "must be at least 2s, was " + failureTimeout);
    pool = pool == null ? PoolConfig.defaults() : pool;
  }

  /** The embedded single-node default: 127.0.0.1:5701, no peers, 30 s leases. */
  public static ClusterConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** True when the join check includes a {@link #secret()}. */
  public boolean hasSecret() {
    return !secret.isEmpty();
  }

  /** The secret is masked: configs end up in logs. */
  @Override
  public String toString() {
    return "ClusterConfig[clusterName="
        + clusterName
        + ", secret="
        + (secret.isEmpty() ? "<none>" : "<set>")
        + ", port="
        + port
        + ", portAutoIncrement="
        + portAutoIncrement
        + ", bindAddress="
        + bindAddress
        + ", publicAddress="
        + publicAddress
        + ", members="
        + members
        + ", kubernetes="
        + kubernetes
        + ", leaseTtl="
        + leaseTtl
        + ", heartbeatInterval="
        + heartbeatInterval
        + ", fencingRetention="
        + fencingRetention
        + ", leaseQuorum="
        + leaseQuorum
        + ", failureTimeout="
        + failureTimeout
        + ", pool="
        + pool
        + "]";
  }

  private static void checkMember(int index, String member) {
    String field = "members[" + index + "]";
    require(member != null && !member.isBlank(), field, "must not be blank");
    try {
      MemberAddress.parse(member);
    } catch (IllegalArgumentException e) {
      throw new InvalidClusterConfigException(field, e.getMessage());
    }
  }

  private static void require(boolean condition, String field, String reason) {
    if (!condition) {
      throw new InvalidClusterConfigException(field, reason);
    }
  }

  /**
   * Kubernetes discovery through the DNS of a headless Service, Hazelcast's built-in DNS lookup
   * mode: no RBAC needed. The Service must set {@code publishNotReadyAddresses: true} so members
   * find each other before their readiness probe passes.
   *
   * @param serviceName the headless Service, a DNS-1035 label
   * @param namespace the namespace the pods run in, a DNS-1123 label
   * @param clusterDomain the cluster DNS domain, default {@code cluster.local}
   */
  public record KubernetesDiscovery(String serviceName, String namespace, String clusterDomain) {

    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    public KubernetesDiscovery {
      require(
          serviceName != null && LABEL.matcher(serviceName).matches(),
          "kubernetes.serviceName",
          "must be a DNS label, was " + serviceName);
      require(
          namespace != null && LABEL.matcher(namespace).matches(),
          "kubernetes.namespace",
          "must be a DNS label, was " + namespace);
      clusterDomain =
          clusterDomain == null || clusterDomain.isBlank() ? "cluster.local" : clusterDomain;
      require(
          DOMAIN.matcher(clusterDomain).matches(),
          "kubernetes.clusterDomain",
          "must be a DNS domain, was " + clusterDomain);
    }

    /** {@code <service>.<namespace>.svc.<clusterDomain>}, what Hazelcast resolves. */
    public String serviceDns() {
      return serviceName + "." + namespace + ".svc." + clusterDomain;
    }
  }

  /** Builds a {@link ClusterConfig}; starts from the defaults. */
  public static final class Builder {
    private String clusterName = DEFAULT_CLUSTER_NAME;
    private String secret = "";
    private int port = DEFAULT_PORT;
    private boolean portAutoIncrement = true;
    private String bindAddress = DEFAULT_BIND_ADDRESS;
    private String publicAddress = "";
    private List<String> members = new ArrayList<>();
    private KubernetesDiscovery kubernetes;
    private Duration leaseTtl = DEFAULT_LEASE_TTL;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private Duration fencingRetention = DEFAULT_FENCING_RETENTION;
    private int leaseQuorum;
    private Duration failureTimeout = DEFAULT_FAILURE_TIMEOUT;
    private PoolConfig pool = PoolConfig.defaults();

    private Builder() {}

    public Builder failureTimeout(Duration failureTimeout) {
      this.failureTimeout = failureTimeout;
      return this;
    }

    public Builder pool(PoolConfig pool) {
      this.pool = pool;
      return this;
    }

    public Builder clusterName(String clusterName) {
      this.clusterName = clusterName;
      return this;
    }

    public Builder secret(String secret) {
      this.secret = secret;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder portAutoIncrement(boolean portAutoIncrement) {
      this.portAutoIncrement = portAutoIncrement;
      return this;
    }

    public Builder bindAddress(String bindAddress) {
      this.bindAddress = bindAddress;
      return this;
    }

    public Builder publicAddress(String publicAddress) {
      this.publicAddress = publicAddress;
      return this;
    }

    public Builder members(List<String> members) {
      this.members = new ArrayList<>(Objects.requireNonNullElse(members, List.of()));
      return this;
    }

    public Builder kubernetes(KubernetesDiscovery kubernetes) {
      this.kubernetes = kubernetes;
      return this;
    }

    public Builder leaseTtl(Duration leaseTtl) {
      this.leaseTtl = leaseTtl;
      return this;
    }

    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = heartbeatInterval;
      return this;
    }

    public Builder fencingRetention(Duration fencingRetention) {
      this.fencingRetention = fencingRetention;
      return this;
    }

    public Builder leaseQuorum(int leaseQuorum) {
      this.leaseQuorum = leaseQuorum;
      return this;
    }

    public ClusterConfig build() {
      return new ClusterConfig(
          clusterName,
          secret,
          port,
          portAutoIncrement,
          bindAddress,
          publicAddress,
          members,
          kubernetes,
          leaseTtl,
          heartbeatInterval,
          fencingRetention,
          leaseQuorum,
          failureTimeout,
          pool);
    }
  }
}
