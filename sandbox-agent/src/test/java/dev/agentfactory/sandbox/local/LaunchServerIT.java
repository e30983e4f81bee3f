package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Sandboxes started through the pool's launch server ({@code af-launch --launch-server}) instead of
 * a JVM spawn: same isolation, nothing of the server reaches the sandbox, and a server that is gone
 * costs its sandboxes but not the pool.
 */
class LaunchServerIT {

  private static final int UID_BASE = 445_000;
  private static final int UID_COUNT = 40;
  private static final Duration PATIENCE = Duration.ofSeconds(15);

  private LocalSandboxPool pool;
  private Path workDir;

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close();
      LeakCheck.assertNothingLeftBy(workDir, UID_BASE, UID_COUNT);
    }
  }

  private LocalSandboxPool pool(int warm) {
    workDir = ItDirs.workDir("launch-");
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withUidRange(UID_BASE, UID_COUNT)
                .withWarmTarget("shell", warm));
    return pool;
  }

  /** This pool's launch server: its command line names this pool's socket. */
  private long serverPid() {
    List<Long> pids =
        HostProcesses.withCommandLine(workDir.resolve("launch").resolve("launch.sock").toString());
    assertThat(pids).hasSize(1);
    return pids.get(0);
  }

  private static long parentOf(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
  }

  /** af-init's host pid: the only child of bwrap, which is the process the pool started. */
  private static long afInitPid(LocalSandbox sandbox) throws Exception {
    String pid = Long.toString(sandbox.hostPid());
    String children = Files.readString(Path.of("/proc", pid, "task", pid, "children")).strip();
    assertThat(children).matches("\\d+");
    return Long.parseLong(children);
  }

  private static String run(Sandbox sandbox, String script) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExecResult r =
        sandbox
            .exec(
                ExecRequest.shell(script),
                (stream, chunk) -> {
                  if (stream == OutputListener.Stream.STDOUT) {
                    out.writeBytes(chunk);
                  }
                })
            .toCompletableFuture()
            .join();
    assertThat(r.exitCode()).as(script).isZero();
    return out.toString(StandardCharsets.UTF_8).strip();
  }

  @Test
  void sandboxesAreChildrenOfTheServerAndKeepTheirIsolation() throws Exception {
    assumeThat(LocalSandboxPool.LAUNCH_SERVER).isTrue();
    pool(0);
    try (Sandbox sandbox = pool.lease("shell").toCompletableFuture().join()) {
      LocalSandbox local = (LocalSandbox) sandbox;
      assertThat(parentOf(local.hostPid())).isEqualTo(serverPid());

      // its own uid, its own pid namespace with af-init as PID 1, no network but loopback
      assertThat(run(sandbox, "id -u")).isEqualTo(Integer.toString(local.uid()));
      assertThat(local.uid()).isBetween(UID_BASE, UID_BASE + UID_COUNT - 1);
      assertThat(run(sandbox, "tr '\\0' ' ' < /proc/1/cmdline")).startsWith("/.af-init");
      assertThat(run(sandbox, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"))
          .isEqualTo("lo");
      // af-init's channel is a socket; none of the server's pipes or its listening socket
      // reached the sandbox: af-init holds its channel (0, 1), its log (2), its signalfd and
      // /dev/null. Looked at from the host (as root): af-init is not dumpable, so the sandbox
      // itself cannot list its fds
      Path fds = Path.of("/proc", Long.toString(afInitPid(local)), "fd");
      try (var entries = Files.list(fds)) {
        assertThat(entries.count()).isLessThanOrEqualTo(5);
      }
      assertThat(Files.readSymbolicLink(fds.resolve("0")).toString()).startsWith("socket:");
      assertThat(Files.readSymbolicLink(fds.resolve("2")).toString()).doesNotStartWith("pipe:");
    }
  }

  @Test
  void aPoolWhoseServerIsGoneStartsSandboxesFromTheJvm() throws Exception {
    assumeThat(LocalSandboxPool.LAUNCH_SERVER).isTrue();
    pool(0);
    long server = serverPid();
    // our own pool's server, found by its socket path; no sandbox runs yet
    ProcessHandle.of(server).orElseThrow().destroyForcibly();
    assertThat(HostProcesses.eventually(PATIENCE, () -> !HostProcesses.exists(server))).isTrue();

    try (Sandbox sandbox = pool.lease("shell").toCompletableFuture().join()) {
      assertThat(run(sandbox, "echo hi")).isEqualTo("hi");
      assertThat(parentOf(((LocalSandbox) sandbox).hostPid()))
          .isEqualTo(ProcessHandle.current().pid());
      assertThat(run(sandbox, "id -u")).isEqualTo(Integer.toString(((LocalSandbox) sandbox).uid()));
    }
  }
}
