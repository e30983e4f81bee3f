package dev.agentfactory.cluster.hazelcast;

import static dev.agentfactory.cluster.hazelcast.TestCluster.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.ClusterHealth;
import dev.agentfactory.cluster.ClusterNode;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.lease.LeaseConflictException;
import dev.agentfactory.cluster.lease.LeaseFencedException;
import dev.agentfactory.cluster.lease.LeaseRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LeaseRegistryIT {

  private static final Duration SHORT_TTL = Duration.ofSeconds(2);

  private final TestCluster cluster = new TestCluster(5801, 3);

  @AfterEach
  void stopMembers() {
    cluster.close();
  }

  @Test
  void fencingTokensStrictlyIncreaseAcrossMembers() {
    List<ClusterNode> nodes = cluster.startAll(b -> b);
    List<Long> tokens = new ArrayList<>();

    for (int round = 0; round < 9; round++) {
      LeaseRegistry leases = nodes.get(round % nodes.size()).leases();
      Lease lease = join(leases.acquire("sbx-fence", "s-" + round, "python"));
      tokens.add(lease.fencingToken());
      join(leases.release(lease));
    }

    assertThat(tokens).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void aSandboxWithALiveLeaseCannotBeAcquiredAgain() {
    List<ClusterNode> nodes = cluster.start(2, b -> b);
    Lease held = join(nodes.get(0).leases().acquire("sbx-1", "s-1", "python"));

    assertThat(held.ownerNode()).isEqualTo(nodes.get(0).nodeId());
    for (ClusterNode node : nodes) {
      assertThatThrownBy(() -> join(node.leases().acquire("sbx-1", "s-2", "python")))
          .isInstanceOf(LeaseConflictException.class)
          .satisfies(e -> assertThat(((LeaseConflictException) e).holder()).isEqualTo(held));
    }
    assertThat(join(nodes.get(1).leases().current("sbx-1"))).contains(held);
    // the entry's own TTL is the backstop: lease TTL plus the fencing retention
    long entryTtl =
        ((HazelcastClusterNode) nodes.get(1))
            .hazelcast()
            .getMap(HazelcastConfigs.LEASE_MAP)
            .getEntryView("sbx-1")
            .getTtl();
    assertThat(entryTtl).isEqualTo(Duration.ofSeconds(30).plus(Duration.ofHours(1)).toMillis());
    assertThat(join(nodes.get(1).leases().activeLeases())).isEqualTo(1L);
  }

  @Test
  void concurrentAcquiresOfOneSandboxGrantExactlyOneLease() {
    List<ClusterNode> nodes = cluster.start(2, b -> b);
    List<CompletableFuture<Lease>> attempts = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      LeaseRegistry leases = nodes.get(i % 2).leases();
      attempts.add(leases.acquire("sbx-race", "s-" + i, "python").toCompletableFuture());
    }

    List<Lease> granted = new ArrayList<>();
    for (CompletableFuture<Lease> attempt : attempts) {
      try {
        granted.add(join(attempt));
      } catch (LeaseConflictException expected) {
        assertThat(expected.retriable()).isTrue();
      }
    }

    assertThat(granted).hasSize(1);
    assertThat(join(nodes.get(0).leases().current("sbx-race"))).contains(granted.get(0));
  }

  @Test
  void callsAfterCloseFailWithAClusterException() {
    ClusterNode node = cluster.start(b -> b);
    Lease lease = join(node.leases().acquire("sbx-closed", "s-1", "python"));
    node.close();

    assertThatThrownBy(() -> join(node.leases().acquire("sbx-other", "s-2", "python")))
        .isExactlyInstanceOf(ClusterException.class);
    assertThatThrownBy(() -> join(node.leases().renew(lease)))
        .isExactlyInstanceOf(ClusterException.class);
    assertThatThrownBy(() -> join(node.leases().activeLeases()))
        .isExactlyInstanceOf(ClusterException.class);
  }

  @Test
  void releaseAndRenewWithAStaleTokenAreFenced() {
    List<ClusterNode> nodes = cluster.start(2, b -> b);
    LeaseRegistry first = nodes.get(0).leases();
    LeaseRegistry second = nodes.get(1).leases();
    Lease stale = join(first.acquire("sbx-2", "s-1", "python"));
    join(first.release(stale));
    Lease fresh = join(second.acquire("sbx-2", "s-2", "python"));

    assertThatThrownBy(() -> join(first.release(stale))).isInstanceOf(LeaseFencedException.class);
    assertThatThrownBy(() -> join(first.renew(stale))).isInstanceOf(LeaseFencedException.class);
    assertThat(join(second.current("sbx-2"))).contains(fresh);
    assertThat(fresh.fencingToken()).isGreaterThan(stale.fencingToken());
  }

  @Test
  void renewExtendsTheLeaseFromNow() {
    ClusterNode node = cluster.start(b -> b.leaseTtl(SHORT_TTL).heartbeatInterval(Duration.ZERO));
    Lease lease = join(node.leases().acquire("sbx-3", "s-1", "python"));
    await(
        Duration.ofSeconds(5),
        "cluster time moves past the grant",
        () -> Instant.now().isAfter(lease.grantedAt().plusMillis(200)));

    Lease renewed = join(node.leases().renew(lease));

    assertThat(renewed.fencingToken()).isEqualTo(lease.fencingToken());
    assertThat(renewed.expiresAt()).isAfter(lease.expiresAt());
  }

  @Test
  void aLeaseThatIsNotRenewedExpiresAfterItsTtl() {
    List<ClusterNode> nodes =
        cluster.start(2, b -> b.leaseTtl(SHORT_TTL).heartbeatInterval(Duration.ZERO));
    LeaseRegistry holder = nodes.get(0).leases();
    LeaseRegistry other = nodes.get(1).leases();
    Lease lease = join(holder.acquire("sbx-4", "s-1", "python"));
    long start = System.nanoTime();

    await(Duration.ofSeconds(10), "the lease lapses", () -> join(other.current("sbx-4")).isEmpty());

    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(SHORT_TTL.minusMillis(300));
    Lease next = join(other.acquire("sbx-4", "s-2", "python"));
    assertThat(next.fencingToken()).isGreaterThan(lease.fencingToken());
    assertThatThrownBy(() -> join(holder.renew(lease))).isInstanceOf(LeaseFencedException.class);
  }

  @Test
  void theHeartbeatKeepsALeaseAliveBeyondItsTtl() {
    List<ClusterNode> nodes =
        cluster.start(2, b -> b.leaseTtl(SHORT_TTL).heartbeatInterval(Duration.ofMillis(400)));
    Lease lease = join(nodes.get(0).leases().acquire("sbx-5", "s-1", "python"));
    Instant wellPastTtl = lease.expiresAt().plus(SHORT_TTL);

    await(
        Duration.ofSeconds(15),
        "two TTLs pass with the lease live",
        () -> {
          Optional<Lease> current = join(nodes.get(1).leases().current("sbx-5"));
          assertThat(current).as("lease still live").isPresent();
          return current.get().expiresAt().isAfter(wellPastTtl);
        });
    assertThat(nodes.get(0).leases().heldLeases()).isEqualTo(1);
    // counted by the expiry its renewals wrote, not the one it was granted with (long past)
    for (ClusterNode node : nodes) {
      assertThat(join(node.leases().activeLeases())).as("live records").isEqualTo(1L);
    }
  }

  @Test
  void survivorsReclaimTheLeasesOfATerminatedMember() {
    // the default 30 s TTL: the leases can only go away within the bound through reclaim
    List<ClusterNode> nodes = cluster.startAll(b -> b);
    ClusterNode doomed = nodes.get(2);
    List<Lease> leases = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      leases.add(join(doomed.leases().acquire("sbx-lost-" + i, "s-" + i, "python")));
    }
    Lease survivorLease = join(nodes.get(0).leases().acquire("sbx-kept", "s-k", "python"));

    TestCluster.terminate(doomed);
    long killedAt = System.nanoTime();

    LeaseRegistry survivor = nodes.get(1).leases();
    await(
        Duration.ofSeconds(20),
        "the survivors reclaim the dead member's leases",
        () -> leases.stream().allMatch(l -> join(survivor.current(l.sandboxId())).isEmpty()));
    System.out.printf(
        "reclaimed %d leases %d ms after the kill%n",
        leases.size(), Duration.ofNanos(System.nanoTime() - killedAt).toMillis());
    assertThat(join(survivor.current("sbx-kept"))).contains(survivorLease);
    Lease retaken = join(survivor.acquire("sbx-lost-0", "s-new", "python"));
    assertThat(retaken.fencingToken()).isGreaterThan(leases.get(0).fencingToken());
    assertThat(nodes.get(0).health().memberCount()).isEqualTo(2);
  }

  @Test
  void healthReportsAnActiveClusterAndThenStopped() {
    List<ClusterNode> nodes = cluster.startAll(b -> b);
    ClusterHealth health = nodes.get(0).health();

    assertThat(health.state()).isEqualTo(ClusterHealth.State.ACTIVE);
    assertThat(health.memberCount()).isEqualTo(3);
    assertThat(health.localAddress()).startsWith("[127.0.0.1]:58");
    assertThat(health.nodeId()).isEqualTo(nodes.get(0).nodeId());

    nodes.get(0).close();
    assertThat(nodes.get(0).health().state()).isEqualTo(ClusterHealth.State.STOPPED);
  }

  /** Waits for a stage and rethrows its failure unwrapped, so assertions see the real type. */
  private static <T> T join(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }
}
