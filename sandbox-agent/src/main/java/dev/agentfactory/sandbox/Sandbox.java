package dev.agentfactory.sandbox;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** One isolated, running sandbox held by a single lease. */
public interface Sandbox extends AutoCloseable {

  /** A node-unique id, stable for the life of the sandbox. */
  String id();

  /** The template this sandbox was started from. */
  String template();

  /**
   * Runs a command inside the sandbox, streaming its output to {@code listener} as it arrives.
   * Commands run one at a time; the stage completes when the command has ended (exited, timed out
   * or been killed).
   */
  CompletionStage<ExecResult> exec(ExecRequest request, OutputListener listener);

  /** Whether the sandbox is still running and usable. */
  boolean isAlive();

  /** Where the sandbox is in its lifecycle. */
  default SandboxState state() {
    return isAlive() ? SandboxState.LEASED : SandboxState.TERMINATED;
  }

  /**
   * Freezes every process of the sandbox in place (cgroup freezer); memory stays allocated.
   * Commands cannot run while paused. Completes when the sandbox is frozen.
   */
  default CompletionStage<Void> pause() {
    return CompletableFuture.failedFuture(
        SandboxException.unsupported("pause", "no cgroup freezer"));
  }

  /**
   * Resumes a paused sandbox (thaw), or a hibernated one: then a fresh sandbox with the same id
   * starts with the saved workspace. Process state is not restored on hosts without a usable CRIU
   * (see {@code docs/sandbox.md}); everything that ran before hibernation is gone.
   */
  default CompletionStage<Void> resume() {
    return CompletableFuture.failedFuture(SandboxException.unsupported("resume", "not pausable"));
  }

  /**
   * Freezes the sandbox, saves its workspace, and releases its processes, memory and cgroups.
   * {@link #resume()} brings it back. A running command fails with {@code sandbox_hibernated}.
   */
  default CompletionStage<Void> hibernate() {
    return CompletableFuture.failedFuture(
        SandboxException.unsupported("hibernate", "no workspace snapshot"));
  }

  /** Terminates the sandbox: no process, mount or workspace survives this call. */
  @Override
  void close();
}
