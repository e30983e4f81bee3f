package dev.agentfactory.sandbox;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A node-local pool of pre-started, ready sandboxes.
 *
 * <p>{@code lease} hands over a sandbox that is already running and checked ready; when the pool is
 * empty it falls back to starting one on demand. A leased sandbox is never handed to anyone else:
 * closing it terminates it, and the pool refills in the background.
 *
 * <pre>{@code
 * try (Sandbox sandbox = pool.lease("shell").toCompletableFuture().join()) {
 *   ExecResult result = sandbox.exec(ExecRequest.shell("echo hi"), listener).toCompletableFuture().join();
 * }
 * }</pre>
 */
public interface SandboxPool extends AutoCloseable {

  /** Leases a ready sandbox of the given template; fails with {@link SandboxException}. */
  CompletionStage<Sandbox> lease(String template);

  /**
   * Leases a ready sandbox of the given template customised with {@code options} (environment,
   * files, a narrower egress policy), applied to a warm sandbox without a cold start. Fails with
   * {@link InvalidLeaseException} when the options cannot apply (e.g. {@code egress_widened}), and
   * otherwise like {@link #lease(String)}.
   *
   * <pre>{@code
   * pool.lease("python", LeaseOptions.NONE.withEnv(Map.of("TASK", "42")));
   * }</pre>
   */
  default CompletionStage<Sandbox> lease(String template, LeaseOptions options) {
    if (options == null || options.isEmpty()) {
      return lease(template);
    }
    return CompletableFuture.failedFuture(
        SandboxException.unsupported("lease options", "this pool cannot customise sandboxes"));
  }

  /**
   * Changes how many warm sandboxes of {@code template} this pool keeps ready: a higher target
   * starts more in the background, a lower one terminates surplus warm (never leased) sandboxes.
   * The cluster's distributed pool calls it when it re-splits cluster-wide targets across nodes.
   *
   * @throws SandboxException {@code unknown_template} for a template the pool does not have
   */
  default void retarget(String template, int target) {
    throw SandboxException.unsupported("retarget", "this pool has fixed targets");
  }

  /** A point-in-time view of the pool, for health and metrics. */
  PoolStats stats();

  /**
   * Registers a listener for lifecycle and limit events of every sandbox of this pool.
   *
   * <pre>{@code
   * pool.addListener(e -> log.info("{} {} ({})", e.sandboxId(), e.state(), e.reason()));
   * }</pre>
   */
  default void addListener(SandboxEventListener listener) {
    throw SandboxException.unsupported("addListener", "this pool reports no events");
  }

  /** Terminates every sandbox, leased or warm, and stops refilling. */
  @Override
  void close();
}
