package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.template.TemplateSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link LocalSandbox}'s workspace file operations, run on the pool's file workers against the
 * current incarnation's workspace, and the fence between them and hibernation.
 *
 * <p>A file operation is admitted (counted in {@link #filesInFlight} until its caller has an
 * answer) only while no hibernation runs; hibernation waits until the admitted ones have answered
 * before it archives, and those that arrive meanwhile wait for its outcome ({@link #filesFence}).
 */
final class SandboxFiles {

  // the sandbox's own logger: its log lines read as they did before this class was split off
  private static final Logger LOG = LoggerFactory.getLogger(LocalSandbox.class);

  /** How long past the file timeout a hibernation waits for file operations to answer. */
  private static final Duration FILES_GRACE = Duration.ofSeconds(5);

  private final String id;
  private final TemplateSpec template;
  private final SandboxStatus status;
  private final SandboxLauncher launcher;
  private final LocalSandboxPool.Hooks pool;
  private final Object fileLock = new Object();

  private int filesInFlight; // guarded by fileLock
  private int hibernations; // guarded by fileLock; hibernate() calls not yet finished
  // guarded by fileLock; non-null while hibernations > 0
  private CompletableFuture<Void> filesFence;

  SandboxFiles(
      String id,
      TemplateSpec template,
      SandboxStatus status,
      SandboxLauncher launcher,
      LocalSandboxPool.Hooks pool) {
    this.id = id;
    this.template = template;
    this.status = status;
    this.launcher = launcher;
    this.pool = pool;
  }

  CompletionStage<byte[]> read(String path, long maxBytes) {
    return files(path, false, (files, p) -> files.read(p, maxBytes));
  }

  CompletionStage<Void> write(String path, byte[] content) {
    if (content == null) {
      return CompletableFuture.failedFuture(
          new SandboxException("invalid_request", "content of '" + path + "' is missing", false));
    }
    return files(
        path,
        false,
        (files, p) -> {
          files.write(p, content);
          return null;
        });
  }

  CompletionStage<List<FileEntry>> list(String path) {
    return files(path, true, WorkspaceFiles::list);
  }

  /**
   * Runs a file operation on the pool's file workers against the current incarnation's workspace.
   * Works while paused (nothing inside can race us then); a hibernated workspace is an archive.
   */
  private <T> CompletionStage<T> files(
      String path, boolean rootAllowed, BiFunction<WorkspaceFiles, WorkspacePath, T> op) {
    WorkspacePath parsed;
    Incarnation inc;
    CompletableFuture<Void> fence;
    try {
      parsed = WorkspacePath.parse(path, rootAllowed);
      synchronized (fileLock) {
        fence = filesFence;
        if (fence == null) {
          inc = status.filesIncarnation();
          filesInFlight++;
        } else {
          inc = null;
        }
      }
    } catch (SandboxException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (fence != null) {
      // A hibernation is running: what it leaves decides (sandbox_hibernated once it archived the
      // workspace; the operation runs as usual if it failed). The fence is lowered before it is
      // completed, so this runs again at most once per hibernation
      return fence.thenCompose(ignored -> files(path, rootAllowed, op));
    }
    CompletableFuture<T> answer;
    try {
      answer = admitted(path, parsed, inc, op);
    } catch (RuntimeException e) {
      fileDone();
      throw e;
    }
    answer.whenComplete((value, error) -> fileDone());
    return answer;
  }

  /** Runs an admitted file operation; its caller always gets an answer within the file timeout. */
  private <T> CompletableFuture<T> admitted(
      String path,
      WorkspacePath parsed,
      Incarnation inc,
      BiFunction<WorkspaceFiles, WorkspacePath, T> op) {
    WorkspaceFiles files =
        new WorkspaceFiles(
            inc.workspace(), inc.uid(), launcher.uidPerSandbox(), template.limits().diskBytes());
    try {
      Duration timeout = pool.fileTimeout();
      return CompletableFuture.supplyAsync(() -> op.apply(files, parsed), pool.fileWorkers())
          // The caller gets an answer even when a race the sandbox won (a FIFO swapped in between
          // a check and an open, see WorkspaceFiles) blocks the worker thread in open() for good.
          // That bound is also what a hibernation waits for at most (awaitFilesAnswered)
          .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .handle(
              (value, error) -> {
                if (error == null) {
                  return value;
                }
                Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                if (status.current() != inc) {
                  // hibernated or closed while we worked: that, not the I/O error, is the news
                  throw status.stateError();
                }
                if (cause instanceof TimeoutException) {
                  throw new SandboxException(
                      "file_timeout",
                      "file access to '" + path + "' took longer than " + timeout,
                      false,
                      cause);
                }
                throw cause instanceof SandboxException se
                    ? se
                    : new SandboxException(
                        "io_error", "file access to '" + path + "' failed: " + cause, true, cause);
              });
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          new SandboxException("pool_closed", "the sandbox pool is closed", false, e));
    }
  }

  private void fileDone() {
    synchronized (fileLock) {
      if (--filesInFlight == 0) {
        fileLock.notifyAll();
      }
    }
  }

  /**
   * Raises the file fence for one hibernation: operations from now on wait for its outcome. Called
   * while holding the sandbox's lock, after the state check.
   */
  void raiseFence() {
    synchronized (fileLock) {
      if (hibernations++ == 0) {
        filesFence = new CompletableFuture<>();
      }
    }
  }

  /** Lowers the fence once the last running hibernation ended; the waiting operations go on. */
  void lowerFence() {
    CompletableFuture<Void> release = null;
    synchronized (fileLock) {
      if (--hibernations == 0) {
        release = filesFence;
        filesFence = null;
      }
    }
    if (release != null) {
      release.complete(null);
    }
  }

  /**
   * Waits until every file operation admitted before the fence went up has answered its caller, so
   * none reports success for a change the archive misses. Bounded: each answers within the file
   * timeout ({@code file_timeout} at worst, for a worker a FIFO holds in open()). A worker still
   * running after its answer can leave no more than a staging directory, which the archive skips.
   */
  void awaitAnswered() {
    long deadline = System.nanoTime() + pool.fileTimeout().plus(FILES_GRACE).toNanos();
    synchronized (fileLock) {
      while (filesInFlight > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          LOG.warn(
              "sandbox {}: hibernating with {} file operation(s) still unanswered",
              id,
              filesInFlight);
          return;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(fileLock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SandboxException(
              "invalid_state", "interrupted while hibernating sandbox " + id, false, e);
        }
      }
    }
  }
}
