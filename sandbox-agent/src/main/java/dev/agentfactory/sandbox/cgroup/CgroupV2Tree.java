package dev.agentfactory.sandbox.cgroup;

import dev.agentfactory.sandbox.SandboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * cgroup v2: one directory per sandbox below {@code <agent's cgroup>/af-<pool>}, with the memory,
 * pids and (when available) cpu controllers enabled for it. The freezer and {@code cgroup.kill} are
 * built into v2.
 *
 * <p>v2 forbids processes in a cgroup that enables controllers for its children, so the agent's own
 * cgroup must either be the root or be delegated to it with the agent in a leaf of its own (systemd
 * {@code Delegate=yes}); otherwise {@link #open} reports why it cannot.
 */
final class CgroupV2Tree implements CgroupTree {

  private final Path pool;
  private final boolean cpu;

  private CgroupV2Tree(Path pool, boolean cpu) {
    this.pool = pool;
    this.cpu = cpu;
  }

  static CgroupV2Tree open(Path unified, String ownPath, String poolName) {
    Path base = unified.resolve(ownPath.substring(1));
    Set<String> available =
        Set.of(CgroupFiles.read(base.resolve("cgroup.controllers")).trim().split("\\s+"));
    if (!available.contains("memory") || !available.contains("pids")) {
      throw new SandboxException(
          "cgroups_unavailable",
          "controllers memory and pids are not available in "
              + base
              + " (has: "
              + available
              + "); they may be bound to v1 hierarchies",
          false);
    }
    if (!Files.isWritable(base.resolve("cgroup.subtree_control"))) {
      throw new SandboxException(
          "cgroups_unavailable", base + " is not writable (not delegated to the agent?)", false);
    }
    boolean cpu = available.contains("cpu");
    String enable = cpu ? "+memory +pids +cpu" : "+memory +pids";
    try {
      CgroupFiles.write(base.resolve("cgroup.subtree_control"), enable);
    } catch (SandboxException e) {
      throw new SandboxException(
          "cgroups_unavailable",
          "cannot enable controllers below "
              + base
              + ": the agent must run in a leaf of a delegated cgroup ("
              + e.getMessage()
              + ")",
          false,
          e);
    }
    Path pool = base.resolve("af-" + poolName);
    CgroupFiles.remove(pool);
    CgroupFiles.mkdir(pool);
    CgroupFiles.write(pool.resolve("cgroup.subtree_control"), enable);
    return new CgroupV2Tree(pool, cpu);
  }

  @Override
  public String version() {
    return "v2";
  }

  @Override
  public SandboxCgroup create(String sandboxId, ResourceLimits limits) {
    Path dir = pool.resolve(sandboxId);
    CgroupFiles.mkdir(dir);
    try {
      CgroupFiles.write(dir.resolve("memory.max"), Long.toString(limits.memoryBytes()));
      Path swap = dir.resolve("memory.swap.max");
      if (Files.exists(swap)) {
        CgroupFiles.write(swap, "0");
      }
      CgroupFiles.write(dir.resolve("pids.max"), Integer.toString(limits.pids()));
      if (cpu) {
        CgroupFiles.write(dir.resolve("cpu.max"), limits.cpuMillis() * 100L + " 100000");
      }
    } catch (SandboxException e) {
      CgroupFiles.remove(dir);
      throw e;
    }
    return new V2(dir);
  }

  @Override
  public void close() {
    CgroupFiles.remove(pool);
  }

  /** One v2 cgroup; also usable without controllers, for the freezer alone. */
  static final class V2 implements SandboxCgroup {
    private final Path dir;
    private final CgroupFiles.Reread events;
    private final CgroupFiles.Reread memoryEvents;
    private final CgroupFiles.Reread pidsEvents;

    V2(Path dir) {
      this.dir = dir;
      this.events = new CgroupFiles.Reread(dir.resolve("cgroup.events"));
      this.memoryEvents = new CgroupFiles.Reread(dir.resolve("memory.events"));
      this.pidsEvents = new CgroupFiles.Reread(dir.resolve("pids.events"));
    }

    @Override
    public List<Path> procsFiles() {
      return new ArrayList<>(List.of(dir.resolve("cgroup.procs")));
    }

    @Override
    public void freeze() {
      CgroupFiles.write(dir.resolve("cgroup.freeze"), "1");
      CgroupFiles.await("freeze of " + dir, () -> events.keyed("frozen") == 1);
    }

    @Override
    public void thaw() {
      CgroupFiles.write(dir.resolve("cgroup.freeze"), "0");
    }

    @Override
    public LimitCounters counters() {
      return new LimitCounters(memoryEvents.keyed("oom_kill"), pidsEvents.keyed("max"));
    }

    @Override
    public long memoryBytes() {
      Path current = dir.resolve("memory.current");
      return Files.exists(current) ? CgroupFiles.number(current) : 0;
    }

    @Override
    public void destroy() {
      events.close();
      memoryEvents.close();
      pidsEvents.close();
      if (CgroupFiles.removeEmpty(dir)) {
        // the common case: the sandbox's processes are already reaped, one rmdir and done
        return;
      }
      Path procs = dir.resolve("cgroup.procs");
      if (Files.exists(procs) && !CgroupFiles.pids(procs).isEmpty()) {
        // Kills every task, frozen or not, atomically with respect to forks
        CgroupFiles.write(dir.resolve("cgroup.kill"), "1");
        CgroupFiles.await("empty " + dir, () -> CgroupFiles.pids(procs).isEmpty());
      }
      CgroupFiles.remove(dir);
    }
  }
}
