package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.map.IMap;
import dev.agentfactory.cluster.ClusterException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of the cluster-wide tenant quotas ({@link QuotaProcessor} on {@code
 * af.quota-holds}). Each lease of a tenant with a quota holds one hold, named by a holder id the
 * lease makes once; every operation is idempotent, so failures are simply retried:
 *
 * <ul>
 *   <li>a reserve that fails retriably is sent again, up to {@link #RESERVE_ATTEMPTS} times and not
 *       later than {@link #RESERVE_RETRY_WINDOW} after the first (the lease waits for it, and a
 *       call that timed out has taken Hazelcast's whole call timeout already); if any attempt
 *       failed its hold may exist anyway (applied, answer lost), so a reservation that does not end
 *       in a lease is released;
 *   <li>a release is kept until one succeeds: retried on every pool tick while it fails retriably;
 *   <li>the holds of a departed node are dropped by the oldest member at once, and its periodic
 *       {@link #sweep} drops any that were missed (the drop failed, or the oldest left too);
 *   <li>each node {@link #reconcile reconciles} its own holds with the leases it has: after a
 *       split-brain merge, and every {@link #RECONCILE_INTERVAL}.
 * </ul>
 *
 * <p><b>Why reconcile.</b> The quota map is keyed by tenant, so a merge (Hazelcast's PutIfAbsent,
 * like any per-entry policy) keeps one side's set of holds for a tenant whole and drops the
 * other's: the holds the merging side took during the split, or what the larger side dropped as
 * that side's departure. Only the leasing node knows which of its holds are still leases, so each
 * node puts back the holds of its live leases (a reserve without limit, idempotent per holder: it
 * cannot count one twice) and releases the holds under its id that belong to no lease of its own. A
 * merge policy that unites both sides' holds could not tell a live hold from one the other side
 * released during the split, and would bring released holds back for good.
 */
final class TenantQuotas {

  private static final Logger LOG = LoggerFactory.getLogger(TenantQuotas.class);

  /** Attempts of one reserve: the lease waits for them. */
  static final int RESERVE_ATTEMPTS = 3;

  /** No reserve attempt starts later than this after the first. */
  static final Duration RESERVE_RETRY_WINDOW = Duration.ofSeconds(15);

  /** Pause before the second attempt; each later one waits four times longer. */
  static final Duration FIRST_RETRY = Duration.ofMillis(100);

  /** How often the oldest member sweeps holds of nodes that are gone. */
  static final Duration SWEEP_INTERVAL = Duration.ofSeconds(30);

  /**
   * A hold is swept only if it is older than this: its node may have joined after the sweep read
   * the members (and members' cluster clocks differ by a little).
   */
  static final Duration SWEEP_MARGIN = Duration.ofSeconds(10);

  /**
   * How often every node reconciles its holds with its leases, besides after a merge: the backstop
   * for a reconcile that failed, and for holds lost or brought back while this node did not merge
   * (the other side's entry was kept, a partition lost both replicas).
   */
  static final Duration RECONCILE_INTERVAL = Duration.ofSeconds(30);

  private final IMap<String, TenantHolds> holds;
  private final String nodeId;
  private final ScheduledExecutorService worker;
  private final LongSupplier clusterTime;
  private final Map<String, Pending> releases = new ConcurrentHashMap<>();
  // tenant by holder id: reserves not answered yet, and holds answered and not released since
  private final Map<String, String> reserving = new ConcurrentHashMap<>();
  private final Map<String, String> held = new ConcurrentHashMap<>();
  private volatile long nextSweep;
  private volatile long nextReconcile;

  /** A release not known to have been applied yet. */
  private record Pending(String tenant, AtomicBoolean sending) {}

  TenantQuotas(
      IMap<String, TenantHolds> holds,
      String nodeId,
      ScheduledExecutorService worker,
      LongSupplier clusterTime) {
    this.holds = holds;
    this.nodeId = nodeId;
    this.worker = worker;
    this.clusterTime = clusterTime;
    this.nextSweep = System.nanoTime() + SWEEP_INTERVAL.toNanos();
    this.nextReconcile = System.nanoTime() + RECONCILE_INTERVAL.toNanos();
  }

  /**
   * Takes {@code holder}'s hold on {@code tenant}'s quota if it is below {@code limit}; completes
   * with whether it holds one. Retried on retriable failures; fails with the last failure.
   */
  CompletableFuture<Boolean> reserve(String tenant, String holder, int limit) {
    CompletableFuture<Boolean> result = new CompletableFuture<>();
    // one timestamp for every attempt: a retry is the same operation
    QuotaProcessor reserve = QuotaProcessor.reserve(holder, nodeId, limit, clusterTime.getAsLong());
    long deadline = System.nanoTime() + RESERVE_RETRY_WINDOW.toNanos();
    reserving.put(holder, tenant);
    attemptReserve(tenant, holder, reserve, 1, deadline, result);
    return result.whenComplete(
        (reserved, e) -> {
          // held first: a reconcile reads reserving before held, and must find it in one of them
          if (e == null && reserved) {
            held.put(holder, tenant);
          }
          reserving.remove(holder);
        });
  }

  private void attemptReserve(
      String tenant,
      String holder,
      QuotaProcessor reserve,
      int attempt,
      long deadline,
      CompletableFuture<Boolean> result) {
    Failures.guarded("quota check of tenant " + tenant, () -> holds.submitToKey(tenant, reserve))
        .whenComplete(
            (reserved, e) -> {
              if (e == null) {
                if (!reserved && attempt > 1) {
                  // an earlier attempt may still be applied after this answer: free its hold
                  release(tenant, holder);
                }
                result.complete(reserved);
                return;
              }
              ClusterException failure = Failures.translate(e, "quota check of tenant " + tenant);
              long pause = FIRST_RETRY.toMillis() << (2 * (attempt - 1));
              boolean late =
                  System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause) - deadline > 0;
              if (!failure.retriable() || attempt >= RESERVE_ATTEMPTS || late) {
                // the failed attempt may have been applied all the same
                release(tenant, holder);
                result.completeExceptionally(failure);
                return;
              }
              LOG.info(
                  "quota check of tenant {} failed (attempt {} of {}); retrying in {} ms: {}",
                  tenant,
                  attempt,
                  RESERVE_ATTEMPTS,
                  pause,
                  failure.getMessage());
              try {
                worker.schedule(
                    () -> attemptReserve(tenant, holder, reserve, attempt + 1, deadline, result),
                    pause,
                    TimeUnit.MILLISECONDS);
              } catch (RuntimeException rejected) {
                // the node is closing: its holds go with it
                result.completeExceptionally(failure);
              }
            });
  }

  /** Gives {@code holder}'s hold back; kept and retried until a release is known to be applied. */
  void release(String tenant, String holder) {
    held.remove(holder);
    Pending pending = new Pending(tenant, new AtomicBoolean());
    if (releases.putIfAbsent(holder, pending) == null) {
      send(holder, pending);
    }
  }

  /**
   * Sends a release of {@code holder} even if one is pending: that one may have been applied before
   * a reconcile put the hold back, its answer not yet in.
   */
  private void releaseAgain(String tenant, String holder) {
    Pending pending = new Pending(tenant, new AtomicBoolean());
    releases.put(holder, pending);
    send(holder, pending);
  }

  /** Sends every release not known to be applied that is not in flight; on the pool tick. */
  void retryReleases() {
    releases.forEach(this::send);
  }

  /** Releases not known to be applied yet. */
  int pendingReleases() {
    return releases.size();
  }

  private void send(String holder, Pending pending) {
    if (!pending.sending().compareAndSet(false, true)) {
      return;
    }
    Failures.guarded(
            "quota release of tenant " + pending.tenant(),
            () -> holds.submitToKey(pending.tenant(), QuotaProcessor.release(holder)))
        .whenComplete(
            (released, e) -> {
              if (e == null) {
                releases.remove(holder, pending);
                return;
              }
              ClusterException failure =
                  Failures.translate(e, "quota release of tenant " + pending.tenant());
              if (failure.retriable()) {
                LOG.info(
                    "quota of tenant {} not given back yet; the next pool tick retries: {}",
                    pending.tenant(),
                    failure.getMessage());
                pending.sending().set(false);
              } else {
                // e.g. this member is shutting down: its holds are dropped when it has left
                releases.remove(holder, pending);
                LOG.warn("quota of tenant {} not given back", pending.tenant(), failure);
              }
            });
  }

  /** Every {@link #RECONCILE_INTERVAL}, {@link #reconcile}s. Blocking: on the worker. */
  void reconcileIfDue() {
    long now = System.nanoTime();
    if (now - nextReconcile < 0) {
      return;
    }
    reconcile();
  }

  /**
   * Makes this node's holds in the map those of its leases: puts back each hold it has that the map
   * lacks (above the limit if need be: the lease exists), and releases each hold under its id that
   * is not one of its reserves or leases. Blocking (reads every tenant's entry): on the worker,
   * after a merge and every {@link #RECONCILE_INTERVAL}. A failure is left to the next.
   */
  void reconcile() {
    nextReconcile = System.nanoTime() + RECONCILE_INTERVAL.toNanos();
    Map<String, String> recorded = new HashMap<>();
    try {
      for (Map.Entry<String, TenantHolds> entry : holds.entrySet()) {
        entry
            .getValue()
            .holds()
            .forEach(
                (holder, hold) -> {
                  if (hold.node().equals(nodeId)) {
                    recorded.put(holder, entry.getKey());
                  }
                });
      }
    } catch (RuntimeException e) {
      LOG.warn("reading the quota holds of node {} failed; the next reconcile retries", nodeId, e);
      return;
    }
    // read after the map: a hold in it that is in neither is of a reserve that ended without a
    // lease, or of a lease released since; one taken after the read is not in `recorded`
    Set<String> live = new HashSet<>(reserving.keySet());
    Map<String, String> leases = Map.copyOf(held);
    live.addAll(leases.keySet());
    recorded.forEach(
        (holder, tenant) -> {
          if (!live.contains(holder)) {
            LOG.info(
                "quota hold {} of tenant {} has no lease on node {}: releasing it",
                holder,
                tenant,
                nodeId);
            releaseAgain(tenant, holder);
          }
        });
    leases.forEach(
        (holder, tenant) -> {
          if (!recorded.containsKey(holder)) {
            putBack(tenant, holder);
          }
        });
  }

  /** Puts {@code holder}'s hold back whatever the tenant's count: its lease exists. */
  private void putBack(String tenant, String holder) {
    LOG.info(
        "quota hold {} of tenant {} was missing (a split brain?): putting it back", holder, tenant);
    QuotaProcessor reserve =
        QuotaProcessor.reserve(holder, nodeId, Integer.MAX_VALUE, clusterTime.getAsLong());
    Failures.guarded("quota hold of tenant " + tenant, () -> holds.submitToKey(tenant, reserve))
        .whenComplete(
            (added, e) -> {
              if (e != null) {
                LOG.warn(
                    "quota hold of tenant {} not put back; the next reconcile retries", tenant, e);
              } else if (!held.containsKey(holder)) {
                // released while it was being put back: the release may have come first
                releaseAgain(tenant, holder);
              }
            });
  }

  /**
   * Drops every hold of {@code node}, which left. Blocking (a query over every partition): on the
   * worker, by the oldest member. A failure is left to the sweep.
   */
  void dropNode(String node) {
    try {
      holds.executeOnEntries(QuotaProcessor.dropNode(node));
    } catch (RuntimeException e) {
      LOG.warn("dropping the quota holds of departed node {} failed; the sweep retries", node, e);
    }
  }

  /**
   * Every {@link #SWEEP_INTERVAL}, drops the holds of nodes not in {@code present} (the members
   * now) that are older than {@link #SWEEP_MARGIN}. Blocking: on the worker, by the oldest member.
   */
  void sweepIfDue(Set<String> present) {
    long now = System.nanoTime();
    if (now - nextSweep < 0) {
      return;
    }
    nextSweep = now + SWEEP_INTERVAL.toNanos();
    sweep(present);
  }

  /** Drops the holds of nodes not in {@code present} older than {@link #SWEEP_MARGIN}. */
  void sweep(Set<String> present) {
    long before = clusterTime.getAsLong() - SWEEP_MARGIN.toMillis();
    try {
      Map<String, Boolean> changed = holds.executeOnEntries(QuotaProcessor.sweep(present, before));
      long tenants = changed.values().stream().filter(Boolean.TRUE::equals).count();
      if (tenants > 0) {
        LOG.info("dropped the quota holds of departed nodes from {} tenants", tenants);
      }
    } catch (RuntimeException e) {
      LOG.warn("sweeping the quota holds of departed nodes failed; the next sweep retries", e);
    }
  }
}
