package dev.agentfactory.cluster.hazelcast;

import dev.agentfactory.cluster.lease.Lease;
import java.io.Serializable;
import java.time.Instant;

/** A host's answer to a borrow: the recorded lease (owned by the borrower) and the sandbox. */
record LoanGrant(
    String leaseId,
    long fencingToken,
    String ownerNode,
    String key,
    String sessionId,
    String template,
    long grantedAtMillis,
    long expiresAtMillis,
    String sandboxId)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  static LoanGrant of(Lease lease, String sandboxId) {
    return new LoanGrant(
        lease.leaseId(),
        lease.fencingToken(),
        lease.ownerNode(),
        lease.sandboxId(),
        lease.sessionId(),
        lease.template(),
        lease.grantedAt().toEpochMilli(),
        lease.expiresAt().toEpochMilli(),
        sandboxId);
  }

  Lease lease() {
    return new Lease(
        leaseId,
        fencingToken,
        ownerNode,
        key,
        sessionId,
        template,
        Instant.ofEpochMilli(grantedAtMillis),
        Instant.ofEpochMilli(expiresAtMillis));
  }
}
