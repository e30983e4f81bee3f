package dev.agentfactory.cluster.lease;

import java.time.Instant;

/**
 * A node's exclusive claim on one sandbox, recorded cluster-wide.
 *
 * <p>The {@code fencingToken} is strictly greater than the token of every earlier lease on the same
 * sandbox: anything the holder touches on the sandbox's behalf should carry it, and a resource that
 * has seen a higher token must reject a lower one. That is what makes a paused or partitioned
 * ex-holder harmless.
 *
 * @param leaseId unique id of this grant
 * @param fencingToken strictly increasing per {@code sandboxId}
 * @param ownerNode the {@code ClusterNode#nodeId()} of the holder
 * @param sandboxId the leased sandbox
 * @param sessionId the session the sandbox serves
 * @param template the sandbox template
 * @param grantedAt when this lease was granted (cluster time)
 * @param expiresAt when it lapses unless renewed (cluster time)
 */
public record Lease(
    String leaseId,
    long fencingToken,
    String ownerNode,
    String sandboxId,
    String sessionId,
    String template,
    Instant grantedAt,
    Instant expiresAt) {}
