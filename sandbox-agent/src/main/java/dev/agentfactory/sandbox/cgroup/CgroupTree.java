package dev.agentfactory.sandbox.cgroup;

import dev.agentfactory.sandbox.SandboxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The part of the host's cgroup hierarchy one pool owns: a directory {@code af-<pool>} below the
 * agent's own cgroup, holding one child per sandbox. {@link #detect} picks v2 when its controllers
 * are available, else v1.
 */
public interface CgroupTree extends AutoCloseable {

  /** {@code v1} or {@code v2}. */
  String version();

  /** Creates the sandbox's cgroup with its limits applied; nothing runs in it yet. */
  SandboxCgroup create(String sandboxId, ResourceLimits limits);

  /** Removes the pool's directories; every sandbox cgroup must be destroyed first. */
  @Override
  void close();

  /**
   * Finds a writable cgroup hierarchy and creates the pool's directory in it, after removing one
   * left by a previous run of the same pool.
   *
   * @param root where cgroup file systems are mounted, normally {@code /sys/fs/cgroup}
   * @param poolName unique per pool on this host and stable across restarts
   * @throws SandboxException {@code cgroups_unavailable} naming what is missing
   */
  static CgroupTree detect(Path root, String poolName) {
    OwnCgroups own = OwnCgroups.read();
    String v2Reason;
    Path unified =
        Files.exists(root.resolve("cgroup.controllers")) ? root : root.resolve("unified");
    if (Files.exists(unified.resolve("cgroup.controllers"))) {
      try {
        return CgroupV2Tree.open(unified, own.v2Path(), poolName);
      } catch (SandboxException e) {
        v2Reason = e.getMessage();
      }
    } else {
      v2Reason = "no cgroup2 file system at " + unified;
    }
    if (Files.isDirectory(root.resolve("memory")) && Files.isDirectory(root.resolve("pids"))) {
      try {
        return CgroupV1Tree.open(root, own, poolName);
      } catch (SandboxException e) {
        throw new SandboxException(
            "cgroups_unavailable",
            "cgroup v2: " + v2Reason + "; cgroup v1: " + e.getMessage(),
            false,
            e);
      }
    }
    throw new SandboxException(
        "cgroups_unavailable",
        "cgroup v2: " + v2Reason + "; cgroup v1: no memory and pids hierarchies under " + root,
        false);
  }
}
