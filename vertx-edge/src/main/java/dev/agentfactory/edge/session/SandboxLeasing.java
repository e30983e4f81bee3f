package dev.agentfactory.edge.session;

import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.SandboxException;
import io.vertx.core.Future;

/** How a session gets and gives back its sandbox. */
public interface SandboxLeasing {

  /** Leases a ready sandbox of {@code template} for {@code sessionId}, recorded cluster-wide. */
  Future<LeasedSandbox> lease(String sessionId, String template);

  /**
   * Leases with claim-time options (an agent's egress allowlist). Leasings that cannot customise a
   * sandbox refuse options that change anything.
   */
  default Future<LeasedSandbox> lease(String sessionId, String template, LeaseOptions options) {
    if (options == null || options.isEmpty()) {
      return lease(sessionId, template);
    }
    return Future.failedFuture(
        SandboxException.unsupported("lease options", "this leasing cannot customise sandboxes"));
  }

  /** Ends the lease and terminates the sandbox; never reused by another lease. */
  Future<Void> release(LeasedSandbox leased);
}
