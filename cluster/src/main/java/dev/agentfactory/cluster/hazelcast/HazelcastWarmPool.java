package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.pool.DrainStatus;
import dev.agentfactory.cluster.pool.LeaseLostListener;
import dev.agentfactory.cluster.pool.NodeStock;
import dev.agentfactory.cluster.pool.PoolConfig;
import dev.agentfactory.cluster.pool.PoolCounters;
import dev.agentfactory.cluster.pool.PooledSandbox;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxPool;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link WarmPool} over this node's {@link SandboxPool}: local stock first, the richest peer on a
 * miss, every lease recorded in the lease map.
 *
 * <p><b>Why a local lease needs no round trip.</b> Only a sandbox's host ever grants it, and only
 * once: a leased sandbox is terminated when its lease ends, never handed out again. Taking a warm
 * sandbox from the local queue is therefore already exclusive, and the cluster-wide record can
 * follow asynchronously ({@link RecordProcessor}). The fencing token comes from a per-node counter
 * that never falls below {@code clusterTime × 1000}: strictly above every token the sandbox's key
 * could have carried (it had none) and above any later grant's floor, so the record processor and
 * the host can always tell the current holder from a stale one.
 *
 * <p><b>Node ids.</b> Nodes are named by their node id ({@link NodeIds}), never by member UUID:
 * leases, stock and quota holds stay this node's when a split-brain merge gives its member a new
 * UUID, and peers find the member to call by the id at call time.
 */
final class HazelcastWarmPool implements WarmPool, MembershipListener {

  private static final Logger LOG = LoggerFactory.getLogger(HazelcastWarmPool.class);

  /**
   * How long a borrower may be missing from the members before the loan sweep ends its loans: a
   * node that merges after a split brain is missing for a moment while it rejoins. A borrower that
   * left is handled at once by its departure; this only bounds the sweep's backstop.
   */
  static final Duration LOAN_GRACE = Duration.ofSeconds(15);

  private final HazelcastInstance hazelcast;
  private final HazelcastLeaseRegistry registry;
  private final SandboxPool local;
  private final PoolConfig config;
  private final String nodeId;
  private final ScheduledExecutorService worker;
  private final TenantQuotas quotas;
  private final PoolCounts counts = new PoolCounts();
  private final StockBoard board;
  private final HeldLeases held;
  private final Borrower borrower;
  private final Lender lender;
  private volatile boolean merging;
  private final AtomicLong lastToken = new AtomicLong();
  private volatile boolean draining;
  private volatile CompletableFuture<DrainStatus> drained;

  HazelcastWarmPool(
      HazelcastInstance hazelcast,
      HazelcastLeaseRegistry registry,
      SandboxPool local,
      PoolConfig config,
      String nodeId,
      ScheduledExecutorService worker,
      ExecutorService closer) {
    this.hazelcast = hazelcast;
    this.registry = registry;
    this.local = local;
    this.config = config;
    this.nodeId = nodeId;
    this.worker = worker;
    this.board =
        new StockBoard(
            hazelcast.getReplicatedMap(HazelcastConfigs.STOCK_MAP),
            hazelcast,
            local,
            config,
            nodeId);
    this.quotas =
        new TenantQuotas(
            hazelcast.getMap(HazelcastConfigs.QUOTA_MAP), nodeId, worker, registry::clusterTime);
    this.held = new HeldLeases(registry, quotas, hazelcast, closer, counts);
    this.borrower = new Borrower(hazelcast, registry, nodeId, held, counts);
    this.lender = new Lender(this, registry);
    registry.onLost(held::fenced);
    hazelcast.getUserContext().put(PoolTasks.LENDER, lender);
    hazelcast.getCluster().addMembershipListener(this);
    hazelcast.getLifecycleService().addLifecycleListener(this::lifecycle);
    long tick = config.advertiseInterval().toMillis();
    worker.scheduleWithFixedDelay(this::tick, 0, tick, TimeUnit.MILLISECONDS);
  }

  // ---- leasing ------------------------------------------------------------------------------

  @Override
  public CompletionStage<PooledSandbox> lease(String sessionId, String tenant, String template) {
    return lease(sessionId, tenant, template, LeaseOptions.NONE);
  }

