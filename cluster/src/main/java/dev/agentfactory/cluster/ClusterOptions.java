package dev.agentfactory.cluster;

import dev.agentfactory.cluster.pool.PoolConfig;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The environment variables that configure a cluster member, each with its description and default,
 * and their resolution into a {@link ClusterConfig}. The Kubernetes manifests in {@code k8s/} use
 * exactly these names.
 *
 * <pre>{@code
 * ClusterConfig config = ClusterOptions.fromEnvironment(System.getenv());
 * }</pre>
 */
public final class ClusterOptions {

  /** One environment variable: its name, what it means, and its default (empty: none). */
  public record Option(String key, String description, String defaultValue) {}

  public static final Option NAME =
      new Option(
          "AF_CLUSTER_NAME",
          "Cluster name; members with another name never join.",
          ClusterConfig.DEFAULT_CLUSTER_NAME);
  public static final Option SECRET =
      new Option(
          "AF_CLUSTER_SECRET",
          "Shared secret folded into the join check (>= 8 chars); members without it never join.",
          "");
  public static final Option PORT =
      new Option(
          "AF_CLUSTER_PORT",
          "Hazelcast member port, 0 for an OS-chosen one.",
          String.valueOf(ClusterConfig.DEFAULT_PORT));
  public static final Option PORT_AUTO_INCREMENT =
      new Option(
          "AF_CLUSTER_PORT_AUTO_INCREMENT", "Try the next ports if the port is taken.", "true");
  public static final Option BIND_ADDRESS =
      new Option(
          "AF_CLUSTER_BIND_ADDRESS",
          "Address to bind and advertise (pod IP in Kubernetes), 0.0.0.0 for all interfaces.",
          ClusterConfig.DEFAULT_BIND_ADDRESS);
  public static final Option PUBLIC_ADDRESS =
      new Option(
          "AF_CLUSTER_PUBLIC_ADDRESS", "Address peers should dial, if not the bound one.", "");
  public static final Option MEMBERS =
      new Option("AF_CLUSTER_MEMBERS", "Comma-separated TCP-IP member list, host[:port] each.", "");
  public static final Option KUBERNETES_SERVICE =
      new Option(
          "AF_CLUSTER_KUBERNETES_SERVICE",
          "Headless Service for Kubernetes DNS discovery; set to turn discovery on.",
          "");
  public static final Option KUBERNETES_NAMESPACE =
      new Option("AF_CLUSTER_KUBERNETES_NAMESPACE", "Namespace of that Service.", "default");
  public static final Option KUBERNETES_CLUSTER_DOMAIN =
      new Option("AF_CLUSTER_KUBERNETES_CLUSTER_DOMAIN", "Cluster DNS domain.", "cluster.local");
  public static final Option LEASE_TTL =
      new Option(
          "AF_CLUSTER_LEASE_TTL", "Lease time to live without renewal (30s, 500ms, PT30S).", "30s");
  public static final Option HEARTBEAT_INTERVAL =
      new Option(
          "AF_CLUSTER_HEARTBEAT_INTERVAL",
          "How often this node renews its leases, at most half the TTL; 0 turns it off.",
          "10s");
  public static final Option FENCING_RETENTION =
      new Option(
          "AF_CLUSTER_FENCING_RETENTION",
          "How long a free sandbox's fencing counter is kept.",
          "1h");
  public static final Option LEASE_QUORUM =
      new Option(
          "AF_CLUSTER_LEASE_QUORUM",
          "Minimum members for lease writes (split-brain protection), 0 for off.",
          "0");

  public static final Option FAILURE_TIMEOUT =
      new Option(
          "AF_CLUSTER_FAILURE_TIMEOUT",
          "How long a silent member lives before the others declare it dead and reclaim its"
              + " leases (whole seconds, >= 2s).",
          "8s");
  public static final Option CAPACITY =
      new Option(
          "AF_CLUSTER_CAPACITY",
          "This node's weight when cluster-wide pool targets are split; empty: its core count.",
          "");
  public static final Option POOL_TARGETS =
      new Option(
          "AF_CLUSTER_POOL_TARGETS",
          "Cluster-wide warm targets, template=count comma-separated (shell=12); empty: each node"
              + " keeps its own.",
          "");
  public static final Option TENANT_QUOTA =
      new Option(
          "AF_CLUSTER_TENANT_QUOTA",
          "Maximum concurrent leases of one tenant across the cluster, 0 for no limit.",
          "0");
  public static final Option TENANT_QUOTAS =
      new Option(
          "AF_CLUSTER_TENANT_QUOTAS",
          "Per-tenant overrides, tenant=count comma-separated (acme=50,beta=5).",
          "");
  public static final Option DRAIN_TIMEOUT =
      new Option(
          "AF_CLUSTER_DRAIN_TIMEOUT",
          "How long a drain (admin request or SIGTERM) waits for sessions to end before the node"
              + " leaves anyway.",
          "60s");

