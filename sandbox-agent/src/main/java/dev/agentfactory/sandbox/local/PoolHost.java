package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.cgroup.CgroupTree;
import dev.agentfactory.sandbox.driver.Capabilities;
import dev.agentfactory.sandbox.driver.CriuProbe;
import dev.agentfactory.sandbox.driver.IsolationDriver;
import dev.agentfactory.sandbox.driver.NamespaceDriver;
import dev.agentfactory.sandbox.driver.ProcessDriver;
import dev.agentfactory.sandbox.driver.VmDriver;
import dev.agentfactory.sandbox.template.TemplateSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the host offers a pool, found out once at pool start: the isolation driver, cgroups, the
 * resulting capabilities, and a clean work dir.
 */
final class PoolHost {

  private static final Logger LOG = LoggerFactory.getLogger(LocalSandboxPool.class);
  private static final Set<PosixFilePermission> TRAVERSE_ONLY =
      PosixFilePermissions.fromString("rwx--x--x");
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");

  private PoolHost() {}

  static IsolationDriver driver(SandboxConfig config, int hostUid) {
    return switch (config.isolation()) {
      case NAMESPACE ->
          new NamespaceDriver(
              config.bwrapPath(), config.tmpfsBytes(), hostUid == 0, etcView(config.workDir()));
      case PROCESS -> new ProcessDriver();
      case VM -> {
        VmDriver vm = new VmDriver();
        throw new SandboxException(
            "isolation_unavailable",
            "vm isolation is unavailable: " + vm.unavailableReason().orElse("not implemented"),
            false);
      }
    };
  }

