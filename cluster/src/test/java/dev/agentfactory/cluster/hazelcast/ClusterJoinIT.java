package dev.agentfactory.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.cluster.ClusterConfig;
import dev.agentfactory.cluster.ClusterNode;
import dev.agentfactory.cluster.lease.Lease;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
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
  void aRevocationNoticeThatCannotBeSentFailsItsStageInsteadOfThrowing() {
    ClusterNode member = cluster.start(b -> b);

    // Hazelcast refuses a null message by throwing; the caller counts and logs a failed notice
    // from the stage alone, so publish must turn that into a failed stage
    CompletionStage<Void> sent = member.keyRevocations().publish(null);
    assertThat(sent.toCompletableFuture()).failsWithin(Duration.ofSeconds(10));
    assertThat(member.keyRevocations().publish("key_1").toCompletableFuture())
        .succeedsWithin(Duration.ofSeconds(10));
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

  @Test
  void aMemberWithALeaseQuorumWaitsForItsPeersInsteadOfFailing() throws Exception {
    try (TestCluster quorum = TestCluster.onFreePorts(2)) {
      ClusterConfig first = quorum.config(b -> b.leaseQuorum(2));
      CompletableFuture<ClusterNode> early =
          CompletableFuture.supplyAsync(() -> ClusterNode.start(first));
      try {
        // Alone, the member is up but below its quorum: start-up neither returns nor fails
        TestCluster.await(
            Duration.ofSeconds(30),
            "the first member runs alone",
            () ->
                com.hazelcast.core.Hazelcast.getAllHazelcastInstances().stream()
                    .anyMatch(h -> h.getConfig().getNetworkConfig().getPort() == first.port()));
        Thread.sleep(1_500);
        assertThat(early).as("start-up of a member alone below its lease quorum").isNotDone();

        ClusterNode second = quorum.start(b -> b.leaseQuorum(2).port(quorum.portOf(1)));
        ClusterNode started = early.get(60, TimeUnit.SECONDS);
        try {
          assertThat(started.health().memberCount()).isEqualTo(2);
          Lease lease =
              started.leases().acquire("sbx-q", "s-1", "shell").toCompletableFuture().join();
          assertThat(second.leases().current("sbx-q").toCompletableFuture().join()).contains(lease);
        } finally {
          started.close();
        }
      } finally {
        early.thenAccept(ClusterNode::close);
      }
    }
  }
}
