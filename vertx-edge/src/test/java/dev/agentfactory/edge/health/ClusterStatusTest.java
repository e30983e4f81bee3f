package dev.agentfactory.edge.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.cluster.ClusterHealth;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterStatusTest {

  private static ClusterHealth seeing(int members) {
    // as Hazelcast writes a member's address (seen on a node: "[127.0.0.1]:5981")
    return new ClusterHealth(ClusterHealth.State.ACTIVE, members, "[10.0.0.5]:5701", "node-a", 0);
  }

  @Test
  void aNodeThatListsOtherMembersButSeesNoneIsDegradedAndSaysWhatToCheck() {
    ComponentStatus status =
        ClusterStatus.of(seeing(1), List.of("10.0.0.5:5701", "10.0.0.6:5701", "10.0.0.7"));

    assertThat(status.state()).isEqualTo(ComponentStatus.State.DEGRADED);
    assertThat(status.isHealthy()).as("it still serves, as a first node must").isTrue();
    assertThat((String) status.detail().get("reason"))
        .contains("10.0.0.6:5701, 10.0.0.7")
        .doesNotContain("10.0.0.5")
        .contains("cluster.name or secret");
    assertThat(status.detail()).containsEntry("members", 1);
  }

  @Test
  void aNodeThatSeesAPeerOrListsOnlyItselfOrNobodyIsUp() {
    assertThat(ClusterStatus.of(seeing(2), List.of("10.0.0.6:5701")).state())
        .isEqualTo(ComponentStatus.State.UP);
    assertThat(
            ClusterStatus.of(seeing(1), List.of("10.0.0.5:5701", "10.0.0.5", "[10.0.0.5]")).state())
        .as("only itself, with and without the default port and brackets")
        .isEqualTo(ComponentStatus.State.UP);
    assertThat(ClusterStatus.of(seeing(1), List.of()).state())
        .as("single node, or Kubernetes discovery")
        .isEqualTo(ComponentStatus.State.UP);
  }

  @Test
  void aMemberThatIsNotActiveIsDown() {
    ClusterHealth stopping =
        new ClusterHealth(ClusterHealth.State.STOPPED, 0, "10.0.0.5:5701", "a", 0);

    assertThat(ClusterStatus.of(stopping, List.of()).state()).isEqualTo(ComponentStatus.State.DOWN);
  }
}
