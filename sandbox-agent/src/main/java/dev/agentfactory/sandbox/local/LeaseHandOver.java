package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.InvalidLeaseException;
import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.SandboxState;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * How a {@link LocalSandboxPool} hands a sandbox of a template over to a lease: a warm one at once
 * when the lease options need no thread hop, otherwise on a starter thread, with the claim-time
 * options applied first and a sandbox terminated meanwhile replaced.
 */
final class LeaseHandOver {

  /** How many sandboxes one lease takes when each is terminated before it is handed over. */
  private static final int MAX_HAND_OVER_ATTEMPTS = 3;

  private final PoolThreads threads;
  private final WarmRefill refill;
  private final Function<TemplatePool, LocalSandbox> start;

  /**
   * @param start starts one sandbox of a template and waits until it is ready
   */
  LeaseHandOver(
      PoolThreads threads, WarmRefill refill, Function<TemplatePool, LocalSandbox> start) {
    this.threads = threads;
    this.refill = refill;
    this.start = start;
  }

  /**
   * Leases a sandbox of the available template {@code t}. The egress policy is checked against the
   * template's before any sandbox is taken, so a rejected lease costs no warm sandbox.
   */
  CompletionStage<Sandbox> lease(TemplatePool t, LeaseOptions opts) {
    if (opts.egress() != null) {
      Optional<Integer> widened = t.spec.egress().firstUncovered(opts.egress());
      if (widened.isPresent()) {
        int i = widened.get();
        return CompletableFuture.failedFuture(
            new InvalidLeaseException(
                InvalidLeaseException.EGRESS_WIDENED,
                "egress[" + i + "]",
                "("
                    + opts.egress().rules().get(i)
                    + ") is not covered by template '"
                    + t.name
                    + "', whose egress allowlist is "
                    + t.spec.egress().rules()
                    + ": a lease may only narrow it"));
      }
    }
    LocalSandbox warm;
    while ((warm = takeWarm(t)) != null) {
      if (!opts.files().isEmpty()) {
        LocalSandbox claimed = warm;
        return threads.onStarter(() -> customised(t, claimed, opts));
      }
      // Nothing to write: hand it over without a thread hop
      warm.customise(opts);
      if (t.handOver(warm)) {
        return CompletableFuture.completedFuture(warm);
      }
      // terminated since takeWarm saw it alive: the next one
    }
    refill.refill(t);
    return threads.onStarter(() -> customised(t, null, opts));
  }

  /** The next live warm sandbox of {@code t}, or null; dead ones on the way are cleaned up. */
  private LocalSandbox takeWarm(TemplatePool t) {
    LocalSandbox warm;
    while ((warm = t.ready.poll()) != null) {
      if (warm.isAlive()) {
        // The replacement starts a moment later, not now: its launch (JVM spawn, bwrap) would
        // compete with this hand-over and with the next leases of a burst for the same cores
        WarmRefill.refillSoon(t);
        return warm;
      }
      // Dead while warm: its cleanup (kill, reap, unmount) must not delay this lease
      LocalSandbox dead = warm;
      threads.background(() -> dead.closeWith("died"));
    }
    return null;
  }

  /**
   * Applies the lease options on a pool thread and hands the sandbox over; {@code first} null
   * starts one. A sandbox the options cannot apply to is closed. One terminated meanwhile (max
   * lifetime, a death: nothing the caller did) is replaced by the next warm one or a fresh start, a
   * few times at most.
   */
  private Sandbox customised(TemplatePool t, LocalSandbox first, LeaseOptions options) {
    LocalSandbox sandbox = first == null ? start.apply(t) : first;
    for (int attempt = 1; ; attempt++) {
      try {
        sandbox.customise(options);
        if (t.handOver(sandbox)) {
          return sandbox;
        }
      } catch (RuntimeException e) {
        if (sandbox.state() != SandboxState.TERMINATED) {
          sandbox.closeWith("lease_failed");
          throw e;
        }
      }
      if (attempt == MAX_HAND_OVER_ATTEMPTS) {
        throw new SandboxException(
            "sandbox_dead",
            "the " + attempt + " sandboxes taken for this lease were terminated before hand-over",
            true);
      }
      LocalSandbox next = takeWarm(t);
      sandbox = next != null ? next : start.apply(t);
    }
  }
}
