package dev.agentfactory.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterOptionsTest {

  @Test
  void anEmptyEnvironmentGivesTheDefaults() {
    assertThat(ClusterOptions.fromEnvironment(Map.of())).isEqualTo(ClusterConfig.defaults());
  }

  @Test
  void kubernetesVariablesTurnOnDnsDiscovery() {
    ClusterConfig config =
        ClusterOptions.fromEnvironment(
            Map.of(
                "AF_CLUSTER_KUBERNETES_SERVICE", "agent-factory-hz",
                "AF_CLUSTER_KUBERNETES_NAMESPACE", "agents",
                "AF_CLUSTER_BIND_ADDRESS", "10.1.2.3",
                "AF_CLUSTER_SECRET", "a-long-enough-secret"));

    assertThat(config.kubernetes().serviceDns())
        .isEqualTo("agent-factory-hz.agents.svc.cluster.local");
    assertThat(config.bindAddress()).isEqualTo("10.1.2.3");
    assertThat(config.hasSecret()).isTrue();
  }

  @Test
  void membersAndDurationsAreParsed() {
    ClusterConfig config =
        ClusterOptions.fromEnvironment(
            Map.of(
                "AF_CLUSTER_MEMBERS", "10.0.0.1:5701, 10.0.0.2:5701,",
                "AF_CLUSTER_LEASE_TTL", "PT20S",
                "AF_CLUSTER_HEARTBEAT_INTERVAL", "2500ms"));

    assertThat(config.members()).containsExactly("10.0.0.1:5701", "10.0.0.2:5701");
    assertThat(config.leaseTtl()).isEqualTo(Duration.ofSeconds(20));
    assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofMillis(2500));
  }

  @Test
  void blankVariablesCountAsUnsetAsInTheNodeOptions() {
    assertThat(
            ClusterOptions.fromEnvironment(
                Map.of("AF_CLUSTER_PORT", "", "AF_CLUSTER_MEMBERS", " ", "AF_CLUSTER_NAME", "")))
        .isEqualTo(ClusterConfig.defaults());
  }

  @Test
  void unparsableValuesNameTheVariable() {
    assertThatThrownBy(() -> ClusterOptions.fromEnvironment(Map.of("AF_CLUSTER_PORT", "http")))
        .isInstanceOf(InvalidClusterConfigException.class)
        .hasMessageStartingWith("AF_CLUSTER_PORT: ");
    assertThatThrownBy(
            () -> ClusterOptions.fromEnvironment(Map.of("AF_CLUSTER_LEASE_TTL", "thirty")))
        .isInstanceOf(InvalidClusterConfigException.class)
        .hasMessageStartingWith("AF_CLUSTER_LEASE_TTL: ");
  }
}
