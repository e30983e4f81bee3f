package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.core.OperationTimeoutException;
import com.hazelcast.spi.exception.RetryableException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import dev.agentfactory.cluster.ClusterException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Keeps Hazelcast exception types inside this package: every failure a caller sees is a {@link
 * ClusterException}, already marked retriable or not.
 *
 * <p>It is also the one bridge from Hazelcast futures to plain {@link CompletableFuture}s: each
 * call's result crosses to {@link CallbackPool#executor()} once, and everything chained after it
 * runs there without further hand-offs (chaining on the Hazelcast future itself costs one hand-off
 * per stage). Dependent actions must stay short and non-blocking (the contract {@link
 * dev.agentfactory.cluster.lease.LeaseRegistry} states).
 */
final class Failures {

  private Failures() {}

  /**
   * Runs {@code body}, which starts one Hazelcast call, and bridges its future: failures, thrown
   * (e.g. this member already shut down) or in the returned stage, are translated.
   */
  static <T> CompletableFuture<T> guarded(
      String operation, Supplier<? extends CompletionStage<T>> body) {
    CompletionStage<T> stage;
    try {
      stage = body.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(translate(e, operation));
    }
    return bridge(stage, operation);
  }

  /** Like {@link #guarded} for the {@link Future} of an {@code IExecutorService} submission. */
  static <T> CompletableFuture<T> guardedTask(String operation, Supplier<Future<T>> body) {
    return guarded(operation, () -> stageOf(body.get()));
  }

  /**
   * Bridges the {@link Future} of an {@code IExecutorService} submission as it is: failures
   * untranslated, for callers that tell the task's own exceptions from the cluster's.
   */
  static <T> CompletableFuture<T> task(Future<T> future) {
    CompletableFuture<T> result = new CompletableFuture<>();
    stageOf(future)
        .whenCompleteAsync(
            (value, failure) -> {
              if (failure == null) {
                result.complete(value);
              } else {
                result.completeExceptionally(failure);
              }
            },
            CallbackPool.executor());
    return result;
  }

  private static <T> CompletionStage<T> stageOf(Future<T> future) {
    if (future instanceof CompletionStage<?>) {
      @SuppressWarnings("unchecked")
      CompletionStage<T> stage = (CompletionStage<T>) future;
      return stage;
    }
    throw new IllegalStateException(
        "Hazelcast returned a " + future.getClass().getName() + ", not a CompletionStage");
  }

  private static <T> CompletableFuture<T> bridge(CompletionStage<T> stage, String operation) {
    CompletableFuture<T> result = new CompletableFuture<>();
    stage.whenCompleteAsync(
        (value, failure) -> {
          if (failure == null) {
            result.complete(value);
          } else {
            result.completeExceptionally(translate(failure, operation));
          }
        },
        CallbackPool.executor());
    return result;
  }

  static ClusterException translate(Throwable failure, String operation) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof ClusterException known) {
      return known;
    }
    // retriable: the cluster is busy, migrating, or below quorum; anything else (this member
    // shutting down, a bug) is not worth retrying on this node
    boolean retriable =
        cause instanceof RetryableException
            || cause instanceof OperationTimeoutException
            || cause instanceof SplitBrainProtectionException;
    return new ClusterException(
        retriable ? "cluster.unavailable" : "cluster.failed",
        operation + " failed: " + cause,
        retriable,
        cause);
  }
}