  @Override
  public CompletionStage<PooledSandbox> lease(
      String sessionId, String tenant, String template, LeaseOptions options) {
    LeaseOptions claim = options == null ? LeaseOptions.NONE : options;
    requireText(sessionId, "sessionId");
    requireText(tenant, "tenant");
    requireText(template, "template");
    if (draining) {
      return CompletableFuture.failedFuture(
          new ClusterException(
              "pool.draining", "node " + nodeId + " is draining: lease on another node", true));
    }
    int quota = config.quotaOf(tenant);
    if (quota == 0) {
      return leaseWithinQuota(sessionId, tenant, template, claim, null);
    }
    counts.remoteCalls.increment();
    // one holder id for every attempt: a retried reserve finds its own hold instead of adding one
    String holder = UUID.randomUUID().toString();
    return quotas
        .reserve(tenant, holder, quota)
        .thenCompose(
            reserved -> {
              if (!reserved) {
                throw new ClusterException(
                    "quota.exceeded",
                    "tenant " + tenant + " holds its cluster-wide maximum of " + quota + " leases",
                    true);
              }
              return leaseWithinQuota(sessionId, tenant, template, claim, holder)
                  .whenComplete(
                      (leased, e) -> {
                        if (e != null) {
                          quotas.release(tenant, holder);
                        }
                      });
            });
  }

