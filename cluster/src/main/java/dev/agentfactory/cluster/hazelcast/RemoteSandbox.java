package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.IExecutorService;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A sandbox borrowed from a peer: every command is forwarded to the host's {@code af.loans}
 * executor with this lease's fencing token, so a stale holder is refused by the host itself. The
 * host runs the command and sends its output back when it ends (not streamed as it is produced).
 */
final class RemoteSandbox implements Sandbox {

  private final String id;
  private final String template;
  private final Lease lease;
  private final Member host;
  private final IExecutorService executor;
  private volatile String lostReason;

  RemoteSandbox(String id, String template, Lease lease, Member host, IExecutorService executor) {
    this.id = id;
    this.template = template;
    this.lease = lease;
    this.host = host;
    this.executor = executor;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String template() {
    return template;
  }

  Member host() {
    return host;
  }

  @Override
  public CompletionStage<ExecResult> exec(ExecRequest request, OutputListener listener) {
    String lost = lostReason;
    if (lost != null) {
      return CompletableFuture.failedFuture(
          new SandboxException("sandbox_lost", "sandbox " + id + " is lost: " + lost, false));
    }
    return call(new PoolTasks.Exec(
            lease.sandboxId(),
            lease.fencingToken(),
            request.argv(),
            request.env(),
            request.timeout(),
            request.maxOutputBytes()))
        .thenApply(
            reply -> {
              if (reply.stdout().length > 0) {
                listener.onOutput(OutputListener.Stream.STDOUT, reply.stdout());
              }
              if (reply.stderr().length > 0) {
                listener.onOutput(OutputListener.Stream.STDERR, reply.stderr());
              }
              return new ExecResult(
                  ExecResult.Status.valueOf(reply.status()),
                  reply.exitCode(),
                  Duration.ofNanos(reply.durationNanos()),
                  reply.truncated());
            });
  }

  @Override
  public boolean isAlive() {
    return lostReason == null;
  }

  /** The lease ended without a return: every later call fails with {@code sandbox_lost}. */
  void lost(String reason) {
    lostReason = reason;
  }

  /** Gives the sandbox back to its host, which terminates it; fire and forget. */
  @Override
  public void close() {
    if (lostReason != null) {
      return;
    }
    lostReason = "returned";
    call(new PoolTasks.Return(lease.sandboxId(), lease.fencingToken()));
  }

  /** Completes once the host has terminated the sandbox, or at once if it is gone already. */
  CompletionStage<Boolean> giveBack() {
    if (lostReason != null) {
      return CompletableFuture.completedFuture(false);
    }
    lostReason = "returned";
    return call(new PoolTasks.Return(lease.sandboxId(), lease.fencingToken()))
        .exceptionally(e -> false);
  }

  private <T> CompletableFuture<T> call(Callable<T> task) {
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      executor.submitToMember(
          task,
          host,
          new ExecutionCallback<T>() {
            @Override
            public void onResponse(T response) {
              result.complete(response);
            }

            @Override
            public void onFailure(Throwable t) {
              result.completeExceptionally(Failures.translate(t, "call to sandbox host " + host));
            }
          });
    } catch (RuntimeException e) {
      result.completeExceptionally(Failures.translate(e, "call to sandbox host " + host));
    }
    return result;
  }
}
