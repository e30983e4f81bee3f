package dev.agentfactory.sandbox.cgroup;

import dev.agentfactory.sandbox.SandboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * cgroup v1: one directory per controller hierarchy ({@code memory}, {@code pids}, {@code freezer}
 * and, when mounted, {@code cpu}), each below the agent's own cgroup in that hierarchy.
 *
 * <p>Hybrid hosts (v1 controllers plus a v2 hierarchy at {@code unified}, like this one) also get a
 * v2 cgroup per sandbox, used for freeze, thaw and kill only: the v1 freezer takes 5–7 ms per
 * freeze or thaw on a busy 6.x kernel, v2's {@code cgroup.freeze} under 0.1 ms.
 */
final class CgroupV1Tree implements CgroupTree {

  static final List<String> REQUIRED = List.of("memory", "pids", "freezer");

  private final Map<String, Path> poolDirs;
  private final Path unifiedPool; // null when there is no writable v2 hierarchy

  private CgroupV1Tree(Map<String, Path> poolDirs, Path unifiedPool) {
    this.poolDirs = poolDirs;
    this.unifiedPool = unifiedPool;
  }

  static CgroupV1Tree open(Path root, OwnCgroups own, String poolName) {
    Map<String, Path> dirs = new LinkedHashMap<>();
    List<String> controllers = new ArrayList<>(REQUIRED);
    if (Files.exists(root.resolve("cpu").resolve("cpu.cfs_quota_us"))) {
      controllers.add("cpu");
    }
    for (String controller : controllers) {
      Path hierarchy = root.resolve(controller);
      if (!Files.isDirectory(hierarchy)) {
        throw new SandboxException(
            "cgroups_unavailable", "no " + controller + " hierarchy at " + hierarchy, false);
      }
      Path base = hierarchy.resolve(own.v1Path(controller).substring(1));
      if (!Files.isWritable(base)) {
        throw new SandboxException("cgroups_unavailable", base + " is not writable", false);
      }
      Path pool = base.resolve("af-" + poolName);
      CgroupFiles.remove(pool);
      CgroupFiles.mkdir(pool);
      dirs.put(controller, pool);
    }
    return new CgroupV1Tree(dirs, openUnified(root.resolve("unified"), own, poolName));
  }

  private static Path openUnified(Path unified, OwnCgroups own, String poolName) {
    Path base = unified.resolve(own.v2Path().substring(1));
    if (!Files.exists(base.resolve("cgroup.freeze"))
        && !Files.exists(unified.resolve("cgroup.procs"))) {
      return null;
    }
    try {
      Path pool = base.resolve("af-" + poolName);
      CgroupFiles.remove(pool);
      CgroupFiles.mkdir(pool);
      return pool;
    } catch (SandboxException e) {
      return null;
    }
  }

  @Override
  public String version() {
    return unifiedPool == null ? "v1" : "v1 (freezer: v2)";
  }

  @Override
  public SandboxCgroup create(String sandboxId, ResourceLimits limits) {
    Map<String, Path> dirs = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, Path> e : poolDirs.entrySet()) {
        Path dir = e.getValue().resolve(sandboxId);
        CgroupFiles.mkdir(dir);
        dirs.put(e.getKey(), dir);
      }
      if (unifiedPool != null) {
        Path dir = unifiedPool.resolve(sandboxId);
        CgroupFiles.mkdir(dir);
        dirs.put("unified", dir);
      }
      Path memory = dirs.get("memory");
      CgroupFiles.write(
          memory.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes()));
      // memsw = memory + swap; equal to the memory limit means no swap
      Path memsw = memory.resolve("memory.memsw.limit_in_bytes");
      if (Files.exists(memsw)) {
        CgroupFiles.write(memsw, Long.toString(limits.memoryBytes()));
      }
      CgroupFiles.write(dirs.get("pids").resolve("pids.max"), Integer.toString(limits.pids()));
      Path cpu = dirs.get("cpu");
      if (cpu != null) {
        // the period of a new cgroup is the kernel's default, 100000 µs: one control file write
        // (an open of a cgroup file, ~0.15 ms on a busy host) less per start
        CgroupFiles.write(
            cpu.resolve("cpu.cfs_quota_us"), Long.toString(limits.cpuMillis() * 100L));
      }
      Path unified = dirs.get("unified");
      return new V1(dirs, unified == null ? null : new CgroupV2Tree.V2(unified));
    } catch (SandboxException e) {
      dirs.values().forEach(CgroupFiles::remove);
      throw e;
    }
  }

  @Override
  public void close() {
    poolDirs.values().forEach(CgroupFiles::remove);
    if (unifiedPool != null) {
      CgroupFiles.remove(unifiedPool);
    }
  }

  private static final class V1 implements SandboxCgroup {
    private final Map<String, Path> dirs;
    private final Path freezer;
    private final CgroupV2Tree.V2 unified;
    private final CgroupFiles.Reread oomControl;
    private final CgroupFiles.Reread pidsEvents;

    V1(Map<String, Path> dirs, CgroupV2Tree.V2 unified) {
      this.dirs = dirs;
      this.freezer = dirs.get("freezer");
      this.unified = unified;
      this.oomControl = new CgroupFiles.Reread(dirs.get("memory").resolve("memory.oom_control"));
      this.pidsEvents = new CgroupFiles.Reread(dirs.get("pids").resolve("pids.events"));
    }

    @Override
    public List<Path> procsFiles() {
      return dirs.values().stream().map(d -> d.resolve("cgroup.procs")).toList();
    }

    @Override
    public void freeze() {
      if (unified != null) {
        unified.freeze();
        return;
      }
      Path state = freezer.resolve("freezer.state");
      CgroupFiles.write(state, "FROZEN");
      // FREEZING until every task stopped
      CgroupFiles.await("freeze of " + freezer, () -> CgroupFiles.read(state).startsWith("FROZEN"));
    }

    @Override
    public void thaw() {
      if (unified != null) {
        unified.thaw();
        return;
      }
      CgroupFiles.write(freezer.resolve("freezer.state"), "THAWED");
    }

    @Override
    public LimitCounters counters() {
      return new LimitCounters(oomControl.keyed("oom_kill"), pidsEvents.keyed("max"));
    }

    @Override
    public long memoryBytes() {
      return CgroupFiles.number(dirs.get("memory").resolve("memory.usage_in_bytes"));
    }

    @Override
    public void destroy() {
      oomControl.close();
      pidsEvents.close();
      if (unified != null) {
        // v2 kills every task at once, frozen or not; then the v1 directories are empty too
        unified.destroy();
      }
      if (dirs.entrySet().stream()
          .filter(e -> !e.getKey().equals("unified"))
          .allMatch(e -> CgroupFiles.removeEmpty(e.getValue()))) {
        // the common case: nothing left in them, one rmdir each
        return;
      }
      Path procs = freezer.resolve("cgroup.procs");
      if (Files.exists(procs) && !CgroupFiles.pids(procs).isEmpty()) {
        // Frozen, nothing can fork between listing and killing; v1 delivers SIGKILL on thaw
        freeze();
        for (long pid : CgroupFiles.pids(procs)) {
          ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        thaw();
        CgroupFiles.await("empty " + freezer, () -> CgroupFiles.pids(procs).isEmpty());
      }
      for (Map.Entry<String, Path> e : dirs.entrySet()) {
        if (!e.getKey().equals("unified")) {
          CgroupFiles.remove(e.getValue());
        }
      }
    }
  }
}
