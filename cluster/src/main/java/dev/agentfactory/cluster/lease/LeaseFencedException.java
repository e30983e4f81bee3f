package dev.agentfactory.cluster.lease;

import dev.agentfactory.cluster.ClusterException;

/**
 * The lease is no longer the sandbox's current one: it expired, was reclaimed after its node left,
 * or a newer lease (higher fencing token) replaced it. Not retriable: stop using the sandbox.
 */
public final class LeaseFencedException extends ClusterException {

  private final transient Lease lease;

  public LeaseFencedException(Lease lease, String reason) {
    super(
        "lease.fenced",
        "lease "
            + lease.leaseId()
            + " (token "
            + lease.fencingToken()
            + ") on sandbox "
            + lease.sandboxId()
            + " is fenced: "
            + reason,
        false);
    this.lease = lease;
  }

  /** The stale lease. */
  public Lease lease() {
    return lease;
  }
}
