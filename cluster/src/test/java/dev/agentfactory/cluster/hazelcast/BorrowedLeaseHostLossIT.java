package dev.agentfactory.cluster.hazelcast;

import static dev.agentfactory.cluster.hazelcast.DistributedPoolIT.awaitAdvertised;
import static dev.agentfactory.cluster.hazelcast.DistributedPoolIT.join;
import static dev.agentfactory.cluster.hazelcast.TestCluster.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.cluster.hazelcast.PoolNodes.Node;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.lease.LeaseRegistry;
import dev.agentfactory.cluster.pool.LeaseLostListener;
import dev.agentfactory.cluster.pool.PoolConfig;
import dev.agentfactory.cluster.pool.PooledSandbox;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.SandboxException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The lease record of a sandbox borrowed from a node that dies is freed whichever the borrower
 * learns of first: the departure (the pool's membership listener loses the lease) or a call to the
 * host that failed, after which the session releases the sandbox before the listener has run.
 *
 * <p>The second order is forced, not raced: the borrower holds two sandboxes of the host, and a
 * lost-listener blocks the pool's departure handling inside the first lease it loses, so the other
 * lease is still active, with its host gone, while the test releases it. The lease TTL is ten
 * minutes, so a record found free within the waits below was freed, not lapsed.
 */
class BorrowedLeaseHostLossIT {

  private static final Duration TTL = Duration.ofMinutes(10);
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final PoolNodes nodes = new PoolNodes(2);
  private final CountDownLatch resume = new CountDownLatch(1);

  @AfterEach
  void stop() {
    resume.countDown();
    nodes.close();
  }

  /** The borrower, its two borrowed leases with a command running in each, and the host. */
  private record Setup(Node borrower, Node host, List<PooledSandbox> leases, Running running) {}

  private record Running(
      CompletableFuture<ExecResult> first, CompletableFuture<ExecResult> second) {
    CompletableFuture<ExecResult> of(int index) {
      return index == 0 ? first : second;
    }
  }

  private Setup twoSandboxesBorrowedFromOneHost() {
    PoolConfig pool = PoolNodes.fastPool().withQuotas(0, Map.of("acme", 2));
    Node a = nodes.start(0, pool, b -> b.leaseTtl(TTL));
    Node c = nodes.start(2, pool, b -> b.leaseTtl(TTL));
    awaitReady(c, 2);
    awaitAdvertised(a, c, 2);
    PooledSandbox first = join(a.pool().lease("s-1", "acme", "shell"));
    // the host refills its stock; borrowing again before it has would start one on the borrower
    awaitReady(c, 2);
    awaitAdvertised(a, c, 2);
    PooledSandbox second = join(a.pool().lease("s-2", "acme", "shell"));
    for (PooledSandbox leased : List.of(first, second)) {
      assertThat(leased.borrowed()).isTrue();
      assertThat(leased.hostNode()).isEqualTo(c.id());
    }
    assertThat(quotaCount(a)).isEqualTo(2);
    assertThat(join(a.cluster().leases().activeLeases())).as("live records").isEqualTo(2);
    Running running = new Running(sleeping(first), sleeping(second));
    return new Setup(a, c, List.of(first, second), running);
  }

  @Test
  void aBorrowedLeaseReleasedBeforeThePoolHearsItsHostLeftHasItsRecordFreed() {
    Setup setup = twoSandboxesBorrowedFromOneHost();
    Node a = setup.borrower();
    LeaseRegistry registry = a.cluster().leases();
    List<PooledSandbox> heard = holdTheDepartureInTheFirstLoss(a);

    TestCluster.terminate(setup.host().cluster());

    await(WAIT, "the pool handles the departure", () -> !heard.isEmpty());
    int other = setup.leases().get(0) == heard.get(0) ? 1 : 0;
    PooledSandbox released = setup.leases().get(other);
    // its session learns of the loss from its command, which failed as the host went
    assertThatThrownBy(() -> join(setup.running().of(other).orTimeout(60, TimeUnit.SECONDS)))
        .isInstanceOfSatisfying(
            SandboxException.class, e -> assertThat(e.code()).isEqualTo("sandbox_lost"));
    assertThat(join(registry.current(released.lease().sandboxId())))
        .as("nobody freed the record yet")
        .contains(released.lease());
    assertThat(join(registry.activeLeases()))
        .as("live records, the dead host's partitions now the borrower's")
        .isEqualTo(2);

    join(a.pool().release(released));

    await(
        WAIT,
        "the released lease's record is freed",
        () -> join(registry.current(released.lease().sandboxId())).isEmpty());
    assertThat(heard).as("the departure did not reach the released lease").hasSize(1);

    resume.countDown();
    PooledSandbox lost = heard.get(0);
    await(
        WAIT,
        "the lease the departure found is freed too",
        () -> join(registry.current(lost.lease().sandboxId())).isEmpty());
    assertThat(heard).hasSize(1);
    assertThat(join(registry.activeLeases())).as("live records cluster-wide").isZero();
    assertThat(registry.heldLeases()).isZero();
    assertThat(a.pool().drainStatus().activeLeases()).isZero();
    await(WAIT, "both quota holds are given back", () -> quotaCount(a) == 0);
  }

  @Test
  void aReleaseAfterTheHostLeftLeavesARecordThatANewerLeaseHoldsAlone() {
    Setup setup = twoSandboxesBorrowedFromOneHost();
    Node a = setup.borrower();
    LeaseRegistry registry = a.cluster().leases();
    List<PooledSandbox> heard = holdTheDepartureInTheFirstLoss(a);

    TestCluster.terminate(setup.host().cluster());

    await(WAIT, "the pool handles the departure", () -> !heard.isEmpty());
    PooledSandbox stale = setup.leases().get(setup.leases().get(0) == heard.get(0) ? 1 : 0);
    String sandboxId = stale.lease().sandboxId();
    // meanwhile the record moved on: freed under the old token, then leased under a newer one
    join(registry.release(stale.lease()));
    Lease newer = join(registry.acquire(sandboxId, "s-newer", "shell"));
    assertThat(newer.fencingToken()).isGreaterThan(stale.lease().fencingToken());

    join(a.pool().release(stale));

    assertThat(join(registry.current(sandboxId)))
        .as("the old lease's release does not free the newer lease's record")
        .contains(newer);
  }

  /**
   * Blocks the pool's handling of a departure in the first lease it loses, until {@link #resume};
   * returns the leases it was told of.
   */
  private List<PooledSandbox> holdTheDepartureInTheFirstLoss(Node borrower) {
    List<PooledSandbox> heard = new CopyOnWriteArrayList<>();
    borrower
        .pool()
        .addLostListener(
            (leased, reason) -> {
              if (reason != LeaseLostListener.Reason.HOST_LEFT) {
                return; // not what this test makes happen: the heard list stays short of it
              }
              heard.add(leased);
              if (heard.size() == 1) {
                try {
                  resume.await(5, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            });
    return heard;
  }

  private static CompletableFuture<ExecResult> sleeping(PooledSandbox leased) {
    StringBuilder out = new StringBuilder();
    CompletableFuture<ExecResult> running =
        leased
            .sandbox()
            .exec(
                ExecRequest.shell("echo up; sleep 600"),
                (stream, chunk) -> {
                  synchronized (out) {
                    out.append(new String(chunk, java.nio.charset.StandardCharsets.UTF_8));
                  }
                })
            .toCompletableFuture();
    await(
        WAIT,
        "the command runs on the host",
        () -> {
          synchronized (out) {
            return out.toString().contains("up");
          }
        });
    return running;
  }

  private static int quotaCount(Node node) {
    TenantHolds holds =
        ((HazelcastClusterNode) node.cluster())
            .hazelcast()
            .<String, TenantHolds>getMap(HazelcastConfigs.QUOTA_MAP)
            .get("acme");
    return holds == null ? 0 : holds.count();
  }

  private static void awaitReady(Node node, int ready) {
    await(
        WAIT,
        "the local pool has " + ready + " warm sandboxes",
        () -> node.sandboxes().stats().ready().getOrDefault("shell", 0) >= ready);
  }
}