  public static final List<Option> ALL =
      List.of(
          NAME,
          SECRET,
          PORT,
          PORT_AUTO_INCREMENT,
          BIND_ADDRESS,
          PUBLIC_ADDRESS,
          MEMBERS,
          KUBERNETES_SERVICE,
          KUBERNETES_NAMESPACE,
          KUBERNETES_CLUSTER_DOMAIN,
          LEASE_TTL,
          HEARTBEAT_INTERVAL,
          FENCING_RETENTION,
          LEASE_QUORUM,
          FAILURE_TIMEOUT,
          CAPACITY,
          POOL_TARGETS,
          TENANT_QUOTA,
          TENANT_QUOTAS,
          DRAIN_TIMEOUT);

  private ClusterOptions() {}

  /**
   * Resolves the variables present in {@code env} over the defaults. Parse errors name the
   * variable; validation errors name the {@link ClusterConfig} property.
   */
  public static ClusterConfig fromEnvironment(Map<String, String> env) {
    Function<Option, String> get =
        o -> {
          String value = env.get(o.key());
          return value == null || value.isBlank() ? o.defaultValue() : value.strip();
        };
    ClusterConfig.Builder builder =
        ClusterConfig.builder()
            .clusterName(get.apply(NAME))
            .secret(get.apply(SECRET))
            .port(parseInt(PORT, get.apply(PORT)))
            .portAutoIncrement(parseBoolean(PORT_AUTO_INCREMENT, get.apply(PORT_AUTO_INCREMENT)))
            .bindAddress(get.apply(BIND_ADDRESS))
            .publicAddress(get.apply(PUBLIC_ADDRESS))
            .members(
                Arrays.stream(get.apply(MEMBERS).split(","))
                    .map(String::strip)
                    .filter(s -> !s.isEmpty())
                    .toList())
            .leaseTtl(parseDuration(LEASE_TTL, get.apply(LEASE_TTL)))
            .heartbeatInterval(parseDuration(HEARTBEAT_INTERVAL, get.apply(HEARTBEAT_INTERVAL)))
            .fencingRetention(parseDuration(FENCING_RETENTION, get.apply(FENCING_RETENTION)))
            .leaseQuorum(parseInt(LEASE_QUORUM, get.apply(LEASE_QUORUM)))
            .failureTimeout(parseDuration(FAILURE_TIMEOUT, get.apply(FAILURE_TIMEOUT)))
            .pool(pool(get));
    String service = get.apply(KUBERNETES_SERVICE);
    if (!service.isEmpty()) {
      builder.kubernetes(
          new ClusterConfig.KubernetesDiscovery(
              service, get.apply(KUBERNETES_NAMESPACE), get.apply(KUBERNETES_CLUSTER_DOMAIN)));
    }
    return builder.build();
  }

  private static PoolConfig pool(Function<Option, String> get) {
    String capacity = get.apply(CAPACITY);
    PoolConfig defaults = PoolConfig.defaults();
    return new PoolConfig(
        capacity.isEmpty() ? defaults.capacity() : parseInt(CAPACITY, capacity),
        parseCounts(POOL_TARGETS, get.apply(POOL_TARGETS)),
        parseInt(TENANT_QUOTA, get.apply(TENANT_QUOTA)),
        parseCounts(TENANT_QUOTAS, get.apply(TENANT_QUOTAS)),
        defaults.advertiseInterval(),
        parseDuration(DRAIN_TIMEOUT, get.apply(DRAIN_TIMEOUT)));
  }

  /** {@code name=count,name=count}; errors name the variable and the bad entry. */
  static Map<String, Integer> parseCounts(Option option, String text) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (String entry : text.split(",")) {
      String e = entry.strip();
      if (e.isEmpty()) {
        continue;
      }
      int eq = e.indexOf('=');
      if (eq <= 0 || eq == e.length() - 1) {
        throw new InvalidClusterConfigException(
            option.key(), "entries must be name=count, was '" + e + "'");
      }
      try {
        counts.put(e.substring(0, eq).strip(), Integer.parseInt(e.substring(eq + 1).strip()));
      } catch (NumberFormatException ex) {
        throw new InvalidClusterConfigException(
            option.key(), "count must be an integer in '" + e + "'");
      }
    }
    return counts;
  }

  /**
   * Accepts {@code 0}, {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h} and ISO-8601 {@code
   * PT30S}.
   */
  static Duration parseDuration(Option option, String text) {
    String t = text.toLowerCase(Locale.ROOT);
    try {
      if (t.startsWith("p")) {
        return Duration.parse(text.toUpperCase(Locale.ROOT));
      }
      if (t.equals("0")) {
        return Duration.ZERO;
      }
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long amount = Long.parseLong(t.substring(0, t.length() - 1));
      switch (t.charAt(t.length() - 1)) {
        case 's':
          return Duration.ofSeconds(amount);
        case 'm':
          return Duration.ofMinutes(amount);
        case 'h':
          return Duration.ofHours(amount);
        default:
          break;
      }
    } catch (RuntimeException e) {
      // fall through to the error that names the variable
    }
    throw new InvalidClusterConfigException(
        option.key(), "must be a duration such as 500ms, 30s, 10m, 1h or PT30S, was " + text);
  }

  private static int parseInt(Option option, String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new InvalidClusterConfigException(option.key(), "must be an integer, was " + text);
    }
  }

  private static boolean parseBoolean(Option option, String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default ->
          throw new InvalidClusterConfigException(
              option.key(), "must be true or false, was " + text);
    };
  }
}
