package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.core.OperationTimeoutException;
import com.hazelcast.spi.exception.RetryableException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import dev.agentfactory.cluster.ClusterException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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

  /** The code of {@link #peerTimeout}. */
  static final String PEER_TIMEOUT = "cluster.peer_timeout";

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

  /**
   * {@code call} with a bound: if it has not completed within {@code limit}, the result fails with
   * {@link #peerTimeout} (on {@link CallbackPool#executor()}). The call itself goes on; a value it
   * yields after that goes to {@code late} instead (null: dropped), so a caller can undo what the
   * peer did for a call it no longer waits for.
   *
   * @param node the peer's node id, named in the error
   * @param what the call, named in the error (e.g. {@code "a borrow"})
   */
  static <T> CompletableFuture<T> within(
      CompletableFuture<T> call,
      Duration limit,
      String node,
      String what,
      Consumer<? super T> late) {
    CompletableFuture<T> result = new CompletableFuture<>();
    CompletableFuture<Void> timer = new CompletableFuture<>();
    timer
        .orTimeout(limit.toNanos(), TimeUnit.NANOSECONDS)
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                CallbackPool.executor()
                    .execute(() -> result.completeExceptionally(peerTimeout(node, what, limit)));
              }
            });
    call.whenComplete(
        (value, failure) -> {
          timer.complete(null); // cancels the timeout
          if (failure != null) {
            result.completeExceptionally(failure);
          } else if (!result.complete(value) && late != null) {
            late.accept(value);
          }
        });
    return result;
  }

  /**
   * Node {@code node} took longer than {@code limit} to answer {@code what}: it is alive (a dead
   * one fails the call at once) but its {@code af.loans.control} threads are busy or stuck.
   * Retriable: the call may succeed once they are free.
   */
  static ClusterException peerTimeout(String node, String what, Duration limit) {
    return new ClusterException(
        PEER_TIMEOUT,
        "node "
            + node
            + " did not answer "
            + what
            + " within "
            + limit.toMillis()
            + " ms: its "
            + HazelcastConfigs.CONTROL_EXECUTOR
            + " threads are busy or stuck",
        true);
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

  /** The failure itself, not the wrappers a future or a chain of stages put around it. */
  static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /**
   * The {@link ClusterException} a caller sees of {@code failure}: {@code <operation> failed: } and
   * the problem in words, with whether a retry can help. The Hazelcast exception stays the cause,
   * for the log's stack trace, and never becomes part of the message: its class name and wording
   * mean nothing to the model, a client or an operator reading an error. An unexpected failure of
   * this project's code (or the JDK's) keeps its message, without its class name: it is the only
   * account of what went wrong.
   *
   * @param operation what failed, naming its sandbox, lease, tenant or node (e.g. {@code "renew of
   *     lease l-1"})
   */
  static ClusterException translate(Throwable failure, String operation) {
    Throwable cause = unwrap(failure);
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
        operation + " failed: " + problem(cause),
        retriable,
        cause);
  }

  /** What {@code cause} means to a caller, and whether trying again can help. */
  private static String problem(Throwable cause) {
    if (cause instanceof SplitBrainProtectionException) {
      return "fewer cluster members are present than the lease quorum needs;"
          + " it may succeed once they are back";
    }
    if (cause instanceof OperationTimeoutException) {
      return "the cluster did not answer in time; retrying may succeed";
    }
    if (cause instanceof MemberLeftException || cause instanceof TargetNotMemberException) {
      return "the cluster member it went to left; retrying may succeed";
    }
    if (cause instanceof RetryableException) {
      return "the cluster is moving data between its members; retrying may succeed";
    }
    if (cause instanceof HazelcastInstanceNotActiveException) {
      return "this node is leaving the cluster; retry on another node";
    }
    String says = cause.getMessage();
    if (cause.getClass().getName().startsWith("com.hazelcast.") || says == null || says.isBlank()) {
      return "an unexpected error in the cluster layer; retrying will not help";
    }
    // our own code's (or the JDK's) words are the only account of what went wrong
    return "an unexpected error in the cluster layer (" + says + "); retrying will not help";
  }
}
