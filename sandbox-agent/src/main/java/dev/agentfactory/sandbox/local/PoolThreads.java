package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** The threads of a {@link LocalSandboxPool}, each kind named {@code sandbox-pool-*}. */
final class PoolThreads {

  /** Sandbox starts, warm and on demand, and the lease hand-overs that wait for them. */
  final ExecutorService starters;

  /** Hibernate, wake and terminations. */
  final ExecutorService lifecycle;

  /** Command timeouts, the sweep and refill back-offs. */
  final ScheduledExecutorService timer;

  /** The one thread every sandbox is forked from. */
  final ExecutorService spawner;

  /** Workspace file access. */
  final ExecutorService fileWorkers;

  PoolThreads(int maxConcurrentStarts) {
    // +1: on-demand starts always find a thread even while the warm refill uses its share
    this.starters = Executors.newFixedThreadPool(maxConcurrentStarts + 1, named("sandbox-pool-"));
    // Hibernate, wake and terminations: each can take seconds (tar, kill and reap), so they get
    // their own threads and never hold up a lease's on-demand start on the starters above
    this.lifecycle = Executors.newCachedThreadPool(named("sandbox-pool-lifecycle-"));
    ScheduledThreadPoolExecutor timeouts =
        new ScheduledThreadPoolExecutor(1, named("sandbox-pool-timer-"));
    // Almost every command timeout is cancelled; without this they pile up until they expire
    timeouts.setRemoveOnCancelPolicy(true);
    this.timer = timeouts;
    // bwrap --die-with-parent (PR_SET_PDEATHSIG) fires when the *thread* that forked it exits, not
    // the JVM. So every sandbox is forked from this one thread, which lives as long as the pool;
    // forking from the starter threads would kill a sandbox whenever its starter thread ended.
    this.spawner = Executors.newSingleThreadExecutor(named("sandbox-pool-spawner-"));
    // Workspace file access blocks on the host file system. Unbounded on purpose: a hostile
    // sandbox that wins the race of swapping a checked file for a FIFO stalls one thread in open(),
    // and must not stall every other sandbox's file access with it (see WorkspaceFiles)
    this.fileWorkers = Executors.newCachedThreadPool(named("sandbox-pool-files-"));
  }

  /** Runs {@code task} on a starter thread; {@code pool_closed} once the pool is closing. */
  <T> CompletionStage<T> onStarter(Supplier<T> task) {
    try {
      return CompletableFuture.supplyAsync(task, starters);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          new SandboxException("pool_closed", "the sandbox pool is closed", false, e));
    }
  }

  /** Runs {@code task} on a lifecycle thread, or not at all once the pool is closing. */
  void background(Runnable task) {
    try {
      lifecycle.execute(task);
    } catch (RejectedExecutionException e) {
      // the pool is closing and closes every sandbox itself
    }
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread thread = new Thread(r, prefix + n.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
