package dev.agentfactory.sandbox;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** One isolated, running sandbox held by a single lease. */
public interface Sandbox extends AutoCloseable {

  /** How many bytes {@link #readFile(String)} returns at most: 16 MiB. */
  long DEFAULT_MAX_READ_BYTES = 16L << 20;

  /** A node-unique id, stable for the life of the sandbox. */
  String id();

  /** The template this sandbox was started from. */
  String template();

  /**
   * Runs a command inside the sandbox, streaming its output to {@code listener} as it arrives.
   * Commands run one at a time; the stage completes when the command has ended (exited, timed out
   * or been killed).
   *
   * <p>A caller that no longer wants the command (its client went away) cancels the stage: {@code
   * stage.toCompletableFuture().cancel(true)}. The local sandbox then kills the command's process
   * group, or never starts a command still queued behind another; the sandbox stays usable.
   */
  CompletionStage<ExecResult> exec(ExecRequest request, OutputListener listener);

  /** Whether the sandbox is still running and usable. */
  boolean isAlive();

  /** Where the sandbox is in its lifecycle. */
  default SandboxState state() {
    return isAlive() ? SandboxState.LEASED : SandboxState.TERMINATED;
  }

  /**
   * Completes once the sandbox has ended, with why: {@code closed} when its holder closed it,
   * otherwise what ended it under its holder, e.g. {@code max_lifetime}, {@code idle_timeout},
   * {@code oom}, {@code died} (the reasons of the {@code TERMINATED} {@link SandboxEvent}), or for
   * a borrowed sandbox what its host or the cluster said. Never fails. A holder listens to it to
   * learn of the end while it is not using the sandbox; it completes on whatever thread ended the
   * sandbox (a pool, sweeper or cluster thread): hop to your own before touching your state.
   * Completing the returned stage does not affect the sandbox.
   *
   * <p>By default it never completes: such a sandbox is found ended only by {@link #isAlive()} or a
   * failing call.
   *
   * <pre>{@code
   * sandbox.whenTerminated().thenAccept(reason -> context.runOnContext(v -> dropSandbox(reason)));
   * }</pre>
   */
  default CompletionStage<String> whenTerminated() {
    return new CompletableFuture<>();
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
   * Workspace file operations already running are finished first (the saved workspace has what they
   * wrote); those called after this wait for its outcome: {@code sandbox_hibernated} once
   * hibernated, or they run as usual if hibernation failed.
   */
  default CompletionStage<Void> hibernate() {
    return CompletableFuture.failedFuture(
        SandboxException.unsupported("hibernate", "no workspace snapshot"));
  }

  /**
   * Reads a file of the workspace, at most {@link #DEFAULT_MAX_READ_BYTES}.
   *
   * @see #readFile(String, long)
   */
  default CompletionStage<byte[]> readFile(String path) {
    return readFile(path, DEFAULT_MAX_READ_BYTES);
  }

  /**
   * Reads a regular file of the workspace. {@code path} is relative to the workspace root, or
   * absolute under {@code /workspace} (where the sandbox sees its workspace). Paths that leave the
   * workspace ({@code ..}, other absolute paths) or pass through a symbolic link are rejected:
   * links are never followed, whatever they point to. Fails with a {@link SandboxException} whose
   * message names the path; codes: {@code invalid_path}, {@code path_outside_workspace}, {@code
   * path_symlink}, {@code file_not_found}, {@code not_a_file}, {@code not_a_directory}, {@code
   * file_too_large} (more than {@code maxBytes}), {@code sandbox_hibernated}, {@code
   * sandbox_not_running}, {@code file_timeout}, {@code io_error}. Works while paused.
   *
   * <pre>{@code
   * byte[] out = sandbox.readFile("results/out.json").toCompletableFuture().join();
   * }</pre>
   */
  default CompletionStage<byte[]> readFile(String path, long maxBytes) {
    return CompletableFuture.failedFuture(
        SandboxException.unsupported("readFile", "no workspace file access"));
  }

  /**
   * Writes (creates or replaces) a regular file of the workspace, creating missing parent
   * directories. The file belongs to the sandbox's user, and readers never see it half written (it
   * is written aside and renamed into place). Paths are checked as for {@link #readFile}; writing
   * beyond the workspace's disk cap fails with {@code disk_full}, and nothing is left behind.
   */
  default CompletionStage<Void> writeFile(String path, byte[] content) {
    return CompletableFuture.failedFuture(
        SandboxException.unsupported("writeFile", "no workspace file access"));
  }

  /**
   * Lists one directory of the workspace (not recursive), sorted by name. {@code ""}, {@code .} and
   * {@code /workspace} name the workspace root. Symbolic links are listed as {@link
   * FileEntry.Type#SYMLINK}, not followed. A directory of more than 10,000 entries fails with
   * {@code directory_too_large}.
   */
  default CompletionStage<List<FileEntry>> listFiles(String path) {
    return CompletableFuture.failedFuture(
        SandboxException.unsupported("listFiles", "no workspace file access"));
  }

  /** Terminates the sandbox: no process, mount or workspace survives this call. */
  @Override
  void close();
}
