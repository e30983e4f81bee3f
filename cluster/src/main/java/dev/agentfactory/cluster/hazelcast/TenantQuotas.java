package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.map.IMap;
import dev.agentfactory.cluster.ClusterException;
import java.time.Duration;
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
 *       {@link #sweep} drops any that were missed (the drop failed, or the oldest left too).
 * </ul>
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

  private final IMap<String, TenantHolds> holds;
  private final String nodeId;
  private final ScheduledExecutorService worker;
  private final LongSupplier clusterTime;
  private final Map<String, Pending> releases = new ConcurrentHashMap<>();
  private volatile long nextSweep;

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
    attemptReserve(tenant, holder, reserve, 1, deadline, result);
    return result;
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
    Pending pending = new Pending(tenant, new AtomicBoolean());
    if (releases.putIfAbsent(holder, pending) == null) {
      send(holder, pending);
    }
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
