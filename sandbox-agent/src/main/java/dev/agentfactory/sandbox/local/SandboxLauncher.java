package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.cgroup.CgroupTree;
import dev.agentfactory.sandbox.cgroup.SandboxCgroup;
import dev.agentfactory.sandbox.driver.IsolationDriver;
import dev.agentfactory.sandbox.driver.LaunchCommand;
import dev.agentfactory.sandbox.driver.LaunchSpec;
import dev.agentfactory.sandbox.egress.EgressGate;
import dev.agentfactory.sandbox.egress.EgressProxy;
import dev.agentfactory.sandbox.template.TemplateSpec;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Creates and destroys {@link Incarnation}s: uid, workspace (a size-capped tmpfs when the agent is
 * root), cgroup with the template's limits, and af-init behind the isolation driver. Everything it
 * creates, {@link #destroy} removes, in reverse order.
 */
final class SandboxLauncher {

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");
  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
  static final String SOCKET = "proxy.sock";

  private final IsolationDriver driver;
  private final UidAllocator uids;
  private final int hostUid;
  private final Path initBinary;
  private final Path launchBinary;
  private final Path seccomp;
  private final CgroupTree cgroups;
  private final boolean diskCap;
  private final Path workspaces;
  private final Path logs;
  private final Path egressDirs;
  private final EgressProxy egressProxy;
  private final ExecutorService spawner;
  private final ScheduledExecutorService timer;
  private final WorkspaceUnmounter unmounter; // null: spawn umount(8) per close
  private final LaunchServer launchServer; // null: every sandbox is spawned by the JVM
  private final WorkspaceArchive workspaceArchive;

  SandboxLauncher(
      IsolationDriver driver,
      UidAllocator uids,
      int hostUid,
      Path initBinary,
      Path launchBinary,
      Path seccomp,
      CgroupTree cgroups,
      boolean diskCap,
      Path workspaces,
      Path logs,
      Path egressDirs,
      EgressProxy egressProxy,
      ExecutorService spawner,
      ScheduledExecutorService timer,
      WorkspaceUnmounter unmounter,
      LaunchServer launchServer) {
    this.driver = driver;
    this.uids = uids;
    this.hostUid = hostUid;
    this.initBinary = initBinary;
    this.launchBinary = launchBinary;
    this.seccomp = seccomp;
    this.cgroups = cgroups;
    this.diskCap = diskCap;
    this.workspaces = workspaces;
    this.logs = logs;
    this.egressDirs = egressDirs;
    this.egressProxy = egressProxy;
    this.spawner = spawner;
    this.timer = timer;
    this.unmounter = unmounter;
    this.launchServer = launchServer;
    this.workspaceArchive = new WorkspaceArchive(driver);
  }

  /** Whether each sandbox runs as its own host uid (files it gets must be chowned to it). */
  boolean uidPerSandbox() {
    return driver.usesUidPerSandbox();
  }

  /**
   * Starts a sandbox and waits until af-init is ready. With {@code restoreFrom} the workspace is
   * filled from that archive instead of the template's seed files. With a {@code gate} the sandbox
   * gets an egress proxy socket, bound in at {@code /.af-egress.sock}.
   */
  Incarnation launch(
      String id,
      TemplateSpec template,
      Path restoreFrom,
      Duration startTimeout,
      Consumer<InitSession> onDied,
      Consumer<ExecResult> onCommandEnd,
      EgressGate gate) {
    int uid = driver.usesUidPerSandbox() ? uids.allocate() : hostUid;
    Path workspace = workspaces.resolve(id);
    Path log = logs.resolve(id + ".log");
    boolean mounted = false;
    SandboxCgroup cgroup = null;
    InitSession session = null;
    EgressProxy.Endpoint egress = null;
    try {
      Files.createDirectory(workspace, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      if (driver.usesUidPerSandbox()) {
        Files.setAttribute(workspace, "unix:uid", uid);
        Files.setAttribute(workspace, "unix:gid", uid);
      }
      // With the disk cap, af-launch mounts the workspace tmpfs: one process spawn less per start
      mounted = diskCap;
      Files.deleteIfExists(log);
      Files.createFile(log);
      if (cgroups != null) {
        cgroup = cgroups.create(id, template.limits());
      }
      if (gate != null) {
        egress = openEgress(id, uid, gate);
      }
      LaunchSpec spec =
          new LaunchSpec(
              id,
              initBinary,
              workspace,
              log,
              uid,
              template.env(),
              cgroup == null ? List.of() : cgroup.procsFiles(),
              seccomp,
              launchBinary,
              diskCap ? template.limits().diskBytes() : 0,
              egress == null ? null : egress.socket());
      SandboxProcess process = spawn(spec, startTimeout);
      session = new InitSession(id, process, log, timer, onDied, onCommandEnd);
      Incarnation inc = new Incarnation(uid, workspace, mounted, cgroup, session, log, egress);
      session.awaitReady(startTimeout);
      // Filled now that the workspace (tmpfs) is mounted; no command has run in it yet
      if (restoreFrom != null) {
        workspaceArchive.restore(restoreFrom, workspace, uid);
      } else {
        WorkspaceSeed.seed(template.files(), workspace, uid);
      }
      return inc;
    } catch (IOException | RuntimeException e) {
      destroy(new Incarnation(uid, workspace, mounted, cgroup, session, log, egress), null);
      if (e instanceof SandboxException se) {
        throw se;
      }
      throw new SandboxException(
          "sandbox_start_failed", "cannot start sandbox " + id + ": " + e, true, e);
    }
  }

  /**
   * Kills the sandbox (it must not be frozen) and removes its cgroup, workspace mount, workspace,
   * log and uid. A running command fails with {@code reason} (null: {@code sandbox_closed}).
   */
  void destroy(Incarnation inc, SandboxException reason) {
    RuntimeException failure = null;
    if (inc.session() != null) {
      try {
        // af-init first, then bwrap, which reaps it: killing both at once (a cgroup kill) would
        // leave af-init a zombie for the host's init to reap, slowly
        inc.session().terminate(reason);
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    if (inc.cgroup() != null) {
      try {
        // whatever is left, e.g. a start that failed before af-init ran
        inc.cgroup().destroy();
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (inc.egress() != null) {
      try {
        inc.egress().close();
        deleteTree(inc.egress().socket().getParent());
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    try {
      if (inc.mounted() && isMountPoint(inc.workspace())) {
        unmount(inc.workspace());
      }
      deleteTree(inc.workspace());
      deleteTree(inc.log());
    } catch (RuntimeException e) {
      failure = failure == null ? e : failure;
    }
    if (driver.usesUidPerSandbox() && failure == null) {
      // A uid whose processes may still run is never handed out again
      uids.release(inc.uid());
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * A private directory for the sandbox's proxy socket (0700, its uid: bwrap, running as that uid,
   * must reach the socket to bind it in) and the proxy listening there.
   */
  private EgressProxy.Endpoint openEgress(String id, int uid, EgressGate gate) throws IOException {
    Path dir = egressDirs.resolve(id);
    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    if (driver.usesUidPerSandbox()) {
      Files.setAttribute(dir, "unix:uid", uid);
      Files.setAttribute(dir, "unix:gid", uid);
    }
    return egressProxy.open(dir.resolve(SOCKET), driver.usesUidPerSandbox() ? uid : -1, gate);
  }

  /** Writes the workspace into a tar archive ({@link WorkspaceArchive#archive}). */
  void archive(Incarnation inc, Path archive) {
    workspaceArchive.archive(inc, archive);
  }

  /** Whether {@code dir} is a mount point: its device differs from its parent's. */
  static boolean isMountPoint(Path dir) {
    try {
      return !Files.getAttribute(dir, "unix:dev")
          .equals(Files.getAttribute(dir.getParent(), "unix:dev"));
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new SandboxException("cleanup_failed", "cannot stat " + dir + ": " + e, false, e);
    }
  }

  /**
   * Unmounts a workspace whose processes are gone. When the mount is still busy (a host file thread
   * blocked in open() on a FIFO the sandbox swapped in) it is detached lazily instead: a failed
   * unmount would keep the sandbox's uid from ever being released.
   */
  void unmount(Path dir) {
    if (unmounter == null || !unmounter.unmount(dir)) {
      try {
        run(List.of("umount", dir.toString()), null, null);
      } catch (SandboxException busy) {
        run(List.of("umount", "--lazy", dir.toString()), null, null);
      }
    }
  }

  /**
   * Writes claim-time files into a ready sandbox's workspace, owned by its uid ({@link
   * WorkspaceSeed#writeFiles}).
   */
  void writeFiles(Incarnation inc, Map<String, String> files) {
    WorkspaceSeed.writeFiles(inc, files, driver.usesUidPerSandbox());
  }

  private SandboxProcess spawn(LaunchSpec spec, Duration timeout) throws IOException {
    if (launchServer != null) {
      LaunchCommand command = driver.launchCommand(spec);
      if (command != null) {
        try {
          return launchServer.launch(command, spec.log(), timeout);
        } catch (LaunchServer.Unavailable e) {
          // gone: the JVM spawns it, as without a server
        }
      }
    }
    try {
      return SandboxProcess.of(spawner.submit(() -> driver.launch(spec)).get());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof SandboxException se) {
        throw se;
      }
      throw new SandboxException(
          "sandbox_start_failed", "cannot launch " + spec.id() + ": " + e.getCause(), true, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("sandbox_start_failed", "interrupted", true, e);
    } catch (RejectedExecutionException e) {
      throw new SandboxException("pool_closed", "the sandbox pool is closed", false, e);
    }
  }

  /** Runs a host tool to completion; its stderr goes into the failure message. */
  static void run(List<String> command, Path stdin, Path stdout) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.redirectInput(
          stdin == null
              ? Redirect.from(new java.io.File("/dev/null"))
              : Redirect.from(stdin.toFile()));
      if (stdout != null) {
        pb.redirectOutput(Redirect.to(stdout.toFile()));
      } else {
        pb.redirectOutput(Redirect.DISCARD);
      }
      // stderr goes to a file: reading a pipe to its end first would wait as long as the tool
      // (or a child that inherited the pipe) runs, and the timeout below would never apply
      Path errFile = Files.createTempFile("af-host-tool-", ".err");
      try {
        pb.redirectError(Redirect.to(errFile.toFile()));
        Process p = pb.start();
        if (!p.waitFor(TOOL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          throw new SandboxException(
              "host_tool_failed", command + " timed out after " + TOOL_TIMEOUT, false);
        }
        if (p.exitValue() != 0) {
          String err = tail(errFile);
          throw new SandboxException(
              "host_tool_failed", command + " exited " + p.exitValue() + ": " + err, false);
        }
      } finally {
        Files.deleteIfExists(errFile);
      }
    } catch (IOException e) {
      throw new SandboxException("host_tool_failed", "cannot run " + command + ": " + e, false, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("host_tool_failed", "interrupted: " + command, false, e);
    }
  }

  /**
   * The last 2 KiB of a file (a tool's stderr, a sandbox log) as text, read from its end: the file
   * may be huge. A character the cut splits decodes to U+FFFD.
   */
  static String tail(Path file) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long length = f.length();
      byte[] last = new byte[(int) Math.min(length, 2048)];
      f.seek(length - last.length);
      f.readFully(last);
      return new String(last, StandardCharsets.UTF_8).strip();
    }
  }

  /** Deletes a file or directory tree; the agent owns or (as root) may delete all of it. */
  static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (NoSuchFileException e) {
      // already gone
    } catch (IOException e) {
      throw new SandboxException("cleanup_failed", "cannot delete " + root + ": " + e, false, e);
    }
  }
}
