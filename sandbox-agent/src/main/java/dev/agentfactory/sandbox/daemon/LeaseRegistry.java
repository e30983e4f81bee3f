package dev.agentfactory.sandbox.daemon;

import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxEvent;
import dev.agentfactory.sandbox.SandboxState;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's live leases. A lease ends when its holder deletes it, when its TTL lapses (the
 * holder, e.g. an edge node, died: its sandbox must not leak), or when its sandbox ends on its own
 * (idle timeout, OOM). Ending a lease terminates its sandbox, off the caller's thread.
 */
final class LeaseRegistry {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseRegistry.class);

  private final Map<String, Lease> leases = new ConcurrentHashMap<>();
  private final Map<String, String> bySandbox = new ConcurrentHashMap<>();
  private final Executor closer;

  /**
   * @param closer where sandboxes are terminated: closing kills processes and unmounts
   */
  LeaseRegistry(Executor closer) {
    this.closer = closer;
  }

  Lease add(Sandbox sandbox, Duration ttl) {
    Lease lease = new Lease("lease-" + UUID.randomUUID(), sandbox, ttl);
    leases.put(lease.id(), lease);
    bySandbox.put(sandbox.id(), lease.id());
    if (sandbox.state() == SandboxState.TERMINATED) {
      // ended between the lease and here: the event that would have removed it came first
      remove(lease.id(), "sandbox terminated");
      // another lease gets another sandbox
      throw ApiException.unavailable(
          "sandbox_dead", "sandbox " + sandbox.id() + " ended before it was handed over");
    }
    return lease;
  }

  /** The lease, renewed; {@code unknown_lease} when it does not exist or has ended. */
  Lease renew(String id) {
    Lease lease = leases.get(id);
    if (lease == null) {
      throw ApiException.unknownLease(id);
    }
    lease.renew();
    return lease;
  }

  Collection<Lease> all() {
    return List.copyOf(leases.values());
  }

  int size() {
    return leases.size();
  }

  /** Ends a lease and terminates its sandbox; false when it had already ended. */
  boolean remove(String id, String why) {
    Lease lease = leases.remove(id);
    if (lease == null) {
      return false;
    }
    bySandbox.remove(lease.sandbox().id(), id);
    LOG.info("lease {} of sandbox {} ended: {}", id, lease.sandbox().id(), why);
    try {
      closer.execute(() -> closeQuietly(lease.sandbox()));
    } catch (RejectedExecutionException e) {
      closeQuietly(lease.sandbox());
    }
    return true;
  }

  /** Ends every lease whose TTL lapsed; cheap, runs on the event loop. */
  void expire() {
    long now = System.nanoTime();
    for (Lease lease : leases.values()) {
      if (lease.expired(now)) {
        remove(lease.id(), "TTL lapsed without a call or heartbeat");
      }
    }
  }

  /** Pool events: a sandbox that ended on its own takes its lease with it. */
  void onEvent(SandboxEvent event) {
    if (event.state() == SandboxState.TERMINATED) {
      String id = bySandbox.get(event.sandboxId());
      if (id != null) {
        remove(id, "sandbox terminated (" + event.reason() + ")");
      }
    }
  }

  /** Ends every lease; on shutdown. */
  void closeAll() {
    for (Lease lease : leases.values()) {
      remove(lease.id(), "daemon shutting down");
    }
  }

  private static void closeQuietly(Sandbox sandbox) {
    try {
      sandbox.close();
    } catch (RuntimeException e) {
      LOG.warn("closing sandbox {} failed", sandbox.id(), e);
    }
  }
}
