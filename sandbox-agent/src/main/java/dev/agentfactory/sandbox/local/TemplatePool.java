package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.template.TemplateSpec;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/** The warm set and counters of one template of a {@link LocalSandboxPool}. */
final class TemplatePool {
  final String name;
  final TemplateSpec spec;
  final String unavailable;
  volatile int target;
  final ConcurrentLinkedDeque<LocalSandbox> ready = new ConcurrentLinkedDeque<>();
  final AtomicInteger leased = new AtomicInteger();
  int starting; // guarded by this
  boolean backingOff; // guarded by this
  volatile boolean refillWanted; // a lease took from the warm set since the refiller looked

  TemplatePool(TemplateSpec spec, int target, String unavailable) {
    this.name = spec.name();
    this.spec = spec;
    this.target = target;
    this.unavailable = unavailable;
  }

  /**
   * Marks the sandbox leased and counts it; false when it was terminated first. A close racing this
   * decrements the count only if it sees the sandbox leased, so the count stays right.
   */
  boolean handOver(LocalSandbox sandbox) {
    if (!sandbox.markLeased()) {
      return false;
    }
    leased.incrementAndGet();
    return true;
  }

  /** Takes a closed sandbox of this template out of the counts. */
  void closed(LocalSandbox sandbox) {
    if (sandbox.leased()) {
      leased.decrementAndGet();
    } else {
      ready.remove(sandbox);
    }
  }
}
