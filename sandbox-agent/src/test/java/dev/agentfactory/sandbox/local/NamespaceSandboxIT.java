package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Commands and isolation in real bubblewrap sandboxes. */
class NamespaceSandboxIT {

  private static final int UID_BASE = 310_000;
  private static final Duration PATIENCE = Duration.ofSeconds(10);

  private static LocalSandboxPool pool;
  private static Path workDir;
  private LocalSandbox sandbox;

  @BeforeAll
  static void startPool() {
    workDir = ItDirs.workDir("ns-");
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir).withUidRange(UID_BASE, 100).withWarmTarget("shell", 2));
  }

  @AfterAll
  static void closePool() {
    pool.close();
    LeakCheck.assertNothingLeftBy(workDir, UID_BASE, 100);
  }

  @BeforeEach
  void lease() {
    sandbox = lease(pool);
  }

  @AfterEach
  void close() {
    sandbox.close();
  }

  static LocalSandbox lease(LocalSandboxPool pool) {
    return (LocalSandbox) pool.lease("shell").toCompletableFuture().join();
  }

  static ExecResult run(Sandbox sandbox, ExecRequest request, CollectingListener out) {
    return sandbox.exec(request, out).toCompletableFuture().join();
  }

  static ExecResult run(Sandbox sandbox, String script, CollectingListener out) {
    return run(sandbox, ExecRequest.shell(script), out);
  }

  @Test
  void outputStreamsInOrderWithTheExitCode() {
    CollectingListener out = new CollectingListener();

    ExecResult result = run(sandbox, "for i in $(seq 1 2000); do echo line$i; done", out);

    String expected =
        IntStream.rangeClosed(1, 2000)
            .mapToObj(i -> "line" + i + "\n")
            .collect(Collectors.joining());
    assertThat(result.status()).isEqualTo(ExecResult.Status.EXITED);
    assertThat(result.exitCode()).isZero();
    assertThat(result.truncated()).isFalse();
    assertThat(out.stdout()).isEqualTo(expected);
  }

  @Test
  void nonZeroExitIsReported() {
    ExecResult result = run(sandbox, "exit 7", new CollectingListener());

    assertThat(result.status()).isEqualTo(ExecResult.Status.EXITED);
    assertThat(result.exitCode()).isEqualTo(7);
  }

  @Test
  void stderrIsSeparateFromStdout() {
    CollectingListener out = new CollectingListener();

    run(sandbox, "echo out; echo err >&2; echo out2", out);

    assertThat(out.stdout()).isEqualTo("out\nout2\n");
    assertThat(out.stderr()).isEqualTo("err\n");
  }

  @Test
  void unknownProgramExitsWith127() {
    CollectingListener out = new CollectingListener();
    ExecRequest request =
        new ExecRequest(List.of("no-such-program"), Map.of(), Duration.ofSeconds(5), 1000);

    ExecResult result = run(sandbox, request, out);

    assertThat(result.exitCode()).isEqualTo(127);
    assertThat(out.stderr()).contains("no-such-program");
  }

  @Test
  void envIsPassedAndCommandsRunInTheWorkspace() {
    CollectingListener out = new CollectingListener();
    ExecRequest request =
        new ExecRequest(
            List.of("/bin/sh", "-c", "echo $GREETING; pwd"),
            Map.of("GREETING", "hello"),
            Duration.ofSeconds(5),
            1000);

    run(sandbox, request, out);

    assertThat(out.stdout()).isEqualTo("hello\n/workspace\n");
  }

  @Test
  void requestEnvReplacesInheritedVariablesAndItsPathFindsThePrograms() {
    CollectingListener out = new CollectingListener();
    ExecRequest request =
        new ExecRequest(
            List.of("sh", "-c", "echo $HOME; env | grep -c '^HOME='"),
            Map.of("HOME", "/tmp"),
            Duration.ofSeconds(5),
            1000);

    run(sandbox, request, out);
    ExecResult noPath =
        run(
            sandbox,
            new ExecRequest(
                List.of("true"), Map.of("PATH", "/nowhere"), Duration.ofSeconds(5), 1000),
            new CollectingListener());

    assertThat(out.stdout()).isEqualTo("/tmp\n1\n");
    assertThat(noPath.exitCode()).isEqualTo(127);
  }

  @Test
  void timeoutKillsTheCommandAndItsChildren() {
    ExecRequest request =
        new ExecRequest(
            List.of("/bin/sh", "-c", "sleep 987 & sleep 986"),
            Map.of(),
            Duration.ofMillis(300),
            1000);

    ExecResult result = run(sandbox, request, new CollectingListener());

    assertThat(result.status()).isEqualTo(ExecResult.Status.TIMEOUT);
    assertThat(result.duration()).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    assertThat(
            HostProcesses.eventually(
                PATIENCE,
                () ->
                    HostProcesses.withCommandLine("sleep 987").isEmpty()
                        && HostProcesses.withCommandLine("sleep 986").isEmpty()))
        .isTrue();
    // and the sandbox still takes commands
    assertThat(run(sandbox, "true", new CollectingListener()).exitCode()).isZero();
  }

  @Test
  void aCommandStoppedByAnotherProcessOfTheSandboxStillAnswersAtItsTimeout() {
    // Stops every process it may signal (all but init and itself), over and over: it catches the
    // next command either running or between init's vfork and its exec, which holds init itself
    run(
        sandbox,
        new ExecRequest(
            List.of("sh", "-c", "setsid sh -c 'while :; do kill -STOP -1; done' >/dev/null 2>&1 &"),
            Map.of(),
            Duration.ofSeconds(2),
            1000),
        new CollectingListener());

    CompletableFuture<String> outcome =
        sandbox
            .exec(
                new ExecRequest(List.of("sleep", "100"), Map.of(), Duration.ofSeconds(1), 1000),
                new CollectingListener())
            .toCompletableFuture()
            .handle(
                (result, error) ->
                    result != null
                        ? result.status().name()
                        : ((SandboxException) error.getCause()).code());

    // TIMEOUT when init killed the stopped command; sandbox_dead when init was held and the
    // sandbox was killed for not answering the KILL
    assertThat(outcome)
        .succeedsWithin(Duration.ofSeconds(30))
        .isIn(ExecResult.Status.TIMEOUT.name(), "sandbox_dead");
  }

  @Test
  void commandKilledBySignalIsReportedAsKilled() {
    ExecResult result = run(sandbox, "kill -9 $$", new CollectingListener());

    assertThat(result.status()).isEqualTo(ExecResult.Status.KILLED);
    assertThat(result.exitCode()).isEqualTo(137);
  }

  @Test
  void outputBeyondTheCapIsTruncated() {
    CollectingListener out = new CollectingListener();
    ExecRequest request =
        new ExecRequest(
            List.of("/bin/sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x"),
            Map.of(),
            Duration.ofSeconds(10),
            1000);

    ExecResult result = run(sandbox, request, out);

    assertThat(result.truncated()).isTrue();
    assertThat(result.exitCode()).isZero();
    assertThat(out.stdoutBytes()).isEqualTo(1000);
  }

  @Test
  void commandsQueueUpAndRunOneAtATime() {
    CollectingListener out = new CollectingListener();

    var first = sandbox.exec(ExecRequest.shell("sleep 0.2; echo first"), out);
    var second = sandbox.exec(ExecRequest.shell("echo second"), out);

    assertThat(second.toCompletableFuture().join().exitCode()).isZero();
    assertThat(first.toCompletableFuture().join().exitCode()).isZero();
    assertThat(out.stdout()).isEqualTo("first\nsecond\n");
  }

  @Test
  void cannotReadEtcShadowOrRootsHome() {
    CollectingListener out = new CollectingListener();

    ExecResult result = run(sandbox, "cat /etc/shadow; ls /root", out);

    assertThat(result.exitCode()).isNotZero();
    assertThat(out.stdout()).isEmpty();
    assertThat(out.stderr()).contains("/etc/shadow").contains("/root");
  }

  @Test
  void cannotSeeHostProcesses() {
    CollectingListener out = new CollectingListener();
    long agentPid = ProcessHandle.current().pid();

    run(
        sandbox,
        "cat /proc/1/cmdline; echo; ls /proc | grep -c '^[0-9]'; grep -l '[j]ava' /proc/[0-9]*/cmdline",
        out);

    String[] lines = out.stdout().split("\n");
    assertThat(lines[0]).contains("af-init");
    // af-init, sh, ls, grep: nothing of the host
    assertThat(Integer.parseInt(lines[1].strip())).isLessThan(10);
    assertThat(out.stdout()).doesNotContain("/proc/" + agentPid + "/");
    assertThat(lines).hasSize(2);
  }

  @Test
  void hasNoNetwork() throws IOException {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      server.setSoTimeout(200);
      CollectingListener out = new CollectingListener();

      ExecResult result =
          run(
              sandbox,
              "bash -c 'echo hi > /dev/tcp/127.0.0.1/"
                  + server.getLocalPort()
                  + "'; "
                  + "r=$?; tail -n +3 /proc/net/dev | cut -d: -f1; exit $r",
              out);

      assertThat(result.exitCode()).isNotZero();
      assertThat(out.stdout().strip()).isEqualTo("lo");
      try {
        server.accept().close();
        throw new AssertionError("the sandbox reached a host socket");
      } catch (SocketTimeoutException expected) {
        // nothing connected
      }
    }
  }

  @Test
  void cannotWriteOutsideTheWorkspace() throws IOException {
    CollectingListener out = new CollectingListener();

    run(
        sandbox,
        "for f in /usr/x /etc/x /x /bin/x; do echo > $f && echo wrote $f; done;"
            + " echo data > /workspace/kept && echo > /tmp/scratch && echo ok",
        out);

    assertThat(out.stdout()).isEqualTo("ok\n");
    Path kept = sandbox.workspace().resolve("kept");
    assertThat(Files.readString(kept)).isEqualTo("data\n");
    assertThat(Files.getAttribute(kept, "unix:uid")).isEqualTo(sandbox.uid());
  }

  @Test
  void cannotReadAnotherSandboxesWorkspace() throws IOException {
    try (LocalSandbox other = lease(pool)) {
      run(other, "echo secret > /workspace/secret", new CollectingListener());
      Path secret = other.workspace().resolve("secret");
      CollectingListener out = new CollectingListener();

      ExecResult result = run(sandbox, "cat " + secret + " /proc/*/root/workspace/secret", out);

      assertThat(result.exitCode()).isNotZero();
      assertThat(out.stdout()).doesNotContain("secret");
      // and on the host, another sandbox uid could not even list it
      assertThat(Files.getAttribute(other.workspace(), "unix:uid")).isEqualTo(other.uid());
      assertThat(Files.getPosixFilePermissions(other.workspace()))
          .extracting(Object::toString)
          .allMatch(p -> p.startsWith("OWNER"));
    }
  }

  @Test
  void runsAsItsOwnUnprivilegedUid() throws IOException {
    CollectingListener out = new CollectingListener();

    run(sandbox, "id -u; grep CapEff /proc/self/status", out);

    String[] lines = out.stdout().split("\n");
    assertThat(Integer.parseInt(lines[0])).isNotZero();
    assertThat(lines[1]).endsWith("0000000000000000");
    // one uid per sandbox only when the agent runs as root; otherwise bwrap runs as the agent
    assumeThat(Files.getAttribute(Path.of("/proc/self"), "unix:uid")).isEqualTo(0);
    assertThat(sandbox.uid()).isBetween(UID_BASE, UID_BASE + 99);
    assertThat(HostProcesses.ownedBy(sandbox.uid())).isNotEmpty();
  }

  @Test
  void closeLeavesNoProcessAndNoWorkspace() {
    LocalSandbox doomed = lease(pool);
    doomed.exec(ExecRequest.shell("sleep 765"), new CollectingListener());
    assertThat(
            HostProcesses.eventually(
                PATIENCE, () -> !HostProcesses.withCommandLine("sleep 765").isEmpty()))
        .isTrue();
    long bwrapPid = doomed.hostPid();
    Path workspace = doomed.workspace();

    doomed.close();

    assertThat(HostProcesses.exists(bwrapPid)).isFalse();
    assertThat(HostProcesses.ownedBy(doomed.uid())).isEmpty();
    assertThat(HostProcesses.withCommandLine("sleep 765")).isEmpty();
    assertThat(workspace).doesNotExist();
    assertThat(doomed.isAlive()).isFalse();
  }

  // Escape attempts beyond the ones above: each must fail inside the sandbox

  @Test
  void cannotCreateAUserNamespace() {
    CollectingListener out = new CollectingListener();

    ExecResult result = run(sandbox, "unshare -U -r id -u && echo escaped", out);

    assertThat(result.exitCode()).isNotZero();
    assertThat(out.stdout()).doesNotContain("escaped");
  }

  @Test
  void cannotPtraceEvenItsOwnChildren() {
    CollectingListener out = new CollectingListener();

    ExecResult result =
        run(
            sandbox,
            "strace -f true 2>/dev/null && echo traced;"
                + " python3 -c 'import ctypes; print(ctypes.CDLL(None).ptrace(0, 0, 0, 0))'",
            out);

    assertThat(result.exitCode()).isZero();
    // PTRACE_TRACEME answers -1 (EPERM from the seccomp filter)
    assertThat(out.stdout()).isEqualTo("-1\n");
  }

  @Test
  void cannotReachIntoAfInitThroughProc() {
    CollectingListener out = new CollectingListener();
    // af-init is PID 1 and runs as the sandbox's uid, like every command: only its not being
    // dumpable keeps its memory (its channel to the host) out of their reach
    String script =
        String.join(
            "\n",
            "python3 - <<'EOF'",
            "import ctypes, os",
            "def attempt(name, action):",
            "    try:",
            "        action()",
            "        print(name, 'allowed')",
            "    except PermissionError:",
            "        print(name, 'denied')",
            "attempt('mem', lambda: open('/proc/1/mem', 'r+b').close())",
            "attempt('environ', lambda: open('/proc/1/environ', 'rb').read())",
            "attempt('fd', lambda: os.listdir('/proc/1/fd'))",
            "libc = ctypes.CDLL(None, use_errno=True)",
            "print('attach', libc.ptrace(16, 1, 0, 0), ctypes.get_errno())",
            // what ps shows stays readable, and commands are dumpable again after their exec
            "attempt('stat', lambda: open('/proc/1/stat').read())",
            "attempt('own fd', lambda: os.listdir('/proc/self/fd'))",
            "attempt('own environ', lambda: open('/proc/self/environ', 'rb').read())",
            "EOF");

    ExecResult result = run(sandbox, script, out);

    assertThat(result.exitCode()).as(out.stderr()).isZero();
    assertThat(out.stdout())
        .isEqualTo(
            "mem denied\nenviron denied\nfd denied\nattach -1 1\n"
                + "stat allowed\nown fd allowed\nown environ allowed\n");
  }

  @Test
  void cannotMount() {
    CollectingListener out = new CollectingListener();

    ExecResult result =
        run(sandbox, "mkdir -p /tmp/x && mount -t tmpfs x /tmp/x && echo mounted", out);

    assertThat(result.exitCode()).isNotZero();
    assertThat(out.stdout()).doesNotContain("mounted");
  }

  @Test
  void runsUnderTheSeccompFilterWithNoNewPrivileges() {
    CollectingListener out = new CollectingListener();

    run(sandbox, "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status", out);

    assertThat(out.stdout()).contains("NoNewPrivs:\t1").contains("Seccomp:\t2");
  }

  @Test
  void nothingStartedInsideOutlivesClose() {
    LocalSandbox doomed = lease(pool);
    run(
        doomed,
        BackgroundJob.start("nohup sleep 654") + "; " + BackgroundJob.start("exec sleep 653"),
        new CollectingListener());
    assertThat(
            HostProcesses.eventually(
                PATIENCE, () -> !HostProcesses.withCommandLine("sleep 654").isEmpty()))
        .isTrue();

    doomed.close();

    assertThat(HostProcesses.withCommandLine("sleep 654")).isEmpty();
    assertThat(HostProcesses.withCommandLine("sleep 653")).isEmpty();
    assertThat(HostProcesses.ownedBy(doomed.uid())).isEmpty();
  }
}
