package dev.agentfactory.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.cluster.ClusterNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ClusterJoinIT {

  private final TestCluster cluster = new TestCluster(5821, 2);

  @AfterEach
  void stopMembers() {
    cluster.close();
  }

  @Test
  void membersWithTheSameNameAndSecretJoin() {
    cluster.startAll(b -> b.secret("same-secret-for-all"));
  }

  @Test
  void aMemberWithTheWrongSecretDoesNotJoin() {
    ClusterNode member = cluster.start(b -> b.secret("the-real-secret"));
    ClusterNode stray = cluster.start(b -> b.secret("a-guessed-secret"));

    assertThat(member.health().memberCount()).isEqualTo(1);
    assertThat(stray.health().memberCount()).isEqualTo(1);
  }

  @Test
  void aMemberWithoutTheSecretDoesNotJoin() {
    ClusterNode member = cluster.start(b -> b.secret("the-real-secret"));
    ClusterNode stray = cluster.start(b -> b.secret(""));

    assertThat(member.health().memberCount()).isEqualTo(1);
    assertThat(stray.health().memberCount()).isEqualTo(1);
  }

  @Test
  void aMemberWithAnotherClusterNameDoesNotJoin() {
    ClusterNode member = cluster.start(b -> b);
    ClusterNode stray = cluster.start(b -> b.clusterName("someone-else"));

    assertThat(member.health().memberCount()).isEqualTo(1);
    assertThat(stray.health().memberCount()).isEqualTo(1);
  }
}
