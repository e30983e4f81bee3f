package dev.agentfactory.cluster.lease;

import dev.agentfactory.cluster.ClusterException;

/**
 * The sandbox already has a live lease. Retriable: it frees up on release, reclaim or expiry, or
 * another sandbox can serve.
 */
public final class LeaseConflictException extends ClusterException {

  private final transient Lease holder;

  public LeaseConflictException(String sandboxId, Lease holder) {
    super(
        "lease.conflict",
        "sandbox "
            + sandboxId
            + " is held by lease "
            + holder.leaseId()
            + " of node "
            + holder.ownerNode()
            + " until "
            + holder.expiresAt(),
        true);
    this.holder = holder;
  }

  /** The live lease that blocked the acquire. */
  public Lease holder() {
    return holder;
  }
}
