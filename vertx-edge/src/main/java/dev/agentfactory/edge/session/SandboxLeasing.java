package dev.agentfactory.edge.session;

import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.SandboxException;
import io.vertx.core.Future;
import java.util.function.Consumer;

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

  /**
   * Leases for a session of {@code tenant}, counted against the tenant's cluster-wide quota where
   * one is configured.
   */
  default Future<LeasedSandbox> lease(String sessionId, String tenant, String template) {
    return lease(sessionId, template);
  }

  /** Leases for a session of {@code tenant} with claim-time options. */
  default Future<LeasedSandbox> lease(
      String sessionId, String tenant, String template, LeaseOptions options) {
    if (options == null || options.isEmpty()) {
      return lease(sessionId, tenant, template);
    }
    return lease(sessionId, template, options);
  }

  /** Ends the lease and terminates the sandbox; never reused by another lease. */
  Future<Void> release(LeasedSandbox leased);

  /**
   * Calls {@code onLost} (once, on any thread) with a stable error code if the lease ends without a
   * release: the node hosting a borrowed sandbox left ({@code sandbox_host_left}), or the lease was
   * fenced after a partition ({@code lease_fenced}), or its record could not be written ({@code
   * lease_not_recorded}). A session ends on the last two (another node may hold the lease); a host
   * that left took the sandbox with it, which the sandbox's {@link
   * dev.agentfactory.sandbox.Sandbox#whenTerminated} reports too, and the session treats it as any
   * sandbox that ends.
   */
  default void onLost(LeasedSandbox leased, Consumer<String> onLost) {}

  /**
   * Whether the pool is draining (an admin drain, or SIGTERM before the node stops): it leases
   * nothing, so new sessions are refused rather than opened with no sandbox to get.
   */
  default boolean draining() {
    return false;
  }

  /** The node whose pool the sandboxes come from (where a session must be resumed). */
  String node();

  /** The isolation level of the sandboxes, e.g. {@code namespace}. */
  String isolation();
}
