package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.aggregation.Aggregators;
import com.hazelcast.cluster.Cluster;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import dev.agentfactory.cluster.ClusterConfig;
import dev.agentfactory.cluster.ClusterException;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.lease.LeaseConflictException;
import dev.agentfactory.cluster.lease.LeaseFencedException;
import dev.agentfactory.cluster.lease.LeaseRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link LeaseRegistry} on one IMap, {@code af.leases}, keyed by sandbox id. Every state change is
 * one entry processor on the sandbox's partition, so check-and-set is atomic without locks or the
 * CP subsystem; every call is the async IMap API. The leases this node holds are also kept in a
 * local map that the heartbeat renews in one batch per interval.
 */
final class HazelcastLeaseRegistry implements LeaseRegistry {

  private static final Logger LOG = LoggerFactory.getLogger(HazelcastLeaseRegistry.class);

  private final IMap<String, LeaseSlot> slots;
  private final Cluster cluster;
  private final String nodeId;
  private final long ttlMillis;
  private final long retentionMillis;
  private final ExecutorService worker;
  private final LeaseRecorder recorder;
  private final java.util.function.ToIntFunction<String> partitionOf;
  private final Map<String, Lease> held = new ConcurrentHashMap<>();
  private volatile Consumer<Lease> lostListener = lease -> {};

  HazelcastLeaseRegistry(
      IMap<String, LeaseSlot> slots,
      Cluster cluster,
      String nodeId,
      ClusterConfig config,
      ExecutorService worker,
      java.util.function.ToIntFunction<String> partitionOf) {
    this.slots = slots;
    this.partitionOf = partitionOf;
    this.cluster = cluster;
    this.nodeId = nodeId;
    this.ttlMillis = config.leaseTtl().toMillis();
    this.retentionMillis = config.fencingRetention().toMillis();
    this.worker = worker;
    this.recorder = new LeaseRecorder(slots, "af-lease-record-" + nodeId.substring(0, 8) + "-1");
  }

  @Override
  public CompletionStage<Lease> acquire(String sandboxId, String sessionId, String template) {
    requireText(sandboxId, "sandboxId");
    requireText(sessionId, "sessionId");
    requireText(template, "template");
    // the lease id is made here, not in the processor: a retried processor then recognises its
    // own grant, and the backup replica computes the same value
    String leaseId = UUID.randomUUID().toString();
    return Failures.guarded(
            "acquire of sandbox " + sandboxId,
            () ->
                slots.submitToKey(
                    sandboxId,
                    new AcquireProcessor(
                        leaseId,
                        nodeId,
                        sessionId,
                        template,
                        cluster.getClusterTime(),
                        ttlMillis,
                        retentionMillis)))
        .thenApply(
            slot -> {
              if (!leaseId.equals(slot.leaseId())) {
                throw new LeaseConflictException(sandboxId, slot.toLease());
              }
              Lease lease = slot.toLease();
              held.put(sandboxId, lease);
              return lease;
            });
  }

  @Override
  public CompletionStage<Lease> renew(Lease lease) {
    Objects.requireNonNull(lease, "lease");
    return Failures.guarded(
            "renew of lease " + lease.leaseId(),
            () ->
                slots.submitToKey(
                    lease.sandboxId(),
                    new RenewProcessor(
                        Map.of(lease.sandboxId(), lease.fencingToken()),
                        cluster.getClusterTime(),
                        ttlMillis,
                        retentionMillis)))
        .thenApply(
            slot -> {
              if (slot == null) {
                held.remove(lease.sandboxId(), lease);
                throw new LeaseFencedException(lease, "expired, reclaimed or superseded");
              }
              Lease next = slot.toLease();
              held.computeIfPresent(
                  lease.sandboxId(),
                  (id, mine) -> mine.fencingToken() == next.fencingToken() ? next : mine);
              return next;
            });
  }

  @Override
  public CompletionStage<Void> release(Lease lease) {
    Objects.requireNonNull(lease, "lease");
    return Failures.guarded(
            "release of lease " + lease.leaseId(),
            () ->
                slots.submitToKey(
                    lease.sandboxId(), new ReleaseProcessor(lease.fencingToken(), retentionMillis)))
        .thenApply(
            released -> {
              held.computeIfPresent(
                  lease.sandboxId(),
                  (id, mine) -> mine.fencingToken() == lease.fencingToken() ? null : mine);
              if (!released) {
                throw new LeaseFencedException(lease, "a newer lease holds the sandbox");
              }
              return null;
            });
  }

