package dev.agentfactory.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterConfigTest {

  @Test
  void defaultsDescribeTheEmbeddedSingleNode() {
    ClusterConfig config = ClusterConfig.defaults();

    assertThat(config.clusterName()).isEqualTo("agent-factory");
    assertThat(config.port()).isEqualTo(5701);
    assertThat(config.portAutoIncrement()).isTrue();
    assertThat(config.bindAddress()).isEqualTo("127.0.0.1");
    assertThat(config.members()).isEmpty();
    assertThat(config.kubernetes()).isNull();
    assertThat(config.leaseTtl()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.hasSecret()).isFalse();
  }

  @Test
  void clusterNameMustBeASimpleName() {
    assertInvalid(ClusterConfig.builder().clusterName("has space"), "clusterName");
    assertInvalid(ClusterConfig.builder().clusterName(""), "clusterName");
    assertInvalid(ClusterConfig.builder().clusterName(null), "clusterName");
  }

  @Test
  void aShortSecretIsRejected() {
    assertInvalid(ClusterConfig.builder().secret("short"), "secret");
  }

  @Test
  void portMustBeInRangeAndZeroIsAllowed() {
    assertInvalid(ClusterConfig.builder().port(-1), "port");
    assertInvalid(ClusterConfig.builder().port(65536), "port");
    assertThat(ClusterConfig.builder().port(0).build().port()).isZero();
  }

  @Test
  void bindAddressMustNotBeBlank() {
    assertInvalid(ClusterConfig.builder().bindAddress(" "), "bindAddress");
    assertInvalid(ClusterConfig.builder().bindAddress(null), "bindAddress");
  }

  @Test
  void memberPortRangesAreRejectedWithTheirIndex() {
    assertInvalid(
        ClusterConfig.builder().members(List.of("127.0.0.1:5801", "127.0.0.1:5801-5810")),
        "members[1]");
    assertInvalid(ClusterConfig.builder().members(List.of("host:notaport")), "members[0]");
    assertInvalid(ClusterConfig.builder().members(List.of("host:70000")), "members[0]");
  }

  @Test
  void membersAcceptHostsWithAndWithoutPorts() {
    ClusterConfig config =
        ClusterConfig.builder().members(List.of("10.0.0.1", "node-2:5702", "[::1]:5701")).build();

    assertThat(config.members()).containsExactly("10.0.0.1", "node-2:5702", "[::1]:5701");
  }

  @Test
  void membersAcceptIpv6AddressesBareOrInBrackets() {
    List<String> members =
        List.of("fd00::2", "::1", "[fd00::2]:5701", "[::1]", "::ffff:10.0.0.1", "fe80::1%eth0");

    assertThat(ClusterConfig.builder().members(members).build().members())
        .containsExactlyElementsOf(members);
  }

  @Test
  void malformedMemberAddressesAreRejectedNamingTheEntry() {
    for (String bad :
        List.of(
            "garbage::",
            ":::",
            "1::2::3",
            "fd00::zz",
            "1:2:3:4:5:6:7:8:9",
            "[::1",
            "[nope]:5701",
            "[::1]5701",
            ":5701",
            "host name:5701")) {
      assertInvalid(ClusterConfig.builder().members(List.of("10.0.0.1", bad)), "members[1]");
      assertThatThrownBy(() -> ClusterConfig.builder().members(List.of(bad)).build())
          .hasMessageContaining("'" + bad + "'");
    }
  }

  @Test
  void kubernetesDiscoveryExcludesAMemberList() {
    assertInvalid(
        ClusterConfig.builder()
            .members(List.of("127.0.0.1:5701"))
            .kubernetes(new ClusterConfig.KubernetesDiscovery("af-hz", "agents", null)),
        "members");
  }

  @Test
  void kubernetesDiscoveryResolvesTheServiceDnsName() {
    ClusterConfig.KubernetesDiscovery discovery =
        new ClusterConfig.KubernetesDiscovery("agent-factory-hz", "agents", null);

    assertThat(discovery.serviceDns()).isEqualTo("agent-factory-hz.agents.svc.cluster.local");
  }

  @Test
  void kubernetesNamesMustBeDnsLabels() {
    assertThatThrownBy(() -> new ClusterConfig.KubernetesDiscovery("Bad_Name", "agents", null))
        .isInstanceOf(InvalidClusterConfigException.class)
        .extracting(e -> ((InvalidClusterConfigException) e).field())
        .isEqualTo("kubernetes.serviceName");
  }

  @Test
  void heartbeatMustFitTwiceIntoTheLeaseTtl() {
    assertInvalid(
        ClusterConfig.builder()
            .leaseTtl(Duration.ofSeconds(10))
            .heartbeatInterval(Duration.ofSeconds(6)),
        "heartbeatInterval");
    assertThat(
            ClusterConfig.builder()
                .leaseTtl(Duration.ofSeconds(2))
                .heartbeatInterval(Duration.ZERO)
                .build()
                .heartbeatInterval())
        .isZero();
  }

  @Test
  void leaseTtlHasAFloor() {
    assertInvalid(ClusterConfig.builder().leaseTtl(Duration.ofMillis(10)), "leaseTtl");
    assertInvalid(ClusterConfig.builder().leaseTtl(null), "leaseTtl");
  }

  @Test
  void fencingRetentionMustCoverTheLeaseTtl() {
    assertInvalid(
        ClusterConfig.builder()
            .leaseTtl(Duration.ofMinutes(5))
            .heartbeatInterval(Duration.ofMinutes(1))
            .fencingRetention(Duration.ofMinutes(1)),
        "fencingRetention");
  }

  @Test
  void toStringNeverShowsTheSecret() {
    ClusterConfig config = ClusterConfig.builder().secret("correct-horse-battery").build();

    assertThat(config.toString()).doesNotContain("correct-horse-battery").contains("secret=<set>");
  }

  private static void assertInvalid(ClusterConfig.Builder builder, String field) {
    assertThatThrownBy(builder::build)
        .isInstanceOf(InvalidClusterConfigException.class)
        .hasMessageStartingWith(field + ": ")
        .extracting(e -> ((InvalidClusterConfigException) e).field())
        .isEqualTo(field);
  }
}
