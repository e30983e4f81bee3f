package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.pool.LeaseLostListener;
import dev.agentfactory.cluster.pool.PooledSandbox;
import dev.agentfactory.sandbox.Sandbox;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases this node's sessions hold, local and borrowed, from their grant until they are
 * released or lost, with each one's quota hold and, for a local lease, its pending record. A lease
 * ends once: released by its session, or lost (fenced, not recorded, or its borrowed sandbox's host
 * left), and then its {@link LeaseLostListener}s hear of it. The host-loss side lives here too: a
 * borrowed lease whose host left is lost, and its record, which only the host would have freed, is
 * freed by this node.
 */
final class HeldLeases {

  // the pool's logger: these messages were always the pool's
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastWarmPool.class);

  private final HazelcastLeaseRegistry registry;
  private final TenantQuotas quotas;
  private final HazelcastInstance hazelcast;
  private final ExecutorService closer;
  private final PoolCounts counts;
  private final Map<String, PooledSandbox> active = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Lease>> records = new ConcurrentHashMap<>();
  // the quota holder id of each active lease of a tenant with a quota, by lease id
  private final Map<String, String> quotaHolders = new ConcurrentHashMap<>();
  private final List<LeaseLostListener> listeners = new CopyOnWriteArrayList<>();

  HeldLeases(
      HazelcastLeaseRegistry registry,
      TenantQuotas quotas,
      HazelcastInstance hazelcast,
      ExecutorService closer,
      PoolCounts counts) {
    this.registry = registry;
    this.quotas = quotas;
    this.hazelcast = hazelcast;
    this.closer = closer;
    this.counts = counts;
  }

  int size() {
    return active.size();
  }

  void addListener(LeaseLostListener listener) {
    listeners.add(listener);
  }

  /**
   * Holds a new lease.
   *
   * @param holder the lease's hold on its tenant's quota, or null if the tenant has no quota
   */
  void hold(PooledSandbox leased, String holder) {
    if (holder != null) {
      quotaHolders.put(leased.lease().leaseId(), holder);
    }
    active.put(leased.lease().leaseId(), leased);
  }

  /**
   * Drops whatever lease a grant that failed half-way holds on {@code sandbox} (e.g. this member
   * shutting down): nobody holds the sandbox, so it must not outlive the grant (the local pool
   * counts it leased until it is terminated).
   */
  void dropFailedGrant(Sandbox sandbox, String holder) {
    active.values().removeIf(held -> held.sandbox() == sandbox);
    if (holder != null) {
      quotaHolders.values().remove(holder);
    }
    terminate(sandbox);
  }

  /**
   * Follows the cluster-wide record of a local lease, written after the grant: once written the
   * heartbeat renews it, if the lease is still held; if it cannot be written the lease is lost.
   */
  void recording(PooledSandbox leased, CompletableFuture<Lease> record) {
    Lease lease = leased.lease();
    records.put(lease.leaseId(), record);
    record.whenComplete(
        (recorded, e) -> {
          if (e == null) {
            counts.recordsWritten.increment();
            if (active.containsKey(lease.leaseId())) {
              registry.adopt(lease);
            }
          } else {
            LOG.warn("lease {} on {} could not be recorded", lease.leaseId(), lease.sandboxId(), e);
            lost(leased, LeaseLostListener.Reason.NOT_RECORDED);
          }
        });
  }

  CompletionStage<Void> release(PooledSandbox leased) {
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
   * ({@link #hostLeft}); a session that learnt of the loss first, from a call that failed, may have
   * released its lease before that, and then only this node knows the record is orphaned.
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

  /**
   * Terminates {@code sandbox} on the node's closer pool (termination waits for processes to die:
   * never on a caller's thread); the stage completes once it is terminated. Never throws: once the
   * node has closed, and its closer pool with it, a late call (a session releasing its lease, or a
   * lease lost, while the node stops) still terminates the sandbox, on a thread of its own.
   */
  CompletableFuture<Void> terminate(Sandbox sandbox) {
    Runnable close = () -> closeHere(sandbox);
    try {
      return CompletableFuture.runAsync(close, closer);
    } catch (RejectedExecutionException closed) {
      return CompletableFuture.runAsync(close, HeldLeases::closeLate);
    }
  }

  /**
   * Terminates {@code sandbox} on this thread, which waits for its processes to die: only for a
   * thread that may block (e.g. an executor thread of the host that waits for it anyway).
   */
  static void closeHere(Sandbox sandbox) {
    try {
      sandbox.close();
    } catch (RuntimeException e) {
      LOG.warn("terminating sandbox {} failed", sandbox.id(), e);
    }
  }

  /** Runs a termination the closed node's closer pool refused, on a daemon thread of its own. */
  private static void closeLate(Runnable close) {
    Thread thread = new Thread(close, "af-pool-late-close");
    thread.setDaemon(true);
    thread.start();
  }

  /** Gives the lease's hold on its tenant's quota back, if it has one; retried until applied. */
  private void releaseQuota(PooledSandbox leased) {
    String holder = quotaHolders.remove(leased.lease().leaseId());
    if (holder != null) {
      quotas.release(leased.tenant(), holder);
    }
  }

  /** The heartbeat found the lease expired, reclaimed or superseded. */
  void fenced(Lease lease) {
    PooledSandbox leased = active.get(lease.leaseId());
    if (leased != null) {
      lost(leased, LeaseLostListener.Reason.FENCED);
    }
  }

  void lost(PooledSandbox leased, LeaseLostListener.Reason reason) {
    if (active.remove(leased.lease().leaseId()) == null) {
      return;
    }
    counts.leasesLost.increment();
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

  /** The node {@code departed} left: every lease borrowed from it is lost. */
  void hostLeft(String departed) {
    for (PooledSandbox leased : List.copyOf(active.values())) {
      if (leased.borrowed() && leased.hostNode().equals(departed)) {
        lost(leased, LeaseLostListener.Reason.HOST_LEFT);
      }
    }
  }
}