  @Override
  public CompletionStage<Optional<Lease>> current(String sandboxId) {
    requireText(sandboxId, "sandboxId");
    long now = cluster.getClusterTime();
    return Failures.guarded("lookup of sandbox " + sandboxId, () -> slots.getAsync(sandboxId))
        .thenApply(
            slot -> Optional.ofNullable(slot).filter(s -> s.isLive(now)).map(LeaseSlot::toLease));
  }

  @Override
  public CompletionStage<Long> activeLeases() {
    // IMap has no async aggregate: run the distributed count on the node's worker
    return Failures.guarded(
        "count of active leases",
        () ->
            CompletableFuture.supplyAsync(
                () ->
                    slots.aggregate(
                        Aggregators.count(),
                        Predicates.greaterThan(
                            LeaseSlotSerializer.EXPIRES_AT, cluster.getClusterTime())),
                worker));
  }

  @Override
  public int heldLeases() {
    return held.size();
  }

  /**
   * Renews every lease this node holds, one {@code submitToKeys} per partition; drops the ones that
   * came back fenced. Runs on the heartbeat thread and waits for the calls, so a slow cluster slows
   * the beat instead of stacking beats. The leases of a call that failed are retried by the next
   * beat; a lease lapses only after its whole TTL without a successful beat, and then this node
   * reports it lost itself (the rest of the cluster treats it as free by then) even though no call
   * could say so: a node cut off from the lease quorum fails every renew, and must not keep using
   * leases the majority freed.
   *
   * <p>Why per partition: Hazelcast sends a {@code submitToKeys} processor whole to the backup of
   * every partition it touches, so one processor carrying all n tokens cost n × min(n, 271) token
   * copies per beat; a processor per partition carries only that partition's tokens.
   */
  void heartbeat(long timeoutMillis) {
    if (held.isEmpty()) {
      return;
    }
    Map<String, Lease> beat = Map.copyOf(held);
    Map<String, LeaseSlot> renewed = new HashMap<>();
    java.util.Set<String> unknown = new java.util.HashSet<>();
    long now;
    try {
      // read before the calls: a lease that had not lapsed by then may have been renewed since
      now = cluster.getClusterTime();
    } catch (RuntimeException e) {
      LOG.warn("Lease heartbeat skipped: no cluster time", e);
      return;
    }
    // everything that can fail stays inside the try: an exception escaping a periodic task
    // would silently cancel every later beat
    try {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      Map<Integer, Map<String, Long>> byPartition = new HashMap<>();
      beat.forEach(
          (sandboxId, lease) ->
              byPartition
                  .computeIfAbsent(partitionOf.applyAsInt(sandboxId), p -> new HashMap<>())
                  .put(sandboxId, lease.fencingToken()));
      List<Map.Entry<Map<String, Long>, CompletableFuture<Map<String, LeaseSlot>>>> calls =
          new ArrayList<>();
      for (Map<String, Long> tokens : byPartition.values()) {
        calls.add(
            Map.entry(
                tokens,
                slots
                    .submitToKeys(
                        tokens.keySet(),
                        new RenewProcessor(tokens, now, ttlMillis, retentionMillis))
                    .toCompletableFuture()));
      }
      int failed = 0;
      Exception failure = null;
      for (var call : calls) {
        try {
          long left = Math.max(0, deadline - System.nanoTime());
          renewed.putAll(call.getValue().get(left, TimeUnit.NANOSECONDS));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (Exception e) {
          failed += call.getKey().size();
          failure = e;
          unknown.addAll(call.getKey().keySet());
        }
      }
      if (failure != null) {
        LOG.warn(
            "Lease heartbeat for {} of {} leases failed; the next beat retries",
            failed,
            beat.size(),
            failure);
      }
    } catch (RuntimeException e) {
      LOG.warn("Lease heartbeat for {} leases failed; the next beat retries", beat.size(), e);
      unknown.addAll(beat.keySet());
    }
    beat.forEach(
        (sandboxId, lease) -> {
          LeaseSlot slot = renewed.get(sandboxId);
          if (unknown.contains(sandboxId)) {
            // its call failed: neither renewed nor known to be fenced, until its TTL has run out
            if (lease.expiresAt().toEpochMilli() <= now && held.remove(sandboxId, lease)) {
              LOG.warn(
                  "Lease {} on sandbox {} (token {}) is lost: not renewed within its TTL",
                  lease.leaseId(),
                  sandboxId,
                  lease.fencingToken());
              lostListener.accept(lease);
            }
            return;
          }
          if (slot != null) {
            // a concurrent renew or release wins: replace only the exact lease this beat renewed
            held.replace(sandboxId, lease, slot.toLease());
          } else if (held.remove(sandboxId, lease)) {
            LOG.warn(
                "Lease {} on sandbox {} (token {}) is lost: expired, reclaimed or superseded",
                lease.leaseId(),
                sandboxId,
                lease.fencingToken());
            lostListener.accept(lease);
          }
        });
  }

  /** Called with each held lease the heartbeat finds fenced (expired, reclaimed, superseded). */
  void onLost(Consumer<Lease> listener) {
    this.lostListener = listener;
  }

  /**
   * Records a lease granted without asking the cluster first (see {@link RecordProcessor}), in the
   * next batch of this node's {@link LeaseRecorder}: the caller's thread only queues it.
   *
   * @return completes when recorded; fails with {@link LeaseConflictException} if the slot refused
   *     it
   */
  CompletionStage<Lease> record(Lease lease) {
    return recorder
        .submit(lease.sandboxId(), recordOf(lease))
        .handle(
            (result, failure) -> {
              if (failure != null) {
                throw Failures.translate(failure, "record of lease " + lease.leaseId());
              }
              if (!(result instanceof LeaseSlot slot)) {
                throw new ClusterException(
                    "cluster.failed", "record of lease " + lease.leaseId() + " got no slot", false);
              }
              if (!lease.leaseId().equals(slot.leaseId())) {
                throw new LeaseConflictException(lease.sandboxId(), slot.toLease());
              }
              return lease;
            });
  }

  /**
   * Records a lease at once and waits for it: for a loan, whose borrower waits for the record and
   * should not wait behind this node's own leases. Blocking, on the calling thread (the host's
   * executor thread that serves the borrow): no hand-off to a callback thread on the way back.
   *
   * @throws LeaseConflictException if the slot refused it
   */
  Lease recordBlocking(Lease lease) {
    LeaseSlot slot;
    try {
      slot = slots.executeOnKey(lease.sandboxId(), recordOf(lease));
    } catch (RuntimeException e) {
      throw Failures.translate(e, "record of lease " + lease.leaseId());
    }
    if (!lease.leaseId().equals(slot.leaseId())) {
      throw new LeaseConflictException(lease.sandboxId(), slot.toLease());
    }
    return lease;
  }

  private RecordProcessor recordOf(Lease lease) {
    return new RecordProcessor(
        lease.leaseId(),
        lease.fencingToken(),
        lease.ownerNode(),
        lease.sessionId(),
        lease.template(),
        lease.grantedAt().toEpochMilli(),
        lease.expiresAt().toEpochMilli(),
        ttlMillis,
        retentionMillis);
  }

  /** Stops the recorder; writes still queued fail. */
  void close() {
    recorder.close();
  }

  /** Starts renewing {@code lease} by heartbeat on this node (its record exists). */
  void adopt(Lease lease) {
    held.put(lease.sandboxId(), lease);
  }

  /** Stops renewing {@code lease} here, without touching its record. */
  void forget(Lease lease) {
    held.computeIfPresent(
        lease.sandboxId(), (id, mine) -> mine.leaseId().equals(lease.leaseId()) ? null : mine);
  }

  /** Whether this node still renews exactly this lease. */
  boolean holds(Lease lease) {
    Lease mine = held.get(lease.sandboxId());
    return mine != null && mine.leaseId().equals(lease.leaseId());
  }

  /** Cluster time as this member sees it: a local read, no network. */
  long clusterTime() {
    return cluster.getClusterTime();
  }

  long ttlMillis() {
    return ttlMillis;
  }

  /**
   * The live lease of each of {@code sandboxIds} that has one. Blocking (one batched read): call on
   * a worker.
   */
  Map<String, Lease> liveLeases(java.util.Set<String> sandboxIds) {
    long now = cluster.getClusterTime();
    Map<String, Lease> live = new HashMap<>();
    slots
        .getAll(sandboxIds)
        .forEach(
            (id, slot) -> {
              if (slot != null && slot.isLive(now)) {
                live.put(id, slot.toLease());
              }
            });
    return live;
  }

  /**
   * Frees every lease {@code ownerNode} holds; called when that member has left. Blocking
   * (distributed query + processor): runs on the node's worker.
   */
  int reclaim(String ownerNode) {
    Map<String, Boolean> results =
        slots.executeOnEntries(
            new ReclaimProcessor(ownerNode, retentionMillis),
            Predicates.equal(LeaseSlotSerializer.OWNER_NODE, ownerNode));
    return (int) results.values().stream().filter(Boolean.TRUE::equals).count();
  }

  private static void requireText(String value, String field) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(field + ": must not be blank");
    }
  }
}
