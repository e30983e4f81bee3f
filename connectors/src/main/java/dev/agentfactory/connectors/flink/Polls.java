package dev.agentfactory.connectors.flink;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The pace of {@link FlinkRestClient}'s polls of Flink: one every {@link #INTERVAL}. */
final class Polls {

  static final Duration INTERVAL = Duration.ofMillis(200);

  /**
   * Starts each next poll (it only sends a request), on one daemon thread that ends when idle. The
   * JDK's default for delayed stages runs them on the common pool, which on a host with 2 CPUs or
   * fewer is a new thread per task, named only {@code Thread-N} in the log.
   */
  private static final Executor POLLS =
      new ThreadPoolExecutor(
          0,
          1,
          30,
          TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(),
          task -> {
            Thread thread = new Thread(task, "af-flink-rest-poll");
            thread.setDaemon(true);
            return thread;
          });

  private Polls() {}

  /** {@code next}, started {@link #INTERVAL} from now on a {@link #POLLS} thread. */
  static <T> CompletionStage<T> afterInterval(Supplier<CompletionStage<T>> next) {
    return CompletableFuture.supplyAsync(
            () -> null,
            CompletableFuture.delayedExecutor(INTERVAL.toMillis(), TimeUnit.MILLISECONDS, POLLS))
        .thenCompose(ignored -> next.get());
  }
}
