package dev.agentfactory.cluster.hazelcast;

import dev.agentfactory.cluster.lease.Lease;
import java.time.Instant;

/**
 * The stored state of one sandbox in the lease map: its fencing counter, and the live lease if
 * there is one. The counter outlives the lease (a free slot keeps it) so that tokens keep rising;
 * lease fields are {@code null} when the slot is free.
 *
 * <p>Times are cluster-time epoch millis. A lease is live while {@code expiresAtMillis} is in the
 * future; expiry is decided by the entry processors, not by IMap eviction, because evicting the
 * entry would also drop the counter.
 */
record LeaseSlot(
    String sandboxId,
    long fencingToken,
    String leaseId,
    String ownerNode,
    String sessionId,
    String template,
    long grantedAtMillis,
    long expiresAtMillis) {

  /** Fencing tokens never fall below cluster time × this, see {@link #nextToken}. */
  static final long TOKENS_PER_MILLI = 1_000;

  boolean isHeld() {
    return leaseId != null;
  }

  boolean isLive(long nowMillis) {
    return leaseId != null && expiresAtMillis > nowMillis;
  }

  /**
   * The token for the next grant on a sandbox whose slot is {@code current} (or gone). Tokens rise
   * by one per grant and never fall below {@code now × 1000}: when a free slot's counter is dropped
   * after the retention period, the next token, seeded from the clock, is still far above every
   * earlier one, as long as cluster time does not step back by more than the retention period.
   */
  static long nextToken(LeaseSlot current, long nowMillis) {
    long floor = nowMillis * TOKENS_PER_MILLI;
    return current == null ? floor : Math.max(current.fencingToken + 1, floor);
  }

  LeaseSlot renewedUntil(long expiresAt) {
    return new LeaseSlot(
        sandboxId,
        fencingToken,
        leaseId,
        ownerNode,
        sessionId,
        template,
        grantedAtMillis,
        expiresAt);
  }

  /** The same sandbox with its counter kept and no lease. */
  LeaseSlot freed() {
    return new LeaseSlot(sandboxId, fencingToken, null, null, null, null, 0, 0);
  }

  Lease toLease() {
    return new Lease(
        leaseId,
        fencingToken,
        ownerNode,
        sandboxId,
        sessionId,
        template,
        Instant.ofEpochMilli(grantedAtMillis),
        Instant.ofEpochMilli(expiresAtMillis));
  }
}
