package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.core.OperationTimeoutException;
import com.hazelcast.spi.exception.RetryableException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import dev.agentfactory.cluster.ClusterException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Keeps Hazelcast exception types inside this package: every failure a caller sees is a {@link
 * ClusterException}, already marked retriable or not.
 */
final class Failures {

  private Failures() {}

  /**
   * Runs {@code body} and translates its failures, thrown (e.g. this member already shut down) or
   * in the returned stage.
   */
  static <T> CompletionStage<T> guarded(String operation, Supplier<CompletionStage<T>> body) {
    CompletionStage<T> stage;
    try {
      stage = body.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedStage(translate(e, operation));
    }
    return stage.handle(
        (value, failure) -> {
          if (failure == null) {
            return value;
          }
          throw translate(failure, operation);
        });
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
