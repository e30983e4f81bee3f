package dev.agentfactory.cluster.pool;

/**
 * Counters of one node's pool since it started, for metrics and tests.
 *
 * @param localLeases leases served from this node's own stock
 * @param borrowedLeases leases served from a peer's stock
 * @param lentSandboxes sandboxes of this node lent to a peer's session
 * @param remoteCallsOnLeasePath network calls a lease waited for (borrows and quota checks); a
 *     local lease of a tenant without quota makes none
 * @param recordsWritten lease records written after the local grant
 * @param leasesLost leases that ended without a release (see {@link LeaseLostListener})
 * @param sandboxesReclaimed lent sandboxes this node terminated because their lease ended without a
 *     return (borrower gone, TTL lapsed)
 */
public record PoolCounters(
    long localLeases,
    long borrowedLeases,
    long lentSandboxes,
    long remoteCallsOnLeasePath,
    long recordsWritten,
    long leasesLost,
    long sandboxesReclaimed) {}
