package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The hibernated workspace of a {@link LocalSandbox}: writing an incarnation's workspace into an
 * archive, releasing the archived incarnation, and the archive a wake starts from. Guarded by the
 * sandbox's lock: every method is called holding it.
 */
final class Hibernation {

  private final String id;
  private final SandboxLauncher launcher;
  private final LocalSandboxPool.Hooks pool;
  private Path archive; // the hibernated workspace; null while there is none

  Hibernation(String id, SandboxLauncher launcher, LocalSandboxPool.Hooks pool) {
    this.id = id;
    this.launcher = launcher;
    this.pool = pool;
  }

  /** The archive a wake starts from; null when not hibernated. */
  Path archive() {
    return archive;
  }

  /**
   * Archives {@code inc}'s workspace, frozen unless {@code paused} already froze it. On failure no
   * archive is left and the incarnation runs on, thawed as it was.
   */
  void archive(Incarnation inc, boolean paused) {
    if (inc.cgroup() != null && !paused) {
      // A consistent workspace: nothing writes while tar reads
      LocalSandbox.freeze(inc.cgroup());
    }
    Path target = pool.archivePath(id);
    try {
      launcher.archive(inc, target);
    } catch (RuntimeException e) {
      try {
        // a partial archive is useless and may be large: it must not stay on the host's disk
        Files.deleteIfExists(target);
      } catch (IOException cannotDelete) {
        e.addSuppressed(cannotDelete);
      }
      if (inc.cgroup() != null && !paused) {
        inc.cgroup().thaw();
      }
      throw e;
    }
    archive = target;
  }

  /** Ends the archived incarnation; a command still running in it fails with this news. */
  void release(Incarnation inc) {
    if (inc.cgroup() != null) {
      // cgroup v1 delivers SIGKILL to frozen tasks only once thawed
      inc.cgroup().thaw();
    }
    launcher.destroy(
        inc,
        new SandboxException(
            "sandbox_hibernated", "sandbox " + id + " was hibernated mid-command", false));
  }

  /** Deletes the archive, if any: after a wake, or when the sandbox is terminated. */
  void deleteArchive() {
    if (archive != null) {
      SandboxLauncher.deleteTree(archive);
      archive = null;
    }
  }
}
