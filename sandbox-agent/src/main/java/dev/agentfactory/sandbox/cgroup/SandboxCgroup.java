package dev.agentfactory.sandbox.cgroup;

import java.nio.file.Path;
import java.util.List;

/** The cgroup (v2) or set of per-controller cgroups (v1) of one sandbox. */
public interface SandboxCgroup {

  /**
   * The {@code cgroup.procs} files a launcher writes its own pid to before it execs the sandbox, so
   * that the sandbox and everything it forks start inside the cgroup.
   */
  List<Path> procsFiles();

  /** Freezes every process in the cgroup and returns once the kernel reports it frozen. */
  void freeze();

  void thaw();

  LimitCounters counters();

  /** Memory charged to the cgroup right now, in bytes. */
  long memoryBytes();

  /** SIGKILLs every process left in the cgroup, waits until it is empty and removes it. */
  void destroy();
}
