package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.replicatedmap.ReplicatedMap;
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
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
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
  static final java.time.Duration LOAN_GRACE = java.time.Duration.ofSeconds(15);

  private final HazelcastInstance hazelcast;
  private final HazelcastLeaseRegistry registry;
  private final SandboxPool local;
  private final PoolConfig config;
  private final String nodeId;
  private final ScheduledExecutorService worker;
  private final ExecutorService closer;
  private final ReplicatedMap<String, NodeStock> board;
  private final TenantQuotas quotas;
  private final IExecutorService loans;
  private final IExecutorService control;
  private final Lender lender;
  private final Map<String, PooledSandbox> active = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Lease>> records = new ConcurrentHashMap<>();
  // the quota holder id of each active lease of a tenant with a quota, by lease id
  private final Map<String, String> quotaHolders = new ConcurrentHashMap<>();
  // when each node was last seen a member (System.nanoTime), for the loan sweep's grace
  private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
  private volatile boolean merging;
  private final List<LeaseLostListener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong lastToken = new AtomicLong();
  private final Map<String, Integer> targets = new ConcurrentHashMap<>();
  private volatile boolean draining;
  private volatile CompletableFuture<DrainStatus> drained;

  private final LongAdder localLeases = new LongAdder();
  private final LongAdder borrowedLeases = new LongAdder();
  private final LongAdder lent = new LongAdder();
  private final LongAdder remoteCalls = new LongAdder();
  private final LongAdder recordsWritten = new LongAdder();
  private final LongAdder leasesLost = new LongAdder();
  private final LongAdder reclaimed = new LongAdder();

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
    this.closer = closer;
    this.board = hazelcast.getReplicatedMap(HazelcastConfigs.STOCK_MAP);
    this.quotas =
        new TenantQuotas(
            hazelcast.getMap(HazelcastConfigs.QUOTA_MAP), nodeId, worker, registry::clusterTime);
    this.loans = hazelcast.getExecutorService(HazelcastConfigs.LOAN_EXECUTOR);
    this.control = hazelcast.getExecutorService(HazelcastConfigs.CONTROL_EXECUTOR);
    this.lender = new Lender(this, registry);
    registry.onLost(this::fenced);
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
    remoteCalls.increment();
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
    if (!options.isEmpty()) {
      // claim-time options apply to a local sandbox only: no borrowing
      return local
          .lease(template, options)
          .thenApply(s -> grantLocal(s, sessionId, tenant, template, holder));
    }
    if (local.stats().ready().getOrDefault(template, 0) > 0) {
      return local
          .lease(template)
          .thenApply(s -> grantLocal(s, sessionId, tenant, template, holder));
    }
    Optional<Member> peer = richestPeer(template);
    if (peer.isEmpty()) {
      // nobody has stock: start one here on demand
      return local
          .lease(template)
          .thenApply(s -> grantLocal(s, sessionId, tenant, template, holder));
    }
    return borrow(peer.get(), sessionId, tenant, template, holder)
        .thenCompose(
            borrowed ->
                borrowed != null
                    ? CompletableFuture.completedFuture(borrowed)
                    : local
                        .lease(template)
                        .thenApply(s -> grantLocal(s, sessionId, tenant, template, holder)));
  }

  private PooledSandbox grantLocal(
      Sandbox sandbox, String sessionId, String tenant, String template, String holder) {
    Lease lease;
    CompletableFuture<Lease> record;
    PooledSandbox leased;
    try {
      lease = grant(sandbox, nodeId, sessionId, template);
      leased = new PooledSandbox(sandbox, lease, tenant, nodeId, false);
      if (holder != null) {
        quotaHolders.put(lease.leaseId(), holder);
      }
      active.put(lease.leaseId(), leased);
      record = registry.record(lease).toCompletableFuture();
    } catch (RuntimeException e) {
      // e.g. this member shutting down: nobody holds the sandbox, so it must not outlive this
      // call (the local pool counts it leased until it is terminated)
      active.values().removeIf(held -> held.sandbox() == sandbox);
      if (holder != null) {
        quotaHolders.values().remove(holder);
      }
      terminate(sandbox);
      throw Failures.translate(e, "lease of a '" + template + "' sandbox");
    }
    localLeases.increment();
    records.put(lease.leaseId(), record);
    record.whenComplete(
        (recorded, e) -> {
          if (e == null) {
            recordsWritten.increment();
            if (active.containsKey(lease.leaseId())) {
              registry.adopt(lease);
            }
          } else {
            LOG.warn("lease {} on {} could not be recorded", lease.leaseId(), lease.sandboxId(), e);
            lost(leased, LeaseLostListener.Reason.NOT_RECORDED);
          }
        });
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

  private CompletionStage<PooledSandbox> borrow(
      Member host, String sessionId, String tenant, String template, String holder) {
    remoteCalls.increment();
    String hostNode = NodeIds.of(host);
    // a host of a version before node ids knows its borrowers by member UUID, and would end a loan
    // to an id it cannot find among the members as orphaned (a rolling update mixes versions)
    String borrower =
        host.getAttribute(NodeIds.ATTRIBUTE) != null
            ? nodeId
            : hazelcast.getCluster().getLocalMember().getUuid().toString();
    CompletableFuture<LoanGrant> answer =
        Failures.guardedTask(
            "borrow from " + host,
            () ->
                control.submitToMember(new PoolTasks.Borrow(template, sessionId, borrower), host));
    return answer.handle(
        (grant, e) -> {
          if (e != null) {
            LOG.info(
                "borrowing a '{}' sandbox from {} failed; starting one here", template, host, e);
            return null;
          }
          if (grant == null) {
            return null;
          }
          Lease lease = grant.lease();
          RemoteSandbox sandbox =
              new RemoteSandbox(
                  grant.sandboxId(),
                  template,
                  lease,
                  hostNode,
                  hazelcast.getCluster(),
                  loans,
                  control,
                  ExecStreams.of(hazelcast),
                  // the host frees the record: renewing it on would report it fenced (fatal to
                  // the session) where a sandbox that ended is only dropped and replaced
                  () -> registry.forget(lease));
          PooledSandbox leased = new PooledSandbox(sandbox, lease, tenant, hostNode, true);
          if (holder != null) {
            quotaHolders.put(lease.leaseId(), holder);
          }
          active.put(lease.leaseId(), leased);
          registry.adopt(lease);
          borrowedLeases.increment();
          // the host may have left while the answer was on its way
          if (NodeIds.member(hazelcast.getCluster(), hostNode) == null) {
            lost(leased, LeaseLostListener.Reason.HOST_LEFT);
          }
          return leased;
        });
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
    if (active.remove(leased.lease().leaseId()) == null) {
      return CompletableFuture.completedFuture(null); // lost or released already
    }
    registry.forget(leased.lease());
    releaseQuota(leased);
    if (leased.sandbox() instanceof RemoteSandbox remote) {
      // the host terminates it and frees the record; if it has left, nobody but this node will
      return remote
          .giveBack()
          .thenCompose(
              returned ->
                  returned
                      ? CompletableFuture.<Void>completedFuture(null)
                      : freeIfHostLeft(leased));
    }
    CompletableFuture<Lease> record =
        records.getOrDefault(leased.lease().leaseId(), CompletableFuture.completedFuture(null));
    // terminate first: once the record is free the sandbox must already be unusable
    return terminate(leased.sandbox())
        .thenCompose(v -> record.handle((r, e) -> null))
        .thenCompose(v -> registry.release(leased.lease()))
        .whenComplete(
            (v, e) -> {
              records.remove(leased.lease().leaseId());
              // the record's completion may have adopted the lease after the forget above (it
              // checked `active` just before the remove): a release that then failed would leave
              // the heartbeat renewing the record of a terminated sandbox for ever
              registry.forget(leased.lease());
            })
        .exceptionally(
            e -> {
              LOG.debug("record of lease {} not freed", leased.lease().leaseId(), e);
              return null;
            });
  }

  /**
   * Frees the record of a borrowed lease that could not be given back because its host has left.
   * The departure frees the records of the borrowed leases still active when this node hears of it
   * ({@link #memberRemoved}); a session that learnt of the loss first, from a call that failed, may
   * have released its lease before that, and then only this node knows the record is orphaned.
   * Token-checked ({@link ReleaseProcessor}): a record a newer lease holds is left alone. A host
   * that is still a member frees the record itself, or ends the loan once the record lapses.
   */
  private CompletionStage<Void> freeIfHostLeft(PooledSandbox leased) {
    boolean hostLeft;
    try {
      hostLeft = NodeIds.member(hazelcast.getCluster(), leased.hostNode()) == null;
    } catch (RuntimeException e) {
      // this member is shutting down: the record lapses by its TTL
      LOG.debug("host of lease {} not looked up", leased.lease().leaseId(), e);
      return CompletableFuture.completedFuture(null);
    }
    return hostLeft
        ? freeRecordOfHostLeft(leased.lease())
        : CompletableFuture.completedFuture(null);
  }

  /** Frees the record of a borrowed lease whose host left, if the lease still holds it. */
  private CompletionStage<Void> freeRecordOfHostLeft(Lease lease) {
    return registry
        .release(lease)
        .exceptionally(
            e -> {
              // fenced: a newer lease holds the record; else it lapses by its TTL
              LOG.debug("record of lease {} of a host that left not freed", lease.leaseId(), e);
              return null;
            });
  }

  CompletableFuture<Void> terminate(Sandbox sandbox) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            sandbox.close();
          } catch (RuntimeException e) {
            LOG.warn("terminating sandbox {} failed", sandbox.id(), e);
          }
        },
        closer);
  }

  /** Gives the lease's hold on its tenant's quota back, if it has one; retried until applied. */
  private void releaseQuota(PooledSandbox leased) {
    String holder = quotaHolders.remove(leased.lease().leaseId());
    if (holder != null) {
      quotas.release(leased.tenant(), holder);
    }
  }

  // ---- loss -----------------------------------------------------------------------------------

  @Override
  public void addLostListener(LeaseLostListener listener) {
    listeners.add(listener);
  }

  private void fenced(Lease lease) {
    PooledSandbox leased = active.get(lease.leaseId());
    if (leased != null) {
      lost(leased, LeaseLostListener.Reason.FENCED);
    }
  }

  private void lost(PooledSandbox leased, LeaseLostListener.Reason reason) {
    if (active.remove(leased.lease().leaseId()) == null) {
      return;
    }
    leasesLost.increment();
    registry.forget(leased.lease());
    records.remove(leased.lease().leaseId());
    releaseQuota(leased);
    LOG.warn(
        "lease {} of session {} on {} is lost: {}",
        leased.lease().leaseId(),
        leased.lease().sessionId(),
        leased.lease().sandboxId(),
        reason.code());
    // tell the holder first: a local sandbox killed before that would end its running command
    // with a bare "killed" that the client could not tell from any other kill
    for (LeaseLostListener listener : listeners) {
      try {
        listener.onLost(leased, reason);
      } catch (RuntimeException e) {
        LOG.warn("lease-lost listener failed", e);
      }
    }
    if (leased.sandbox() instanceof RemoteSandbox remote) {
      remote.lost(reason.code());
      if (reason == LeaseLostListener.Reason.HOST_LEFT) {
        // the sandbox died with its host: free the record now rather than after the TTL (a lease
        // released before this node heard of the departure is freed by its release instead)
        freeRecordOfHostLeft(leased.lease());
      }
    } else {
      terminate(leased.sandbox());
    }
  }

  /** The host of a borrowed sandbox says it ended there (see {@link Lender#sweep}). */
  void borrowedEnded(String key, long token, String why) {
    for (PooledSandbox leased : active.values()) {
      if (leased.lease().sandboxId().equals(key)
          && leased.lease().fencingToken() == token
          && leased.sandbox() instanceof RemoteSandbox remote) {
        remote.endedOnHost(why);
      }
    }
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
    for (PooledSandbox leased : List.copyOf(active.values())) {
      if (leased.borrowed() && leased.hostNode().equals(departed)) {
        lost(leased, LeaseLostListener.Reason.HOST_LEFT);
      }
    }
    boolean oldest = event.getMembers().iterator().next().localMember();
    worker.execute(
        () -> {
          lender.borrowerLeft(departed);
          board.remove(departed);
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
      long now = System.nanoTime();
      members.forEach(id -> lastSeen.put(id, now));
      lastSeen.values().removeIf(seen -> now - seen > LOAN_GRACE.toNanos());
      applyTargets(members);
      var stats = local.stats();
      board.put(
          nodeId,
          new NodeStock(
              nodeId, config.capacity(), draining, stats.ready(), stats.leased(), stats.target()),
          config.advertiseInterval().toMillis() * 10,
          TimeUnit.MILLISECONDS);
      // a borrower gone for a moment may be merging after a split brain (its departure, if it left,
      // ended its loans at once): only one not seen for the grace period is treated as gone
      lender.sweep(lastSeen::containsKey);
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

  private void applyTargets(Set<String> members) {
    if (config.targets().isEmpty()) {
      return;
    }
    java.util.TreeMap<String, Integer> capacities = new java.util.TreeMap<>();
    board.values().stream()
        .filter(s -> members.contains(s.nodeId()) && !s.draining())
        .forEach(s -> capacities.put(s.nodeId(), s.capacity()));
    if (draining) {
      capacities.remove(nodeId);
    } else {
      capacities.put(nodeId, config.capacity());
    }
    config
        .targets()
        .forEach(
            (template, total) -> {
              int share =
                  dev.agentfactory.cluster.pool.TargetSplit.split(total, capacities)
                      .getOrDefault(nodeId, 0);
              Integer previous = targets.put(template, share);
              if (previous == null || previous != share) {
                LOG.info(
                    "warm target of '{}' on node {}: {} of {} across {} nodes",
                    template,
                    nodeId,
                    share,
                    total,
                    capacities.size());
                try {
                  local.retarget(template, share);
                } catch (RuntimeException e) {
                  LOG.warn("cannot retarget '{}' to {}", template, share, e);
                }
              }
            });
  }

  private Optional<Member> richestPeer(String template) {
    Set<Member> members = hazelcast.getCluster().getMembers();
    Map<String, Member> byId =
        members.stream()
            .filter(m -> !m.localMember())
            .collect(Collectors.toMap(NodeIds::of, m -> m, (x, y) -> x));
    return board.values().stream()
        .filter(s -> byId.containsKey(s.nodeId()) && !s.draining() && s.readyOf(template) > 0)
        .max(Comparator.comparingInt(s -> s.readyOf(template)))
        .map(s -> byId.get(s.nodeId()));
  }

  @Override
  public synchronized CompletionStage<DrainStatus> drain() {
    if (drained == null) {
      drained = new CompletableFuture<>();
      draining = true;
      LOG.info(
          "node {} drains: {} leases and {} loans to finish", nodeId, active.size(), lender.size());
      worker.execute(this::tick);
      worker.schedule(
          () -> drained.complete(drainStatus()),
          config.drainTimeout().toMillis(),
          TimeUnit.MILLISECONDS);
      if (!config.targets().isEmpty()) {
        config.targets().keySet().forEach(t -> local.retarget(t, 0));
      } else {
        local.stats().target().keySet().forEach(t -> local.retarget(t, 0));
      }
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
    return new DrainStatus(draining, active.size(), lender.size());
  }

  @Override
  public Map<String, NodeStock> stock() {
    Map<String, NodeStock> view = new java.util.HashMap<>();
    board.values().forEach(s -> view.put(s.nodeId(), s));
    return view;
  }

  @Override
  public Map<String, Integer> localTargets() {
    return Map.copyOf(targets.isEmpty() ? local.stats().target() : targets);
  }

  @Override
  public PoolCounters counters() {
    return new PoolCounters(
        localLeases.sum(),
        borrowedLeases.sum(),
        lent.sum(),
        remoteCalls.sum(),
        recordsWritten.sum(),
        leasesLost.sum(),
        reclaimed.sum());
  }

  HazelcastInstance hazelcast() {
    return hazelcast;
  }

  void countLent() {
    lent.increment();
  }

  void countReclaimed() {
    reclaimed.increment();
  }

  /** Stops lending and terminates what is lent; the node is leaving. */
  void close() {
    lender.closeAll();
    try {
      board.remove(nodeId);
    } catch (RuntimeException e) {
      LOG.debug("stock entry of {} not removed", nodeId, e);
    }
  }

  private boolean isOldest() {
    Set<Member> members = hazelcast.getCluster().getMembers();
    return !members.isEmpty() && members.iterator().next().localMember();
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
