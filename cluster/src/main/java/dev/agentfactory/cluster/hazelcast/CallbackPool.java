package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.internal.util.ConcurrencyUtil;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives Hazelcast a real thread pool for its future callbacks on small hosts.
 *
 * <p>Hazelcast completes the futures of its async calls ({@code IMap.submitToKey}, {@code
 * getAsync}, executor submissions) through a default async executor: {@code
 * ForkJoinPool.commonPool()} when that pool has more than one thread, otherwise <b>a new thread per
 * callback</b>. On a host with two CPUs the common pool has one thread, so every async map call
 * started a thread, even with no callback of ours: {@code MapProxyImpl.submitToKey} wraps its
 * result in a {@code DelegatingCompletableFuture} that registers one itself. At 200 leases a second
 * that was about 5,000 thread starts a second, and the cluster-wide lease record fell seconds
 * behind (benchmarks/results/cluster.md, runs of 2026-11-25).
 *
 * <p>When the common pool is that small, this installs a {@link ForkJoinPool} of two daemon threads
 * ({@code af-hz-callback-N}) instead: what Hazelcast uses on any larger host. The setting is
 * JVM-wide, like Hazelcast's own default; a JVM started with {@code
 * -Djava.util.concurrent.ForkJoinPool.common.parallelism=2} or more does not need it and is left
 * alone.
 */
final class CallbackPool {

  private static final Logger LOG = LoggerFactory.getLogger(CallbackPool.class);
  private static final int THREADS = 2;
  private static final AtomicBoolean INSTALLED = new AtomicBoolean();
  private static final AtomicInteger THREAD_IDS = new AtomicInteger();
  private static volatile Executor pool = ForkJoinPool.commonPool();

  private CallbackPool() {}

  /**
   * Where this package runs what follows a Hazelcast call: never a Hazelcast partition or response
   * thread, which may not make remote calls ({@code IllegalThreadStateException}) and must not be
   * held up.
   */
  static Executor executor() {
    return pool;
  }

  /** Installs the pool once per JVM if Hazelcast would otherwise start a thread per callback. */
  static void installIfNeeded() {
    if (ForkJoinPool.getCommonPoolParallelism() > 1 || !INSTALLED.compareAndSet(false, true)) {
      return;
    }
    ForkJoinPool callbacks =
        new ForkJoinPool(
            THREADS,
            fork -> {
              ForkJoinWorkerThread thread =
                  ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(fork);
              thread.setName("af-hz-callback-" + THREAD_IDS.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            },
            (thread, e) -> LOG.error("Hazelcast callback failed on {}", thread.getName(), e),
            true);
    try {
      // internal Hazelcast API (5.x): the only switch for this executor besides the JVM flag
      ConcurrencyUtil.setDefaultAsyncExecutor(callbacks);
      pool = callbacks;
      LOG.info(
          "common pool has {} thread(s): Hazelcast callbacks run on {} af-hz-callback threads"
              + " instead of a new thread each",
          ForkJoinPool.getCommonPoolParallelism(),
          THREADS);
    } catch (LinkageError e) {
      callbacks.shutdown();
      LOG.warn(
          "cannot give Hazelcast a callback pool ({}); start the JVM with"
              + " -Djava.util.concurrent.ForkJoinPool.common.parallelism=2",
          e.toString());
    }
  }
}
