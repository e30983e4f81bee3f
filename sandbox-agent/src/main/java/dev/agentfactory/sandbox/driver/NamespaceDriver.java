package dev.agentfactory.sandbox.driver;

import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs af-init as PID 1 of a bubblewrap sandbox.
 *
 * <p>When the agent runs as root, bwrap is started as the sandbox's own unprivileged uid
 * (af-launch, or {@code setpriv} without a launcher): bwrap run by root with {@code --uid} maps to
 * host root, which would let a sandbox read root-only host files through its binds. When the agent
 * is not root (a laptop), bwrap runs as the agent's user and sandboxes share that uid; the mount
 * namespace still keeps each one to its own workspace.
 */
public final class NamespaceDriver implements IsolationDriver {

  /** Files under /etc that ordinary programs need; never shadow, sudoers or keys. */
  static final List<String> ETC_FILES =
      List.of(
          "/etc/ld.so.cache",
          "/etc/ld.so.conf",
          "/etc/ld.so.conf.d",
          "/etc/passwd",
          "/etc/group",
          "/etc/nsswitch.conf",
          "/etc/alternatives",
          "/etc/ssl/certs",
          "/etc/ca-certificates",
          "/etc/localtime",
          "/etc/mime.types",
          "/etc/fonts");

  /** Where a sandbox finds its egress proxy's unix socket. */
  public static final String EGRESS_SOCKET = "/.af-egress.sock";

  /** The loopback port inside a sandbox that af-init relays to the egress proxy. */
  public static final int EGRESS_PORT = 3128;

  /** What commands see as their proxy when the sandbox has an egress allowlist. */
  public static final String PROXY_URL = "http://127.0.0.1:" + EGRESS_PORT;

  private final Path bwrap;
  private final Path setpriv;
  private final boolean hostIsRoot;
  private final long tmpfsBytes;
  private final Path etcView; // null: bind each of ETC_FILES

  public NamespaceDriver(Path bwrap, long tmpfsBytes, boolean hostIsRoot) {
    this(bwrap, tmpfsBytes, hostIsRoot, null);
  }

  /**
   * @param etcView a directory prepared by {@link #prepareEtcView}, bound read-only as the
   *     sandbox's {@code /etc} (one bind instead of one per entry of {@link #ETC_FILES}); null to
   *     bind the host's entries one by one
   */
  public NamespaceDriver(Path bwrap, long tmpfsBytes, boolean hostIsRoot, Path etcView) {
    if (!Files.isExecutable(bwrap)) {
      throw new SandboxException(
          "isolation_unavailable",
          "bubblewrap not found at "
              + bwrap
              + " (sandbox.bwrapPath); install it with `apt-get install bubblewrap`",
          false);
    }
    this.bwrap = bwrap;
    this.hostIsRoot = hostIsRoot;
    this.tmpfsBytes = tmpfsBytes;
    this.etcView = etcView;
    this.setpriv = hostIsRoot ? findSetpriv() : null;
  }

  @Override
  public Isolation isolation() {
    return Isolation.NAMESPACE;
  }

  @Override
  public boolean usesUidPerSandbox() {
    return hostIsRoot;
  }

  @Override
  public Capabilities capabilities() {
    return new Capabilities(
        true,
        true,
        false,
        List.of("none", "egress"),
        true,
        true,
        true,
        hostIsRoot,
        true,
        hostIsRoot
            ? List.of("process state is not kept across hibernation (no restorable CRIU)")
            : List.of(
                "process state is not kept across hibernation (no restorable CRIU)",
                "no workspace size cap: mounting a tmpfs per workspace needs root"));
  }