  /** The sandboxes' /etc, prepared once per pool; null (one bind per file) when that fails. */
  private static Path etcView(Path workDir) {
    try {
      Files.createDirectories(workDir);
      return NamespaceDriver.prepareEtcView(workDir.resolve("etc"));
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "sandboxes bind the host's /etc files one by one: cannot prepare {}: {}",
          workDir.resolve("etc"),
          e.toString());
      return null;
    }
  }

  /**
   * Cgroups for limits and the freezer; a pool without them still runs, unlimited and unpausable.
   */
  static CgroupTree detectCgroups(Path workDir) {
    try {
      CgroupTree tree = CgroupTree.detect(Path.of("/sys/fs/cgroup"), poolName(workDir));
      LOG.info("sandbox limits through cgroup {}", tree.version());
      return tree;
    } catch (SandboxException e) {
      LOG.warn("no resource limits, pause or hibernate freeze: {}", e.getMessage());
      return null;
    }
  }

  static Capabilities effective(Capabilities c, CgroupTree cgroups, boolean diskCap, Path seccomp) {
    List<String> notes = new ArrayList<>(c.notes());
    boolean cg = cgroups != null;
    if (!cg) {
      notes.add("no writable cgroups: no memory, pids or cpu limits and no pause");
    }
    if (c.seccomp() && seccomp == null) {
      notes.add("no seccomp filter for this architecture");
    }
    CriuProbe.unusableReason().ifPresent(why -> notes.add("CRIU: " + why));
    return new Capabilities(
        c.pause() && cg,
        c.hibernateWorkspace(),
        c.hibernateProcessState(),
        c.networkPolicies(),
        c.memoryLimit() && cg,
        c.pidsLimit() && cg,
        c.cpuLimit() && cg,
        c.diskLimit() && diskCap,
        c.seccomp() && seccomp != null,
        notes);
  }

  /**
   * The pool's name in the cgroup tree ({@code af-<name>}): stable per work dir, so a restarted
   * agent finds and removes what a crashed run left.
   */
  static String poolName(Path workDir) {
    return UUID.nameUUIDFromBytes(workDir.toString().getBytes(StandardCharsets.UTF_8))
        .toString()
        .substring(0, 8);
  }

  /**
   * Creates the work dir layout and empties it of what a previous run left (one pool per work dir),
   * unmounting stale workspace tmpfs mounts first.
   */
  static void prepareWorkDir(Path workDir, boolean uidPerSandbox) {
    Path workspaces = workDir.resolve("workspaces");
    Path logs = workDir.resolve("logs");
    Path hibernated = workDir.resolve("hibernated");
    Path egress = workDir.resolve("egress");
    try {
      Files.createDirectories(egress);
      Files.setPosixFilePermissions(egress, TRAVERSE_ONLY);
      Files.createDirectories(workDir);
      Files.createDirectories(workspaces);
      Files.createDirectories(logs);
      Files.createDirectories(hibernated);
      Files.setPosixFilePermissions(hibernated, OWNER_ONLY);
      unmountStale(workspaces);
      // Sandbox uids must reach their own workspace, but not list anyone else's
      Files.setPosixFilePermissions(workDir, TRAVERSE_ONLY);
      Files.setPosixFilePermissions(workspaces, TRAVERSE_ONLY);
      Files.setPosixFilePermissions(logs, OWNER_ONLY);
      // One pool per work dir: whatever is here is left from a previous run of this agent
      for (Path dir : List.of(workspaces, logs, hibernated, egress)) {
        try (Stream<Path> stale = Files.list(dir)) {
          stale.forEach(SandboxLauncher::deleteTree);
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("sandbox.workDir " + workDir + " is not usable: " + e, e);
    }
    if (uidPerSandbox) {
      SandboxConfig.untraversableParent(workDir)
          .ifPresent(
              p -> {
                throw new IllegalArgumentException(
                    "sandbox.workDir "
                        + workDir
                        + ": parent "
                        + p
                        + " is not traversable by sandbox uids (needs o+x)");
              });
    }
  }

  /**
   * Why a template's egress allowlist cannot be served from this work dir: a unix socket path has
   * at most 107 bytes, and each sandbox's is {@code <workDir>/egress/<id>/proxy.sock}.
   */
  static Optional<String> egressUnavailable(TemplateSpec spec, Path workDir) {
    if (spec.egress().isNone()) {
      return Optional.empty();
    }
    int length =
        workDir
            .resolve("egress")
            .resolve("sbx-000000000000")
            .resolve(SandboxLauncher.SOCKET)
            .toAbsolutePath()
            .toString()
            .getBytes(StandardCharsets.UTF_8)
            .length;
    return length > 107
        ? Optional.of(
            "its egress proxy socket path would be "
                + length
                + " bytes, over the 107 a unix socket allows: use a shorter sandbox.workDir")
        : Optional.empty();
  }

  /** Workspace tmpfs mounts left by a crashed run would make their directories undeletable. */
  private static void unmountStale(Path under) throws IOException {
    String prefix = under.toRealPath() + "/";
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String mountPoint = line.split(" ")[4];
      if (mountPoint.startsWith(prefix)) {
        SandboxLauncher.run(List.of("umount", "-l", mountPoint), null, null);
      }
    }
  }

  static int currentUid() {
    try {
      // /proc/self belongs to the effective uid of the reading process
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException e) {
      throw new SandboxException(
          "isolation_unavailable", "sandboxes need Linux with /proc: " + e, false, e);
    }
  }

  /** The pool's workspace unmounter, or null when it cannot start: umount(8) then does it. */
  static WorkspaceUnmounter startUnmounter(
      Path launcher, Path workspaces, ExecutorService spawner) {
    try {
      return WorkspaceUnmounter.start(launcher, workspaces, spawner);
    } catch (SandboxException e) {
      LOG.warn(
          "workspaces will be unmounted with umount(8), one process per close: {}", e.getMessage());
      return null;
    }
  }

  /** The pool's launch server, or null when it cannot start: the JVM then spawns sandboxes. */
  static LaunchServer startLaunchServer(Path launcher, Path dir, ExecutorService spawner) {
    try {
      return LaunchServer.start(launcher, dir, spawner);
    } catch (SandboxException e) {
      LOG.warn("sandboxes will be spawned by the JVM, one process per start: {}", e.getMessage());
      return null;
    }
  }
}
