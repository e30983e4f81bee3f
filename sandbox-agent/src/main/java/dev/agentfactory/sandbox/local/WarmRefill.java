package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxException;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the warm sets of a {@link LocalSandboxPool} at their targets: starts run on the starter
 * threads, at most {@link SandboxConfig#maxConcurrentStarts()} at a time, and back off after a
 * failed start so a broken host does not spin.
 */
final class WarmRefill {

  // the pool's logger: its log lines read as they did before this class was split off
  private static final Logger LOG = LoggerFactory.getLogger(LocalSandboxPool.class);
  private static final Duration REFILL_BACKOFF = Duration.ofSeconds(1);

  /**
   * How often the refiller looks for templates leased from since its last look while leases come
   * in; see {@link #refillLoop}.
   */
  static final Duration REFILL_DELAY = Duration.ofMillis(5);

  /** How rarely it looks when no lease came for a while: the longest a refill waits to begin. */
  static final Duration REFILL_IDLE_DELAY = Duration.ofMillis(40);

  private final Collection<TemplatePool> templates;
  private final int maxConcurrentStarts;
  private final PoolThreads threads;
  private final Function<TemplatePool, LocalSandbox> start;
  private final BooleanSupplier closed;
  private final AtomicInteger startsInFlight = new AtomicInteger();
  private final Thread refiller;

  /**
   * @param start starts one sandbox of a template and waits until it is ready
   * @param closed whether the pool is closed
   */
  WarmRefill(
      Collection<TemplatePool> templates,
      int maxConcurrentStarts,
      PoolThreads threads,
      Function<TemplatePool, LocalSandbox> start,
      BooleanSupplier closed) {
    this.templates = templates;
    this.maxConcurrentStarts = maxConcurrentStarts;
    this.threads = threads;
    this.start = start;
    this.closed = closed;
    this.refiller = new Thread(this::refillLoop, "sandbox-pool-refiller");
    refiller.setDaemon(true);
  }

  /** Starts the refiller thread and the first refill of every template. */
  void start() {
    refiller.start();
    refillAll();
  }

  /** Lets the refiller notice that the pool closed. */
  void stop() {
    LockSupport.unpark(refiller);
  }

  /**
   * Asks for a refill of {@code t} without doing anything on the lease caller's thread but one
   * volatile write: no lock, no allocation, no thread to wake (waking the timer took its lock and a
   * futex call, and the woken thread could preempt the caller on a busy host). The refiller picks
   * it up on its next look, see {@link #refillLoop}.
   */
  static void refillSoon(TemplatePool t) {
    t.refillWanted = true;
  }

  /**
   * Looks for templates leased from every {@link #REFILL_DELAY} while leases come in, backing off
   * to {@link #REFILL_IDLE_DELAY} when none do: a burst of leases is handed over before the
   * replacements start, the replacements of the whole burst are counted once, and an idle pool
   * costs 25 wake-ups a second.
   */
  private void refillLoop() {
    long delay = REFILL_DELAY.toNanos();
    while (!closed.getAsBoolean()) {
      LockSupport.parkNanos(delay);
      boolean wanted = false;
      for (TemplatePool t : templates) {
        if (t.refillWanted) {
          t.refillWanted = false;
          wanted = true;
          try {
            refill(t);
          } catch (RuntimeException e) {
            // never let one failure end the refiller: the warm sets would silently drain
            LOG.warn("refill of '{}' failed", t.name, e);
          }
        }
      }
      delay = wanted ? REFILL_DELAY.toNanos() : Math.min(delay * 2, REFILL_IDLE_DELAY.toNanos());
    }
  }

  private void refillAll() {
    templates.forEach(this::refill);
  }

  void refill(TemplatePool t) {
    synchronized (t) {
      while (!closed.getAsBoolean()
          && !t.backingOff
          && t.unavailable == null
          && t.ready.size() + t.starting < t.target
          && startsInFlight.get() < maxConcurrentStarts) {
        t.starting++;
        startsInFlight.incrementAndGet();
        try {
          threads.starters.execute(() -> warmOne(t));
        } catch (RejectedExecutionException e) {
          t.starting--;
          startsInFlight.decrementAndGet();
          return;
        }
      }
    }
  }

  private void warmOne(TemplatePool t) {
    boolean started = false;
    try {
      LocalSandbox sandbox = start.apply(t);
      // The target may have dropped while this one started (a drain, a re-split): a sandbox
      // above the target goes at once instead of sitting warm until the next retarget
      boolean surplus;
      synchronized (t) {
        surplus = t.ready.size() >= t.target;
        if (!surplus) {
          t.ready.add(sandbox);
        }
      }
      if (surplus) {
        threads.background(() -> sandbox.closeWith("retargeted"));
      } else {
        started = true;
      }
    } catch (SandboxException e) {
      // The one place that decides to retry a warm start: after a pause, so a host without
      // bwrap or out of uids logs once a second instead of spinning
      if (!closed.getAsBoolean()) {
        LOG.warn("warm start of a '{}' sandbox failed; retrying in {}", t.name, REFILL_BACKOFF, e);
        synchronized (t) {
          t.backingOff = true;
        }
        threads.timer.schedule(
            () -> {
              synchronized (t) {
                t.backingOff = false;
              }
              refill(t);
            },
            REFILL_BACKOFF.toMillis(),
            TimeUnit.MILLISECONDS);
      }
    } finally {
      synchronized (t) {
        t.starting--;
      }
      startsInFlight.decrementAndGet();
    }
    if (started) {
      refillAll();
    }
  }
}
