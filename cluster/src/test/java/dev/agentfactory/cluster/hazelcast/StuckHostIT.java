package dev.agentfactory.cluster.hazelcast;

import static dev.agentfactory.cluster.hazelcast.DistributedPoolIT.awaitAdvertised;
import static dev.agentfactory.cluster.hazelcast.DistributedPoolIT.join;
import static dev.agentfactory.cluster.hazelcast.TestCluster.await;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.core.HazelcastInstance;
import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.hazelcast.BorrowedSandboxIT.Occupy;
import dev.agentfactory.cluster.hazelcast.PoolNodes.Node;
import dev.agentfactory.cluster.pool.PooledSandbox;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.SandboxPool;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A host that is alive but whose {@code af.loans.control} threads are all busy: Hazelcast waits for
 * ever on such a call (the task is reported live while it waits), so the borrower bounds each one
 * itself. The lease TTL is far longer than any test, so only the borrower's own give-backs can end
 * a loan here, never its record lapsing.
 */
class StuckHostIT {

  private static final Duration SHORT = Duration.ofMillis(300);

  private final PoolNodes nodes = new PoolNodes(2);
  private List<Future<Boolean>> busy = List.of();

  @AfterEach
  void stop() {
    // queued ones first: none may start late and wait on the next test's latch
    busy.forEach(f -> f.cancel(true));
    Occupy.RELEASE.countDown();
    nodes.close();
  }

  /** {@code a} has no stock and waits {@link #SHORT} for its host {@code c}, which has one. */
  private record Pair(Node a, Node c) {}

  private Pair borrowerAndHost() {
    Node a = nodes.start(0, PoolNodes.fastPool(), b -> b.leaseTtl(Duration.ofMinutes(10)));
    Node c = nodes.start(1, PoolNodes.fastPool(), b -> b.leaseTtl(Duration.ofMinutes(10)));
    await(
        Duration.ofSeconds(30),
        "the host's pool is warm",
        () -> c.sandboxes().stats().ready().getOrDefault("shell", 0) >= 1);
    awaitAdvertised(a, c, 1);
    ((HazelcastWarmPool) a.pool()).controlTimeout(SHORT);
    return new Pair(a, c);
  }

  /** Every control thread of the host busy, and as many calls again queued behind them. */
  private void occupyControlThreads(Node host) {
    Occupy.RELEASE = new CountDownLatch(1);
    HazelcastInstance member = hazelcast(host);
    var control = member.getExecutorService(HazelcastConfigs.CONTROL_EXECUTOR);
    var self = member.getCluster().getLocalMember();
    busy =
        IntStream.range(0, 16).mapToObj(i -> control.submitToMember(new Occupy(), self)).toList();
    await(
        Duration.ofSeconds(30),
        "the host's control threads are all busy",
        () -> Occupy.RUNNING.get() == 8);
  }

  @Test
  void aBorrowTheHostDoesNotAnswerStartsASandboxHereAndTheLateLoanIsGivenBack() {
    Pair pair = borrowerAndHost();
    occupyControlThreads(pair.c());

    PooledSandbox leased = bounded(pair.a().pool().lease("s-late", "acme", "shell"));

    assertThat(leased.borrowed()).as("started here instead").isFalse();
    Occupy.RELEASE.countDown();
    // the queued borrow runs now: the host lends, and the borrower, no longer waiting, returns it
    await(
        Duration.ofSeconds(30),
        "the host lent the sandbox",
        () -> pair.c().pool().counters().lentSandboxes() == 1);
    await(
        Duration.ofSeconds(30), "the late loan is given back", () -> lender(pair.c()).size() == 0);
    assertThat(pair.a().pool().drainStatus().activeLeases()).isOne();
    join(pair.a().pool().release(leased));
  }

  @Test
  void aFileCallTheHostDoesNotAnswerFailsRetriablyNamingTheHostAndTheSandboxStays() {
    Pair pair = borrowerAndHost();
    PooledSandbox leased = join(pair.a().pool().lease("s-files", "acme", "shell"));
    assertThat(leased.borrowed()).isTrue();
    join(leased.sandbox().writeFile("f", "x".getBytes(UTF_8)));
    occupyControlThreads(pair.c());

    assertThatThrownBy(() -> bounded(leased.sandbox().readFile("f", 10)))
        .isInstanceOfSatisfying(
            ClusterException.class,
            e -> {
              assertThat(e.code()).isEqualTo("cluster.peer_timeout");
              assertThat(e.retriable()).isTrue();
              assertThat(e.getMessage()).contains(pair.c().id()).contains("a file read");
            });
    assertThat(leased.sandbox().isAlive()).isTrue();

    Occupy.RELEASE.countDown();
    assertThat(new String(bounded(leased.sandbox().readFile("f", 10)), UTF_8)).isEqualTo("x");
    assertThat(lender(pair.c()).size()).isOne();
  }

