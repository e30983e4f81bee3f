package dev.agentfactory.edge.session;

import io.vertx.core.Future;

/** How a session gets and gives back its sandbox. */
public interface SandboxLeasing {

  /** Leases a ready sandbox of {@code template} for {@code sessionId}, recorded cluster-wide. */
  Future<LeasedSandbox> lease(String sessionId, String template);

  /** Ends the lease and terminates the sandbox; never reused by another lease. */
  Future<Void> release(LeasedSandbox leased);

  /** The node whose pool the sandboxes come from (where a session must be resumed). */
  String node();

  /** The isolation level of the sandboxes, e.g. {@code namespace}. */
  String isolation();
}