  @Override
  public Process launch(LaunchSpec spec) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(command(spec)).redirectError(Redirect.appendTo(spec.log().toFile()));
    // Nothing of the agent's environment (tokens, proxies) reaches bwrap, let alone the sandbox
    pb.environment().clear();
    return pb.start();
  }

  @Override
  public LaunchCommand launchCommand(LaunchSpec spec) {
    // Nothing of the agent's environment (tokens, proxies) reaches bwrap, let alone the sandbox
    return new LaunchCommand(command(spec), java.util.Map.of(), null);
  }

  List<String> command(LaunchSpec spec) {
    List<String> cmd = new ArrayList<>();
    if (spec.launcher() != null) {
      // af-launch joins the cgroups and drops to the sandbox uid itself
      return LaunchWrapper.wrap(spec, sandboxCommand(spec, cmd), hostIsRoot ? spec.uid() : -1);
    }
    if (hostIsRoot) {
      cmd.addAll(
          List.of(
              setpriv.toString(),
              "--reuid=" + spec.uid(),
              "--regid=" + spec.uid(),
              "--clear-groups"));
    }
    return sandboxCommand(spec, cmd);
  }

  private List<String> sandboxCommand(LaunchSpec spec, List<String> cmd) {
    cmd.addAll(
        List.of(
            bwrap.toString(),
            "--unshare-all",
            "--unshare-user",
            // a sandbox could otherwise build its own user namespace and regain capabilities there
            "--disable-userns",
            "--cap-drop",
            "ALL",
            // no TIOCSTI into a terminal the agent might have
            "--new-session",
            "--die-with-parent",
            // af-init is PID 1: it reaps orphans itself, so no bwrap reaper in between
            "--as-pid-1",
            "--hostname",
            "sandbox",
            "--clearenv",
            "--setenv",
            "PATH",
            "/usr/local/bin:/usr/bin:/bin",
            "--setenv",
            "HOME",
            "/workspace",
            "--setenv",
            "TMPDIR",
            "/tmp",
            "--setenv",
            "LANG",
            "C.UTF-8"));
    if (spec.egressSocket() != null) {
      for (String var : List.of("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")) {
        cmd.addAll(List.of("--setenv", var, PROXY_URL));
      }
      // the sandbox's own loopback is its own: no proxy for local servers it runs
      for (String var : List.of("NO_PROXY", "no_proxy")) {
        cmd.addAll(List.of("--setenv", var, "localhost,127.0.0.1,::1"));
      }
    }
    spec.env().forEach((key, value) -> cmd.addAll(List.of("--setenv", key, value)));
    if (spec.seccomp() != null) {
      // the wrapper opened the filter as this fd; bwrap loads it right before exec'ing af-init
      cmd.addAll(List.of("--seccomp", Integer.toString(LaunchWrapper.SECCOMP_FD)));
    }
    cmd.addAll(
        List.of(
            "--ro-bind",
            "/usr",
            "/usr",
            "--symlink",
            "usr/bin",
            "/bin",
            "--symlink",
            "usr/sbin",
            "/sbin",
            "--symlink",
            "usr/lib",
            "/lib",
            "--symlink",
            "usr/lib64",
            "/lib64",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            Long.toString(tmpfsBytes),
            "--tmpfs",
            "/tmp"));
    if (etcView != null) {
      cmd.addAll(List.of("--ro-bind", etcView.toString(), "/etc"));
    } else {
      for (String etc : ETC_FILES) {
        cmd.addAll(List.of("--ro-bind-try", etc, etc));
      }
    }
    cmd.addAll(
        List.of(
            "--bind",
            spec.workspace().toString(),
            "/workspace",
            "--ro-bind",
            spec.init().toString(),
            "/.af-init"));
    if (spec.egressSocket() != null) {
      // a socket on a read-only bind still accepts connections; it is the only way out
      cmd.addAll(List.of("--ro-bind", spec.egressSocket().toString(), EGRESS_SOCKET));
    }
    cmd.addAll(
        List.of(
            // bwrap's root is a writable tmpfs: without this a sandbox could write /x or /etc/x
            "--remount-ro", "/", "--chdir", "/workspace", "--", "/.af-init"));
    if (spec.egressSocket() != null) {
      cmd.addAll(List.of("--relay", Integer.toString(EGRESS_PORT), EGRESS_SOCKET));
    }
    cmd.add("/workspace");
    return cmd;
  }

  /**
   * Copies the host's {@link #ETC_FILES} that exist into {@code dir} (replacing it), as the sandbox
   * would see them bound one by one: a top-level link is followed (a bind mounts its target), links
   * inside a directory stay links, modes and owners are kept (a file the sandbox uid could not read
   * stays unreadable). bwrap re-reads the whole mount table for every bind, so twelve binds were a
   * sixth of its CPU per start.
   *
   * <p>A snapshot: changes to those host files reach sandboxes once the pool is restarted.
   */
  public static Path prepareEtcView(Path dir) throws IOException {
    Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
    deleteTree(tmp);
    Files.createDirectories(tmp);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path etc = Path.of("/etc");
    for (String entry : ETC_FILES) {
      Path src = Path.of(entry);
      if (!Files.exists(src)) {
        continue; // --ro-bind-try skipped it too
      }
      Path dst = tmp.resolve(etc.relativize(src).toString());
      Files.createDirectories(dst.getParent());
      for (Path d = dst.getParent(); !d.equals(tmp); d = d.getParent()) {
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      Path real = src.toRealPath();
      try (Stream<Path> tree = Files.walk(real)) {
        for (Path p : tree.toList()) {
          Path target = p.equals(real) ? dst : dst.resolve(real.relativize(p).toString());
          if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
              || Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
              || Files.isSymbolicLink(p)) {
            Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
          }
        }
      }
    }
    deleteTree(dir);
    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    return dir;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static Path findSetpriv() {
    for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
      Path p = Path.of(dir, "setpriv");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    throw new SandboxException(
        "isolation_unavailable",
        "setpriv not found; it drops to the sandbox uid before bwrap runs. Install it with"
            + " `apt-get install util-linux`",
        false);
  }
}
