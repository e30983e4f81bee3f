package dev.agentfactory.cluster.hazelcast;

import static dev.agentfactory.cluster.hazelcast.TestCluster.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.core.HazelcastInstance;
import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.hazelcast.PoolNodes.Node;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.pool.DrainStatus;
import dev.agentfactory.cluster.pool.LeaseLostListener;
import dev.agentfactory.cluster.pool.PoolConfig;
import dev.agentfactory.cluster.pool.PooledSandbox;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.SandboxPool;
import java.io.ByteArrayOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DistributedPoolIT {

  private final PoolNodes nodes = new PoolNodes(3);

  @AfterEach
  void stop() {
    Stall.release();
    nodes.close();
  }

  @Test
  void aLocalLeaseTakesLocalStockWithoutWaitingForTheCluster() {
    Node a = nodes.start(2);
    Node b = nodes.start(0);
    awaitReady(a, 2);

    CompletableFuture<PooledSandbox> leasing =
        a.pool().lease("s-1", "acme", "shell").toCompletableFuture();

    assertThat(leasing).as("complete on return: no network hop in front of the caller").isDone();
    PooledSandbox leased = join(leasing);
    assertThat(leased.borrowed()).isFalse();
    assertThat(leased.hostNode()).isEqualTo(a.id());
    assertThat(a.pool().counters().remoteCallsOnLeasePath()).isZero();
    assertThat(a.pool().counters().localLeases()).isEqualTo(1);
    await(
        Duration.ofSeconds(10),
        "the lease is recorded cluster-wide",
        () -> join(b.cluster().leases().current(leased.lease().sandboxId())).isPresent());
    Lease recorded = join(b.cluster().leases().current(leased.lease().sandboxId())).orElseThrow();
    assertThat(recorded).isEqualTo(leased.lease());
    assertThat(output(leased, "echo local")).isEqualTo("local\n");

    join(a.pool().release(leased));

    assertThat(leased.sandbox().isAlive()).isFalse();
    assertThat(join(b.cluster().leases().current(leased.lease().sandboxId()))).isEmpty();
  }

  @Test
  void aLocalMissBorrowsFromThePeerWithTheMostStock() {
    Node a = nodes.start(0);
    Node b = nodes.start(1);
    Node c = nodes.start(3);
    awaitReady(b, 1);
    awaitReady(c, 3);
    awaitAdvertised(a, c, 3);

    PooledSandbox leased = join(a.pool().lease("s-1", "acme", "shell"));

    assertThat(leased.borrowed()).isTrue();
    assertThat(leased.hostNode()).isEqualTo(c.id());
    assertThat(leased.lease().ownerNode()).isEqualTo(a.id());
    assertThat(leased.lease().sandboxId()).endsWith("@" + c.id());
    assertThat(a.pool().counters().borrowedLeases()).isEqualTo(1);
    assertThat(c.pool().counters().lentSandboxes()).isEqualTo(1);
    assertThat(c.sandboxes().stats().leased().get("shell")).isEqualTo(1);
    assertThat(output(leased, "echo borrowed; echo err >&2")).isEqualTo("borrowed\n");
    assertThat(join(b.cluster().leases().current(leased.lease().sandboxId())))
        .contains(leased.lease());

    join(a.pool().release(leased));

    assertThat(c.pool().drainStatus().lentSandboxes()).isZero();
    assertThat(join(b.cluster().leases().current(leased.lease().sandboxId()))).isEmpty();
    await(
        Duration.ofSeconds(10),
        "the host terminated the returned sandbox",
        () -> c.sandboxes().stats().leased().get("shell") == 0);
  }

  @Test
  void aTenantQuotaHoldsAcrossNodes() {
    var quota = PoolNodes.fastPool().withQuotas(0, Map.of("acme", 2));
    Node a = nodes.start(2, quota, b -> b);
    Node b = nodes.start(2, quota, x -> x);
    Node c = nodes.start(2, quota, x -> x);
    awaitReady(a, 2);
    awaitReady(b, 2);
    awaitReady(c, 2);

    PooledSandbox first = join(a.pool().lease("s-1", "acme", "shell"));
    join(b.pool().lease("s-2", "acme", "shell"));

    assertThatThrownBy(() -> join(c.pool().lease("s-3", "acme", "shell")))
        .isInstanceOfSatisfying(
            ClusterException.class,
            e -> {
              assertThat(e.code()).isEqualTo("quota.exceeded");
              assertThat(e.retriable()).isTrue();
            });
    PooledSandbox other = join(c.pool().lease("s-4", "other-tenant", "shell"));
    assertThat(other.tenant()).isEqualTo("other-tenant");

    join(a.pool().release(first));
    await(
        Duration.ofSeconds(10),
        "the released lease frees quota",
        () -> {
          try {
            join(c.pool().lease("s-5", "acme", "shell"));
            return true;
          } catch (ClusterException e) {
            return false;
          }
        });
  }

  @Test
  void aKilledHostLosesItsLeasesAndBorrowersAreTold() {
    Node a = nodes.start(0);
    Node b = nodes.start(0);
    Node c = nodes.start(3);
    awaitReady(c, 3);
    awaitAdvertised(a, c, 3);
    List<String> told = new CopyOnWriteArrayList<>();
    a.pool()
        .addLostListener((leased, reason) -> told.add(leased.lease().sessionId() + ":" + reason));
    PooledSandbox borrowed = join(a.pool().lease("s-borrow", "acme", "shell"));
    PooledSandbox hostOwn = join(c.pool().lease("s-own", "acme", "shell"));
    assertThat(borrowed.hostNode()).isEqualTo(c.id());
    await(
        Duration.ofSeconds(10),
        "the host's own lease is recorded",
        () -> join(b.cluster().leases().current(hostOwn.lease().sandboxId())).isPresent());

    TestCluster.terminate(c.cluster());
    long killed = System.nanoTime();

    await(
        Duration.ofSeconds(10),
        "the borrower is told and the host's own lease is reclaimed",
        () ->
            !told.isEmpty()
                && join(b.cluster().leases().current(hostOwn.lease().sandboxId())).isEmpty()
                && join(b.cluster().leases().current(borrowed.lease().sandboxId())).isEmpty());
    System.out.printf(
        "leases of the killed host marked lost %d ms after the kill%n",
        Duration.ofNanos(System.nanoTime() - killed).toMillis());
    assertThat(told).containsExactly("s-borrow:" + LeaseLostListener.Reason.HOST_LEFT);
    assertThat(borrowed.sandbox().isAlive()).isFalse();
    assertThatThrownBy(() -> output(borrowed, "true"))
        .isInstanceOfSatisfying(
            SandboxException.class, e -> assertThat(e.code()).isEqualTo("sandbox_lost"));
    assertThat(a.pool().drainStatus().activeLeases()).isZero();
    assertThat(a.cluster().leases().heldLeases()).isZero();
  }

  @Test
  void aHostReclaimsTheSandboxOfABorrowerThatDied() {
    Node a = nodes.start(0);
    Node c = nodes.start(2);
    awaitReady(c, 2);
    awaitAdvertised(a, c, 2);
    PooledSandbox borrowed = join(a.pool().lease("s-1", "acme", "shell"));
    assertThat(c.pool().drainStatus().lentSandboxes()).isEqualTo(1);

    TestCluster.terminate(a.cluster());

    await(
        Duration.ofSeconds(10),
        "the host terminates the orphaned sandbox and frees its record",
        () ->
            c.pool().drainStatus().lentSandboxes() == 0
                && join(c.cluster().leases().current(borrowed.lease().sandboxId())).isEmpty());
    assertThat(c.pool().counters().sandboxesReclaimed()).isEqualTo(1);
    await(
        Duration.ofSeconds(10),
        "no leased sandbox is left on the host",
        () -> c.sandboxes().stats().leased().get("shell") == 0);
  }

  @Test
  void drainingStopsNewLeasesAndEndsWhenTheLastSessionEnds() {
    Node a = nodes.start(2);
    Node b = nodes.start(2);
    awaitReady(a, 2);
    awaitReady(b, 2);
    PooledSandbox open = join(a.pool().lease("s-1", "acme", "shell"));

    CompletableFuture<DrainStatus> drained = a.pool().drain().toCompletableFuture();

    assertThatThrownBy(() -> join(a.pool().lease("s-2", "acme", "shell")))
        .isInstanceOfSatisfying(
            ClusterException.class, e -> assertThat(e.code()).isEqualTo("pool.draining"));
    await(
        Duration.ofSeconds(10),
        "peers see the drain and the drained node's warm sandboxes go",
        () ->
            b.pool().stock().get(a.id()) != null
                && b.pool().stock().get(a.id()).draining()
                && a.sandboxes().stats().ready().get("shell") == 0);
    // a peer's miss never borrows from a draining node
    join(b.pool().lease("s-3", "acme", "shell"));
    join(b.pool().lease("s-4", "acme", "shell"));
    PooledSandbox third = join(b.pool().lease("s-5", "acme", "shell"));
    assertThat(third.borrowed()).isFalse();
    assertThat(drained).isNotDone();

    join(a.pool().release(open));

    DrainStatus status = drained.orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
    assertThat(status.drained()).isTrue();
  }

  @Test
  void aNodeDrainsEvenIfACloudWideTargetNamesATemplateItDoesNotHave() {
    // one node's templates may differ from another's: "gpu" is not among this node's
    PoolConfig pool = PoolNodes.fastPool().withTargets(Map.of("shell", 1, "gpu", 1));
    Node a = nodes.start(0, pool, x -> x);
    awaitReady(a, 1);

    CompletableFuture<DrainStatus> drained = a.pool().drain().toCompletableFuture();

    assertThat(drained.orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join().drained())
        .isTrue();
    await(
        Duration.ofSeconds(10),
        "the drained node keeps no warm shell",
        () ->
            a.sandboxes().stats().target().get("shell") == 0
                && a.sandboxes().stats().ready().get("shell") == 0);
  }

  @Test
  void aReleaseAfterTheNodeClosedStillTerminatesTheSandboxWithoutThrowing() {
    Node a = nodes.start(1);
    awaitReady(a, 1);
    List<String> lost = new CopyOnWriteArrayList<>();
    a.pool().addLostListener((held, reason) -> lost.add(reason.code()));
    PooledSandbox leased = join(a.pool().lease("s-1", "acme", "shell"));
    await(
        Duration.ofSeconds(10),
        "the lease is recorded",
        () -> join(a.cluster().leases().current(leased.lease().sandboxId())).isPresent());

    a.cluster().close();
    CompletionStage<Void> released = a.pool().release(leased);

    join(released);
    assertThat(lost).isEmpty();
    assertThat(leased.sandbox().isAlive()).isFalse();
    assertThat(a.pool().drainStatus().activeLeases()).isZero();
  }

  @Test
  void theHostsSweepDoesNotWaitForBorrowersToHearThatTheirSandboxesEnded() {
    Node a = nodes.start(0, PoolNodes.fastPool(), b -> b.heartbeatInterval(Duration.ofMillis(200)));
    Node c = nodes.start(2);
    List<String> lost = new CopyOnWriteArrayList<>();
    a.pool().addLostListener((held, reason) -> lost.add(reason.code()));
    List<PooledSandbox> borrowed = new ArrayList<>();
    for (String session : List.of("s-1", "s-2")) {
      awaitReady(c, 2);
      awaitAdvertised(a, c, 2);
      borrowed.add(join(a.pool().lease(session, "acme", "shell")));
    }
    assertThat(borrowed).allMatch(PooledSandbox::borrowed);
    Lender lender = (Lender) hazelcast(c).getUserContext().get(PoolTasks.LENDER);
    lender.tellWait(Duration.ofMinutes(5));
    Stall.hold(hazelcast(a), HazelcastConfigs.CONTROL_EXECUTOR, 8);

    borrowed.forEach(leased -> lender.lentSandbox(leased.lease().sandboxId()).close());
    CompletableFuture<Void> sweep = CompletableFuture.runAsync(() -> lender.sweep(node -> true));

    await(Duration.ofSeconds(10), "the sweep returns though the borrower is silent", sweep::isDone);
    join(sweep);
    assertThat(lender.size()).as("each loan ends once its borrower heard").isEqualTo(2);
    Stall.release();
    await(
        Duration.ofSeconds(10),
        "both borrowers are told and both loans end",
        () -> lender.size() == 0 && borrowed.stream().noneMatch(l -> l.sandbox().isAlive()));
    for (PooledSandbox leased : borrowed) {
      assertThat(join(leased.sandbox().whenTerminated())).startsWith("it ended on its host");
      join(a.pool().release(leased));
    }
    assertThat(lost).as("told, not fenced").isEmpty();
  }

  /** Holds threads of a member's executor until {@link #release}: a member that does not answer. */
  static final class Stall implements Callable<Boolean>, Serializable {
    private static final long serialVersionUID = 1L;
    private static volatile CountDownLatch started = new CountDownLatch(0);
    private static volatile CountDownLatch released = new CountDownLatch(0);

    /** Takes all {@code threads} threads of {@code executor} on {@code member}'s own member. */
    static void hold(HazelcastInstance member, String executor, int threads) {
      started = new CountDownLatch(threads);
      released = new CountDownLatch(1);
      for (int i = 0; i < threads; i++) {
        member
            .getExecutorService(executor)
            .submitToMember(new Stall(), member.getCluster().getLocalMember());
      }
      await(Duration.ofSeconds(10), "every thread is held", () -> started.getCount() == 0);
    }

    static void release() {
      released.countDown();
    }

    @Override
    public Boolean call() throws InterruptedException {
      started.countDown();
      released.await();
      return true;
    }
  }

  @Test
  void aLoanWhoseGrantThrowsTerminatesTheSandboxItTook() {
    Node c = nodes.start(1, PoolNodes.fastPool(), b -> b, GrantFailingPool::new);
    awaitReady(c, 1);
    Lender lender = (Lender) hazelcast(c).getUserContext().get(PoolTasks.LENDER);

    assertThatThrownBy(() -> lender.lend("shell", "s-1", "a-borrower"))
        .hasMessageContaining("no id to grant under");

    assertThat(lender.size()).isZero();
    await(
        Duration.ofSeconds(10),
        "the sandbox taken for the loan is terminated, not leaked as leased",
        () -> c.sandboxes().stats().leased().getOrDefault("shell", 0) == 0);
  }

  /** A local pool whose sandboxes cannot be granted: their id throws (the grant's first use). */
  private static final class GrantFailingPool extends ForwardingPool {
    GrantFailingPool(SandboxPool local) {
      super(local);
    }

    @Override
    public CompletionStage<Sandbox> lease(String template) {
      return super.lease(template).thenApply(NamelessSandbox::new);
    }
  }

  private static final class NamelessSandbox extends ForwardingSandbox {
    NamelessSandbox(Sandbox real) {
      super(real);
    }

    @Override
    public String id() {
      throw new IllegalStateException("no id to grant under");
    }
  }

  private static HazelcastInstance hazelcast(Node node) {
    return ((HazelcastClusterNode) node.cluster()).hazelcast();
  }

  private static void awaitReady(Node node, int ready) {
    await(
        Duration.ofSeconds(30),
        "the local pool has " + ready + " warm sandboxes",
        () -> node.sandboxes().stats().ready().getOrDefault("shell", 0) >= ready);
  }

  /** Waits until {@code viewer} sees {@code host} advertise at least {@code ready} sandboxes. */
  static void awaitAdvertised(Node viewer, Node host, int ready) {
    await(
        Duration.ofSeconds(10),
        "the host's stock is advertised",
        () ->
            Optional.ofNullable(viewer.pool().stock().get(host.id()))
                    .map(s -> s.readyOf("shell"))
                    .orElse(0)
                >= ready);
  }

  static String output(PooledSandbox leased, String script) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExecResult result =
        join(
            leased
                .sandbox()
                .exec(
                    ExecRequest.shell(script),
                    (stream, chunk) -> {
                      if (stream == dev.agentfactory.sandbox.OutputListener.Stream.STDOUT) {
                        synchronized (out) {
                          out.writeBytes(chunk);
                        }
                      }
                    }));
    assertThat(result.status()).isEqualTo(ExecResult.Status.EXITED);
    return out.toString(StandardCharsets.UTF_8);
  }

  static <T> T join(CompletionStage<T> stage) {
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
