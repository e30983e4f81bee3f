package dev.agentfactory.cluster.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.cluster.ClusterConfig;
import dev.agentfactory.cluster.ClusterOptions;
import dev.agentfactory.cluster.InvalidClusterConfigException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolConfigTest {

  @Test
  void environmentVariablesResolveIntoThePoolConfig() {
    ClusterConfig config =
        ClusterOptions.fromEnvironment(
            Map.of(
                "AF_CLUSTER_CAPACITY", "4",
                "AF_CLUSTER_POOL_TARGETS", "shell=12, python=3",
                "AF_CLUSTER_TENANT_QUOTA", "20",
                "AF_CLUSTER_TENANT_QUOTAS", "acme=50,beta=0",
                "AF_CLUSTER_DRAIN_TIMEOUT", "90s",
                "AF_CLUSTER_FAILURE_TIMEOUT", "5s"));

    PoolConfig pool = config.pool();
    assertThat(pool.capacity()).isEqualTo(4);
    assertThat(pool.targets()).containsExactlyInAnyOrderEntriesOf(Map.of("shell", 12, "python", 3));
    assertThat(pool.quotaOf("acme")).isEqualTo(50);
    assertThat(pool.quotaOf("beta")).isZero();
    assertThat(pool.quotaOf("anyone")).isEqualTo(20);
    assertThat(pool.drainTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(config.failureTimeout()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void theDefaultsDetectAKilledNodeWithinTenSeconds() {
    ClusterConfig config = ClusterOptions.fromEnvironment(Map.of());

    assertThat(config.failureTimeout()).isLessThanOrEqualTo(Duration.ofSeconds(10));
    assertThat(config.pool().targets()).isEmpty();
    assertThat(config.pool().quotaOf("acme")).isZero();
  }

  @Test
  void badEntriesNameTheVariable() {
    assertThatThrownBy(
            () -> ClusterOptions.fromEnvironment(Map.of("AF_CLUSTER_POOL_TARGETS", "shell")))
        .isInstanceOfSatisfying(
            InvalidClusterConfigException.class,
            e -> assertThat(e.field()).isEqualTo("AF_CLUSTER_POOL_TARGETS"));
    assertThatThrownBy(
            () -> ClusterOptions.fromEnvironment(Map.of("AF_CLUSTER_TENANT_QUOTAS", "acme=lots")))
        .isInstanceOfSatisfying(
            InvalidClusterConfigException.class,
            e -> assertThat(e.field()).isEqualTo("AF_CLUSTER_TENANT_QUOTAS"));
    assertThatThrownBy(() -> PoolConfig.defaults().withTargets(Map.of("shell", -1)))
        .isInstanceOfSatisfying(
            InvalidClusterConfigException.class,
            e -> assertThat(e.field()).isEqualTo("pool.targets"));
    assertThatThrownBy(
            () -> ClusterOptions.fromEnvironment(Map.of("AF_CLUSTER_FAILURE_TIMEOUT", "1s")))
        .isInstanceOfSatisfying(
            InvalidClusterConfigException.class,
            e -> assertThat(e.field()).isEqualTo("failureTimeout"));
  }
}
