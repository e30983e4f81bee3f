package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.init.InitProtocol;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * One command of an {@link InitSession}: written by the session's reader thread only, except the
 * volatile fields.
 */
final class InitCommand {
  final ExecRequest request;
  final OutputListener listener;
  final CompletableFuture<ExecResult> result = new CompletableFuture<>();
  // Completes when init is done with the command, even if result already failed
  final CompletableFuture<Void> ended = new CompletableFuture<>();
  volatile long startNanos = System.nanoTime();
  volatile ScheduledFuture<?> timeout;
  volatile boolean timedOut;
  volatile boolean cancelled;
  long seen;
  boolean truncated;

  InitCommand(ExecRequest request, OutputListener listener) {
    this.request = request;
    this.listener = listener;
  }

  ExecResult toResult(InitProtocol.Exit exit) {
    Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
    if (timedOut) {
      return new ExecResult(ExecResult.Status.TIMEOUT, -1, took, truncated);
    } else if (exit.signaled()) {
      return new ExecResult(ExecResult.Status.KILLED, 128 + exit.code(), took, truncated);
    }
    return new ExecResult(ExecResult.Status.EXITED, exit.code(), took, truncated);
  }

  void finish(ExecResult r) {
    cancelTimeout();
    result.complete(r);
    ended.complete(null);
  }

  void fail(SandboxException e) {
    cancelTimeout();
    result.completeExceptionally(e);
    ended.complete(null);
  }

  private void cancelTimeout() {
    ScheduledFuture<?> t = timeout;
    if (t != null) {
      t.cancel(false);
    }
  }
}
