package dev.agentfactory.cluster.pool;

import dev.agentfactory.cluster.InvalidClusterConfigException;
import java.time.Duration;
import java.util.Map;

/**
 * How this node takes part in the distributed warm pool. Validated once here; errors name the
 * property ({@code pool.<field>}).
 *
 * <pre>{@code
 * PoolConfig pool = new PoolConfig(4, Map.of("shell", 12), 0, Map.of("acme", 50),
 *     Duration.ofMillis(500), Duration.ofSeconds(60));
 * }</pre>
 *
 * @param capacity this node's weight when cluster-wide targets are split (e.g. its cores); at least
 *     1
 * @param targets cluster-wide warm targets per template, split across the non-draining nodes in
 *     proportion to their capacity and re-split when nodes join, leave or drain; empty keeps each
 *     node's own local targets
 * @param defaultTenantQuota maximum concurrent leases of one tenant across the whole cluster, 0 for
 *     no limit
 * @param tenantQuotas per-tenant overrides of {@code defaultTenantQuota} (0: no limit)
 * @param advertiseInterval how often this node publishes its warm stock to the others
 * @param drainTimeout how long a drain waits for the node's leases to end before it gives up
 */
public record PoolConfig(
    int capacity,
    Map<String, Integer> targets,
    int defaultTenantQuota,
    Map<String, Integer> tenantQuotas,
    Duration advertiseInterval,
    Duration drainTimeout) {

  public static final Duration DEFAULT_ADVERTISE_INTERVAL = Duration.ofMillis(500);
  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(60);

  public PoolConfig {
    require(
        capacity >= 1 && capacity <= 10_000, "capacity", "must be in 1..10000, was " + capacity);
    targets = Map.copyOf(targets == null ? Map.of() : targets);
    targets.forEach(
        (template, target) ->
            require(
                target != null && target >= 0 && target <= 100_000,
                "targets",
                "target of '" + template + "' must be in 0..100000, was " + target));
    require(
        defaultTenantQuota >= 0,
        "defaultTenantQuota",
        "must be 0 (no limit) or positive, was " + defaultTenantQuota);
    tenantQuotas = Map.copyOf(tenantQuotas == null ? Map.of() : tenantQuotas);
    tenantQuotas.forEach(
        (tenant, quota) ->
            require(
                quota != null && quota >= 0,
                "tenantQuotas",
                "quota of '" + tenant + "' must be 0 (no limit) or positive, was " + quota));
    require(
        advertiseInterval != null && advertiseInterval.toMillis() >= 10,
        "advertiseInterval",
        "must be at least 10 ms, was " + advertiseInterval);
    require(
        drainTimeout != null && !drainTimeout.isNegative(),
        "drainTimeout",
        "must be zero or positive, was " + drainTimeout);
  }

  /** One weight per core, no cluster-wide targets, no quotas. */
  public static PoolConfig defaults() {
    return new PoolConfig(
        Runtime.getRuntime().availableProcessors(),
        Map.of(),
        0,
        Map.of(),
        DEFAULT_ADVERTISE_INTERVAL,
        DEFAULT_DRAIN_TIMEOUT);
  }

  /** The tenant's cluster-wide limit on concurrent leases; 0 means none. */
  public int quotaOf(String tenant) {
    return tenantQuotas.getOrDefault(tenant, defaultTenantQuota);
  }

  public PoolConfig withCapacity(int capacity) {
    return new PoolConfig(
        capacity, targets, defaultTenantQuota, tenantQuotas, advertiseInterval, drainTimeout);
  }

  public PoolConfig withTargets(Map<String, Integer> targets) {
    return new PoolConfig(
        capacity, targets, defaultTenantQuota, tenantQuotas, advertiseInterval, drainTimeout);
  }

  public PoolConfig withQuotas(int defaultTenantQuota, Map<String, Integer> tenantQuotas) {
    return new PoolConfig(
        capacity, targets, defaultTenantQuota, tenantQuotas, advertiseInterval, drainTimeout);
  }

  public PoolConfig withAdvertiseInterval(Duration advertiseInterval) {
    return new PoolConfig(
        capacity, targets, defaultTenantQuota, tenantQuotas, advertiseInterval, drainTimeout);
  }

  public PoolConfig withDrainTimeout(Duration drainTimeout) {
    return new PoolConfig(
        capacity, targets, defaultTenantQuota, tenantQuotas, advertiseInterval, drainTimeout);
  }

  private static void require(boolean condition, String field, String reason) {
    if (!condition) {
      throw new InvalidClusterConfigException("pool." + field, reason);
    }
  }
}