  /**
   * @param holder the lease's hold on its tenant's quota, or null if the tenant has no quota
   */
  private CompletionStage<PooledSandbox> leaseWithinQuota(
      String sessionId, String tenant, String template, LeaseOptions options, String holder) {
    try {
      return leaseHereOrBorrow(sessionId, tenant, template, options, holder);
    } catch (RuntimeException e) {
      // a local pool (or a member lookup) that throws instead of failing its stage: the caller
      // frees the quota hold only on a failed stage, and a thrown one would keep it for good
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletionStage<PooledSandbox> leaseHereOrBorrow(
      String sessionId, String tenant, String template, LeaseOptions options, String holder) {
    Function<Sandbox, PooledSandbox> grantHere =
        s -> grantLocal(s, sessionId, tenant, template, holder);
    if (!options.isEmpty()) {
      // claim-time options apply to a local sandbox only: no borrowing
      return local.lease(template, options).thenApply(grantHere);
    }
    // local stock first; on a miss the richest peer's
    Optional<Member> peer =
        local.stats().ready().getOrDefault(template, 0) > 0
            ? Optional.empty()
            : board.richestPeer(template);
    if (peer.isEmpty()) {
      // a sandbox of the local stock, or, if nobody has stock, one started here on demand
      return local.lease(template).thenApply(grantHere);
    }
    return borrower
        .borrow(peer.get(), sessionId, tenant, template, holder)
        .thenCompose(
            borrowed ->
                borrowed != null
                    ? CompletableFuture.completedFuture(borrowed)
                    : local.lease(template).thenApply(grantHere));
  }

  private PooledSandbox grantLocal(
      Sandbox sandbox, String sessionId, String tenant, String template, String holder) {
    PooledSandbox leased;
    CompletableFuture<Lease> record;
    try {
      Lease lease = grant(sandbox, nodeId, sessionId, template);
      leased = new PooledSandbox(sandbox, lease, tenant, nodeId, false);
      held.hold(leased, holder);
      record = registry.record(lease).toCompletableFuture();
    } catch (RuntimeException e) {
      // e.g. this member shutting down: nobody holds the sandbox, so it must not outlive this call
      held.dropFailedGrant(sandbox, holder);
      throw Failures.translate(e, "lease of a '" + template + "' sandbox");
    }
    counts.localLeases.increment();
    held.recording(leased, record);
    return leased;
  }

  /** A new lease on a sandbox of this node, for {@code owner}; local, no network. */
  Lease grant(Sandbox sandbox, String owner, String sessionId, String template) {
    long now = registry.clusterTime();
    long floor = now * LeaseSlot.TOKENS_PER_MILLI;
    long token = lastToken.updateAndGet(previous -> Math.max(previous + 1, floor));
    return new Lease(
        UUID.randomUUID().toString(),
        token,
        owner,
        key(sandbox.id()),
        sessionId,
        template,
        Instant.ofEpochMilli(now),
        Instant.ofEpochMilli(now + registry.ttlMillis()));
  }

  /** A warm sandbox to lend, or null: a draining node, or no stock (no on-demand start). */
  Sandbox takeForLoan(String template) {
    if (draining || local.stats().ready().getOrDefault(template, 0) == 0) {
      return null;
    }
    CompletableFuture<Sandbox> sandbox = local.lease(template).toCompletableFuture();
    // the ready count was a hint: if the queue emptied meanwhile, this is an on-demand start
    return sandbox.join();
  }

  @Override
  public CompletionStage<Void> release(PooledSandbox leased) {
    return held.release(leased);
  }

  CompletableFuture<Void> terminate(Sandbox sandbox) {
    return held.terminate(sandbox);
  }

  // ---- loss -----------------------------------------------------------------------------------

  @Override
  public void addLostListener(LeaseLostListener listener) {
    held.addListener(listener);
  }

  /** The host of a borrowed sandbox says it ended there (see {@link Lender#sweep}). */
  void borrowedEnded(String key, long token, String why) {
    held.borrowedEnded(key, token, why);
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    worker.execute(this::tick);
  }

  /**
   * A split-brain merge resets this member and rejoins it under a new UUID: while it merges, its
   * view of the members is itself alone, and nothing it sees then is a departure. Once merged (the
   * map entries merged too: Hazelcast fires MERGED after its merge tasks), the quota map has for
   * each tenant one side's holds only, so this node puts back the holds of its leases.
   */
  private void lifecycle(LifecycleEvent event) {
    switch (event.getState()) {
      case MERGING -> {
        merging = true;
        LOG.info("node {} merges into another cluster after a split brain", nodeId);
      }
      case MERGED, MERGE_FAILED -> {
        merging = false;
        LOG.info(
            "node {} {}: its member is now {}; leases, stock and quota holds keep the node id",
            nodeId,
            event.getState() == LifecycleEvent.LifecycleState.MERGED ? "merged" : "failed to merge",
            hazelcast.getCluster().getLocalMember().getUuid());
        if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
          worker.execute(quotas::reconcile);
        }
        worker.execute(this::tick);
      }
      default -> {}
    }
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    String departed = NodeIds.of(event.getMember());
    held.hostLeft(departed);
    boolean oldest = event.getMembers().iterator().next().localMember();
    worker.execute(
        () -> {
          lender.borrowerLeft(departed);
          board.nodeLeft(departed);
          if (oldest) {
            quotas.dropNode(departed);
          }
          tick();
        });
  }

  // ---- stock, targets, drain ------------------------------------------------------------------

  /** Publishes this node's stock, re-splits targets, reclaims lapsed loans; on the worker. */
  private void tick() {
    if (merging) {
      return; // the member list is this member alone until it has rejoined
    }
    try {
      Set<String> members = NodeIds.present(hazelcast.getCluster());
      board.seen(members);
      board.publish(members, draining);
      // a borrower gone for a moment may be merging after a split brain (its departure, if it left,
      // ended its loans at once): only one not seen for the grace period is treated as gone
      lender.sweep(board::recentlySeen);
      quotas.retryReleases();
      quotas.reconcileIfDue();
      if (isOldest()) {
        quotas.sweepIfDue(members);
      }
      checkDrained();
    } catch (RuntimeException e) {
      // a periodic task that throws is never run again
      LOG.warn("pool tick of node {} failed; the next tick retries", nodeId, e);
    }
  }

  @Override
  public synchronized CompletionStage<DrainStatus> drain() {
    if (drained == null) {
      drained = new CompletableFuture<>();
      draining = true;
      LOG.info(
          "node {} drains: {} leases and {} loans to finish", nodeId, held.size(), lender.size());
      worker.execute(this::tick);
      worker.schedule(
          () -> drained.complete(drainStatus()),
          config.drainTimeout().toMillis(),
          TimeUnit.MILLISECONDS);
      board.zeroTargets();
    }
    return drained;
  }

  private void checkDrained() {
    CompletableFuture<DrainStatus> pending = drained;
    if (pending != null && !pending.isDone() && drainStatus().drained()) {
      pending.complete(drainStatus());
    }
  }

  @Override
  public DrainStatus drainStatus() {
    return new DrainStatus(draining, held.size(), lender.size());
  }

  @Override
  public Map<String, NodeStock> stock() {
    return board.view();
  }

  @Override
  public Map<String, Integer> localTargets() {
    return board.localTargets();
  }

  @Override
  public PoolCounters counters() {
    return counts.snapshot();
  }

  HazelcastInstance hazelcast() {
    return hazelcast;
  }

  void countLent() {
    counts.lent.increment();
  }

  void countReclaimed() {
    counts.reclaimed.increment();
  }

  /** Stops lending and terminates what is lent; the node is leaving. */
  void close() {
    lender.closeAll();
    board.withdraw();
  }

  private boolean isOldest() {
    Set<Member> members = hazelcast.getCluster().getMembers();
    return !members.isEmpty() && members.iterator().next().localMember();
  }

  /** For tests: how long this node's calls on a host's control executor wait for its answer. */
  void controlTimeout(Duration limit) {
    borrower.controlTimeout(limit);
  }

  /** The node's quota client: for tests in this package. */
  TenantQuotas quotas() {
    return quotas;
  }

  /** The cluster-wide key of a sandbox of this node: sandbox ids are only node-unique. */
  private String key(String sandboxId) {
    return sandboxId + "@" + nodeId;
  }

  private static void requireText(String value, String field) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(field + ": must not be blank");
    }
  }
}
