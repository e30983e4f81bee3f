package dev.agentfactory.edge.session;

import dev.agentfactory.sandbox.Sandbox;

/**
 * A sandbox held by a session under a cluster-wide lease.
 *
 * @param fencingToken strictly increasing per sandbox: a holder with an older token is stale
 */
public record LeasedSandbox(
    Sandbox sandbox, String leaseId, long fencingToken, String node, String isolation) {}