  @Test
  void aPauseTheHostDoesNotAnswerLosesTheSandboxAndGivesItBack() {
    Pair pair = borrowerAndHost();
    PooledSandbox leased = join(pair.a().pool().lease("s-pause", "acme", "shell"));
    assertThat(leased.borrowed()).isTrue();
    occupyControlThreads(pair.c());

    // whether the host paused it is unknown: the sandbox cannot be trusted to be running
    assertThatThrownBy(() -> bounded(leased.sandbox().pause()))
        .isInstanceOfSatisfying(
            SandboxException.class,
            e -> {
              assertThat(e.code()).isEqualTo("sandbox_lost");
              assertThat(e.getMessage()).contains(pair.c().id()).contains("a pause");
            });
    assertThat(leased.sandbox().isAlive()).isFalse();
    assertThat(bounded(leased.sandbox().whenTerminated())).contains("did not answer a pause");

    Occupy.RELEASE.countDown();
    await(Duration.ofSeconds(30), "the host takes it back", () -> lender(pair.c()).size() == 0);
    bounded(pair.a().pool().release(leased));
    assertThat(pair.a().pool().drainStatus().activeLeases()).isZero();
  }

  @Test
  void aReturnTheHostDoesNotAnswerStillEndsTheReleaseAndRunsWhenTheHostIsFree() {
    Pair pair = borrowerAndHost();
    PooledSandbox leased = join(pair.a().pool().lease("s-return", "acme", "shell"));
    assertThat(leased.borrowed()).isTrue();
    occupyControlThreads(pair.c());

    bounded(pair.a().pool().release(leased));

    assertThat(pair.a().pool().drainStatus().activeLeases()).isZero();
    Occupy.RELEASE.countDown();
    await(Duration.ofSeconds(30), "the host takes it back", () -> lender(pair.c()).size() == 0);
  }

  @Test
  void aReturnedSandboxIsDeadWhenTheReleaseCompletesEvenWhileTheHostsCloserIsBusy() {
    Node a = nodes.start(0);
    Node c = nodes.start(3, PoolNodes.fastPool(), b -> b, GatedPool::new);
    await(
        Duration.ofSeconds(30),
        "the host's pool is warm",
        () -> c.sandboxes().stats().ready().getOrDefault("shell", 0) >= 3);
    awaitAdvertised(a, c, 3);
    PooledSandbox leased = join(a.pool().lease("s-closer", "acme", "shell"));
    assertThat(leased.borrowed()).isTrue();
    GatedSandbox lent = (GatedSandbox) lender(c).lentSandbox(leased.lease().sandboxId());
    // both closer threads of the host stuck terminating sandboxes of its own sessions
    CountDownLatch gate = new CountDownLatch(1);
    List<PooledSandbox> local =
        IntStream.range(0, 2)
            .mapToObj(i -> join(c.pool().lease("s-local-" + i, "acme", "shell")))
            .toList();
    try {
      local.forEach(l -> ((GatedSandbox) l.sandbox()).gate = gate);
      local.forEach(l -> c.pool().release(l));
      await(Duration.ofSeconds(30), "the closer is busy", () -> GatedSandbox.closing(local) == 2);

      bounded(a.pool().release(leased));

      assertThat(lent.isAlive()).as("terminated before the release completed").isFalse();
    } finally {
      gate.countDown();
    }
  }

  /** A local pool whose sandboxes can be told to block in their termination. */
  private static final class GatedPool extends ForwardingPool {
    GatedPool(SandboxPool local) {
      super(local);
    }

    @Override
    public CompletionStage<Sandbox> lease(String template) {
      return super.lease(template).thenApply(GatedSandbox::new);
    }
  }

  /** Terminates only once {@link #gate} (if set) opens. */
  private static final class GatedSandbox extends ForwardingSandbox {
    private final CountDownLatch closing = new CountDownLatch(1);
    volatile CountDownLatch gate;

    GatedSandbox(Sandbox real) {
      super(real);
    }

    static long closing(List<PooledSandbox> leased) {
      return leased.stream()
          .filter(l -> ((GatedSandbox) l.sandbox()).closing.getCount() == 0)
          .count();
    }

    @Override
    public void close() {
      closing.countDown();
      CountDownLatch wait = gate;
      if (wait != null) {
        try {
          wait.await(2, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      super.close();
    }
  }

  /**
   * Joins a call that must end on its own (by its answer or its control call timeout): a guard far
   * above {@link #SHORT} turns a call that hangs into a failure instead of a stuck build.
   */
  private static <T> T bounded(CompletionStage<T> stage) {
    return join(stage.toCompletableFuture().orTimeout(30, TimeUnit.SECONDS));
  }

  private static Lender lender(Node host) {
    return (Lender) hazelcast(host).getUserContext().get(PoolTasks.LENDER);
  }

  private static HazelcastInstance hazelcast(Node node) {
    return ((HazelcastClusterNode) node.cluster()).hazelcast();
  }
}
