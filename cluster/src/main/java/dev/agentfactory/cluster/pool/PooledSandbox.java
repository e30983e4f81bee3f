package dev.agentfactory.cluster.pool;

import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.sandbox.Sandbox;

/**
 * A sandbox leased from the distributed pool.
 *
 * @param sandbox use it like a local one; a borrowed sandbox forwards every call to its host node
 * @param lease the cluster-wide lease; its {@code sandboxId} is the cluster-wide key {@code
 *     <sandbox id>@<host node>}
 * @param tenant the tenant whose quota the lease counts against
 * @param hostNode the node the sandbox runs on
 * @param borrowed whether the host is another node (this node had no stock)
 */
public record PooledSandbox(
    Sandbox sandbox, Lease lease, String tenant, String hostNode, boolean borrowed) {}
