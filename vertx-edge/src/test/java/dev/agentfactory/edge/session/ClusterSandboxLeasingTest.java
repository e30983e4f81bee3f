package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.pool.DrainStatus;
import dev.agentfactory.cluster.pool.LeaseLostListener;
import dev.agentfactory.cluster.pool.NodeStock;
import dev.agentfactory.cluster.pool.PoolCounters;
import dev.agentfactory.cluster.pool.PooledSandbox;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.sandbox.LeaseOptions;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A lease the pool loses while it is still on its way to the session (its cluster record failed
 * right after the local grant) must still reach the session as a lost lease with its reason. It
 * once went unnoticed: the session ran a command on the sandbox being killed and saw a bare {@code
 * killed} (ClusterFaultsIT, "UNEXPLAINED").
 */
class ClusterSandboxLeasingTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  @Test
  void aLeaseLostBeforeTheSessionListensIsReportedWithItsReason() throws Exception {
    LosingPool pool = new LosingPool(true);
    ClusterSandboxLeasing leasing = new ClusterSandboxLeasing(vertx, pool, "process", "node1");

    LeasedSandbox leased =
        leasing.lease("s1", "default").toCompletionStage().toCompletableFuture().get(10, SECONDS);
    List<String> told = new CopyOnWriteArrayList<>();
    leasing.onLost(leased, told::add);

    assertThat(told).containsExactly("lease_not_recorded");
    // and a release after that is a no-op, not a second release of a lost lease
    leasing.release(leased).toCompletionStage().toCompletableFuture().get(10, SECONDS);
    assertThat(pool.released).isEmpty();
  }

  @Test
  void aLeaseLostAfterTheSessionListensIsReportedOnceAndAHealthyOneNever() throws Exception {
    LosingPool pool = new LosingPool(false);
    ClusterSandboxLeasing leasing = new ClusterSandboxLeasing(vertx, pool, "process", "node1");
    LeasedSandbox leased =
        leasing.lease("s1", "default").toCompletionStage().toCompletableFuture().get(10, SECONDS);
    List<String> told = new CopyOnWriteArrayList<>();
    leasing.onLost(leased, told::add);
    assertThat(told).isEmpty();

    pool.loseAll(LeaseLostListener.Reason.HOST_LEFT);

    assertThat(told).containsExactly("sandbox_host_left");
  }

  /** SessionHandler refuses new sessions while this is true (SessionHandlerIT). */
  @Test
  void theLeasingIsDrainingFromTheMomentThePoolStartsToDrain() {
    LosingPool pool = new LosingPool(false);
    ClusterSandboxLeasing leasing = new ClusterSandboxLeasing(vertx, pool, "process", "node1");
    assertThat(leasing.draining()).isFalse();

    pool.drain();

    assertThat(leasing.draining()).isTrue();
  }

  /**
   * The pool fails a lease refused inside a later stage (the tenant's quota is checked first) with
   * that stage's wrapper, whose message is the Java class of the refusal: the session must see the
   * pool's own failure, whose message its {@code lease_failed} frame shows.
   */
  @Test
  void aRefusedLeaseFailsWithThePoolsTypedFailureNotItsStagesWrapper() throws Exception {
    LosingPool pool = new LosingPool(false);
    ClusterException quota =
        new ClusterException(
            "quota.exceeded", "tenant t1 holds its cluster-wide maximum of 2 leases", true);
    pool.refusal = new CompletionException(quota);
    ClusterSandboxLeasing leasing = new ClusterSandboxLeasing(vertx, pool, "process", "node1");

    Throwable failure =
        leasing
            .lease("s1", "t1", "default")
            .toCompletionStage()
            .toCompletableFuture()
            .handle((leased, e) -> e)
            .get(10, SECONDS);

    assertThat(failure).isSameAs(quota);
    assertThat(failure.getMessage())
        .isEqualTo("tenant t1 holds its cluster-wide maximum of 2 leases")
        .doesNotContain("ClusterException");
  }

  private static final TimeUnit SECONDS = TimeUnit.SECONDS;

  /** A pool whose leases are granted at once; with {@code loseAtOnce}, lost before returning. */
  private static final class LosingPool implements WarmPool {
    private final boolean loseAtOnce;
    private volatile boolean draining;
    private final List<LeaseLostListener> listeners = new CopyOnWriteArrayList<>();
    private final List<PooledSandbox> granted = new ArrayList<>();
    final List<PooledSandbox> released = new CopyOnWriteArrayList<>();

    /** When set, every lease fails with it. */
    volatile Throwable refusal;

    private int next;

    LosingPool(boolean loseAtOnce) {
      this.loseAtOnce = loseAtOnce;
    }

    @Override
    public CompletionStage<PooledSandbox> lease(String sessionId, String tenant, String template) {
      return lease(sessionId, tenant, template, LeaseOptions.NONE);
    }

    @Override
    public synchronized CompletionStage<PooledSandbox> lease(
        String sessionId, String tenant, String template, LeaseOptions options) {
      if (refusal != null) {
        return CompletableFuture.failedFuture(refusal);
      }
      Instant now = Instant.now();
      Lease lease =
          new Lease(
              "lease-" + next++,
              1,
              "node1",
              "sbx-1",
              sessionId,
              template,
              now,
              now.plusSeconds(12));
      PooledSandbox pooled = new PooledSandbox(null, lease, tenant, "node1", false);
      granted.add(pooled);
      if (loseAtOnce) {
        listeners.forEach(l -> l.onLost(pooled, LeaseLostListener.Reason.NOT_RECORDED));
      }
      return CompletableFuture.completedFuture(pooled);
    }

    synchronized void loseAll(LeaseLostListener.Reason reason) {
      for (PooledSandbox p : granted) {
        listeners.forEach(l -> l.onLost(p, reason));
      }
    }

    @Override
    public CompletionStage<Void> release(PooledSandbox leased) {
      released.add(leased);
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void addLostListener(LeaseLostListener listener) {
      listeners.add(listener);
    }

    @Override
    public CompletionStage<DrainStatus> drain() {
      draining = true;
      return new java.util.concurrent.CompletableFuture<>(); // sessions still open: not drained
    }

    @Override
    public DrainStatus drainStatus() {
      return new DrainStatus(draining, 0, 0);
    }

    @Override
    public Map<String, NodeStock> stock() {
      return Map.of();
    }

    @Override
    public Map<String, Integer> localTargets() {
      return Map.of();
    }

    @Override
    public PoolCounters counters() {
      throw new UnsupportedOperationException();
    }
  }
}
