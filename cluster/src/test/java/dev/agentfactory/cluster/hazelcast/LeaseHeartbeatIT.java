package dev.agentfactory.cluster.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.agentfactory.cluster.ClusterConfig;
import dev.agentfactory.cluster.lease.Lease;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The heartbeat of a node cut off from the lease quorum: a real member alone with a lease quorum of
 * 2, so its lease map refuses every renew (split-brain protection), as on the minority side of a
 * partition. Only the lease's own expiry can then tell the node it lost it.
 */
class LeaseHeartbeatIT {

  /** How long the lease has left when the test adopts it. */
  private static final Duration LEFT = Duration.ofMillis(1_500);

  private HazelcastInstance member;
  private HazelcastInstance peer;
  private ExecutorService worker;
  private HazelcastLeaseRegistry registry;
  private final List<Lease> lost = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startThenLoseThePeer() {
    TestCluster cluster = TestCluster.onFreePorts(2);
    ClusterConfig config = cluster.config(b -> b.leaseQuorum(2));
    // bare members, not ClusterNode.start (which runs a heartbeat of its own); the registry's
    // map and indexes need the quorum to be created
    member = Hazelcast.newHazelcastInstance(HazelcastConfigs.toHazelcast(config));
    peer =
        Hazelcast.newHazelcastInstance(
            HazelcastConfigs.toHazelcast(
                cluster.config(b -> b.leaseQuorum(2).port(cluster.portOf(1)))));
    TestCluster.await(
        Duration.ofSeconds(60),
        "both members joined",
        () -> member.getCluster().getMembers().size() == 2);
    worker = Executors.newSingleThreadExecutor();
    registry =
        new HazelcastLeaseRegistry(
            member.getMap(HazelcastConfigs.LEASE_MAP),
            member.getCluster(),
            "node-a-0000",
            config,
            worker,
            key -> member.getPartitionService().getPartition(key).getPartitionId());
    registry.onLost(lost::add);
    // the peer goes away: the member is alone below its quorum, as on the minority side of a
    // partition
    peer.getLifecycleService().terminate();
    TestCluster.await(
        Duration.ofSeconds(60),
        "the member is alone",
        () -> member.getCluster().getMembers().size() == 1);
  }

  @AfterEach
  void stop() {
    if (registry != null) {
      registry.close();
    }
    if (worker != null) {
      worker.shutdownNow();
    }
    member.shutdown();
  }

  @Test
  void aLeaseWhoseRenewsAreRefusedIsKeptWithinItsTtlAndReportedLostOnceAfterIt() {
    Instant now = Instant.ofEpochMilli(member.getCluster().getClusterTime());
    Lease lease =
        new Lease(
            "lease-1", 42, "node-a-0000", "sbx-1@node-a", "s-1", "shell", now, now.plus(LEFT));
    registry.adopt(lease);

    registry.heartbeat(1_000);
    assertThat(lost).as("renew refused, but the lease has not expired yet").isEmpty();
    assertThat(registry.holds(lease)).isTrue();

    TestCluster.await(
        Duration.ofSeconds(30),
        "the lease's expiry passes in cluster time",
        () -> member.getCluster().getClusterTime() > lease.expiresAt().toEpochMilli());
    registry.heartbeat(1_000);
    registry.heartbeat(1_000);

    assertThat(lost).as("reported once").containsExactly(lease);
    assertThat(registry.holds(lease)).isFalse();
  }
}
