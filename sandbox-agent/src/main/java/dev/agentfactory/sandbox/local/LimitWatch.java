package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxEvent;
import dev.agentfactory.sandbox.SandboxState;
import dev.agentfactory.sandbox.cgroup.LimitCounters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reports the limits a {@link LocalSandbox} ran into as events: OOM kills and rejected forks from
 * its cgroup's counters, a full workspace from its free space. Guarded by the sandbox's lock: every
 * method is called holding it, so the events are ordered with the sandbox's transitions.
 */
final class LimitWatch {

  /** Below this much free workspace space a failed command is reported as {@code disk_full}. */
  private static final long DISK_FULL_BYTES = 64 << 10;

  private final LocalSandbox sandbox;
  private final LocalSandboxPool.Hooks pool;
  private LimitCounters seen = LimitCounters.NONE;
  private boolean diskFullReported;

  LimitWatch(LocalSandbox sandbox, LocalSandboxPool.Hooks pool) {
    this.sandbox = sandbox;
    this.pool = pool;
  }

  /** Whether {@code inc}'s cgroup counted an OOM kill since the last {@link #check}. */
  boolean oomKilledSinceLastCheck(Incarnation inc) {
    return inc.cgroup() != null && inc.cgroup().counters().oomKills() > seen.oomKills();
  }

  /**
   * Called before the caller sees a command's result, with the sandbox's current state. The cgroup
   * counters are read after every command (two small reads; a fork bomb's leader may well exit 0),
   * the workspace's free space only after a failed one.
   */
  void check(Incarnation inc, boolean failed, SandboxState state) {
    if (inc.cgroup() != null) {
      LimitCounters now = inc.cgroup().counters();
      if (now.oomKills() > seen.oomKills()) {
        pool.emit(sandbox, state, SandboxEvent.OOM);
      }
      if (now.pidsRejections() > seen.pidsRejections()) {
        pool.emit(sandbox, state, SandboxEvent.PIDS_EXHAUSTED);
      }
      seen = now;
    }
    if (inc.mounted() && (failed || diskFullReported)) {
      boolean full = usableBytes(inc.workspace()) < DISK_FULL_BYTES;
      if (full && !diskFullReported) {
        pool.emit(sandbox, state, SandboxEvent.DISK_FULL);
      }
      diskFullReported = full;
    }
  }

  private static long usableBytes(Path dir) {
    try {
      return Files.getFileStore(dir).getUsableSpace();
    } catch (IOException e) {
      return Long.MAX_VALUE;
    }
  }
}
