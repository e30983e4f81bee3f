package dev.agentfactory.sandbox.local;

import static dev.agentfactory.sandbox.SandboxState.CREATING;
import static dev.agentfactory.sandbox.SandboxState.HIBERNATED;
import static dev.agentfactory.sandbox.SandboxState.LEASED;
import static dev.agentfactory.sandbox.SandboxState.PAUSED;
import static dev.agentfactory.sandbox.SandboxState.READY;
import static dev.agentfactory.sandbox.SandboxState.TERMINATED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxEvent;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.cgroup.ResourceLimits;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import dev.agentfactory.sandbox.template.TemplateSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** creating → ready → leased → paused → hibernated → terminated, against real sandboxes. */
class SandboxLifecycleIT {

  private static final int UID_BASE = 350_000;
  private static final int UID_COUNT = 50;

  private static LocalSandboxPool pool;
  private static Path workDir;
  private static final EventRecorder events = new EventRecorder();

  @BeforeAll
  static void startPool() {
    workDir = ItDirs.workDir("life-");
    TemplateSpec brief =
        TemplateSpec.of("brief", ResourceLimits.DEFAULT)
            .withTimeouts(Duration.ofSeconds(1), Duration.ofHours(1));
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withUidRange(UID_BASE, UID_COUNT)
                .withWarmTarget("shell", 0),
            TemplateCatalog.builtIn().with(brief));
    pool.addListener(events);
  }

  @AfterAll
  static void closePool() {
    pool.close();
    LeakCheck.assertNothingLeftBy(workDir, UID_BASE, UID_COUNT);
  }

  private static String run(Sandbox sandbox, String script) {
    CollectingListener out = new CollectingListener();
    ExecResult result = sandbox.exec(ExecRequest.shell(script), out).toCompletableFuture().join();
    assertThat(result.exitCode()).as(out.stderr()).isZero();
    return out.stdout();
  }

  private static long size(Path file) {
    try {
      return Files.exists(file) ? Files.size(file) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  @Test
  void pauseFreezesEveryProcessAndResumeThawsThem() {
    try (Sandbox sandbox = pool.lease("shell").toCompletableFuture().join()) {
      Path ticks = ((LocalSandbox) sandbox).workspace().resolve("ticks");
      run(sandbox, BackgroundJob.start("while :; do echo x >> ticks; sleep 0.01; done"));
      assertThat(HostProcesses.eventually(Duration.ofSeconds(5), () -> size(ticks) > 10)).isTrue();

      sandbox.pause().toCompletableFuture().join();
      long frozen = size(ticks);
      // Proving that nothing runs needs time to pass: 30 ticks' worth
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));

      assertThat(sandbox.state()).isEqualTo(PAUSED);
      assertThat(size(ticks)).isEqualTo(frozen);
      assertThatThrownBy(
              () -> sandbox.exec(ExecRequest.shell("true"), null).toCompletableFuture().join())
          .isInstanceOf(CompletionException.class)
          .satisfies(
              e ->
                  assertThat(((SandboxException) e.getCause()).code()).isEqualTo("sandbox_paused"));

      sandbox.resume().toCompletableFuture().join();

      assertThat(sandbox.state()).isEqualTo(LEASED);
      assertThat(HostProcesses.eventually(Duration.ofSeconds(5), () -> size(ticks) > frozen))
          .isTrue();
    }
  }

  @Test
  void hibernateKeepsTheWorkspaceAndReleasesEverythingElse() {
    Sandbox sandbox = pool.lease("shell").toCompletableFuture().join();
    String id = sandbox.id();
    run(sandbox, "echo kept > notes; mkdir -p src && echo 'x=1' > src/a.py");
    run(sandbox, BackgroundJob.start("exec sleep 4321"));
    sandbox.pause().toCompletableFuture().join();

    sandbox.hibernate().toCompletableFuture().join();

    assertThat(sandbox.state()).isEqualTo(HIBERNATED);
    assertThat(sandbox.isAlive()).isTrue();
    assertThat(HostProcesses.withCommandLine("sleep 4321")).isEmpty();
    assertThat(LeakCheck.cgroupDirs(id)).isEmpty();
    assertThat(workDir.resolve("hibernated").resolve(id + ".tar")).exists();

    sandbox.resume().toCompletableFuture().join();

    assertThat(sandbox.state()).isEqualTo(LEASED);
    assertThat(run(sandbox, "cat notes src/a.py; stat -c %u notes; id -u"))
        .startsWith("kept\nx=1\n");
    // process state is not kept on this host: the sleep did not come back
    assertThat(HostProcesses.withCommandLine("sleep 4321")).isEmpty();
    sandbox.close();
    assertThat(events.statesOf(id))
        .containsExactly(CREATING, READY, LEASED, PAUSED, HIBERNATED, LEASED, TERMINATED);
    assertThat(events.of(id).get(events.of(id).size() - 1).reason()).isEqualTo("closed");
    assertThat(workDir.resolve("hibernated").resolve(id + ".tar")).doesNotExist();
  }

  @Test
  void hibernateKeepsWhatTheSandboxLockedItselfOutOfWithItsModes() {
    try (Sandbox sandbox = pool.lease("shell").toCompletableFuture().join()) {
      // A file and a directory no one may open, not even their owner, and a mode the umask would
      // narrow. The tmpfs lists the newest entry first, so a link made before the directory comes
      // after it in the archive, whose first name for the file is then vault/f: extracting the
      // link needs the locked directory still open
      run(
          sandbox,
          "echo secret > locked && chmod 000 locked"
              + " && mkdir tmp && echo inner > tmp/f && ln tmp/f early-link"
              + " && mkdir vault && mv tmp/f vault/f && rmdir tmp && chmod 000 vault"
              + " && echo open > shared && chmod 0666 shared");

      sandbox.hibernate().toCompletableFuture().join();
      sandbox.resume().toCompletableFuture().join();

      assertThat(sandbox.state()).isEqualTo(LEASED);
      assertThat(
              run(
                  sandbox,
                  "stat -c '%a %n' locked vault shared"
                      + " && chmod 600 locked && chmod 700 vault"
                      + " && cat locked vault/f early-link && stat -c %h vault/f"))
          .isEqualTo("0 locked\n0 vault\n666 shared\nsecret\ninner\ninner\n2\n");
    }
  }

  @Test
  void aSandboxIsAliveThroughoutItsHibernation() throws InterruptedException {
    // a lender ends the loan of a sandbox that reads as dead: a hibernation must never read so
    Sandbox sandbox = pool.lease("shell").toCompletableFuture().join();
    run(sandbox, BackgroundJob.start("exec sleep 4322"));
    AtomicBoolean done = new AtomicBoolean();
    AtomicLong deadReads = new AtomicLong();
    AtomicLong reads = new AtomicLong();
    Thread watcher =
        new Thread(
            () -> {
              while (!done.get()) {
                reads.incrementAndGet();
                if (!sandbox.isAlive()) {
                  deadReads.incrementAndGet();
                }
              }
            },
            "alive-watcher");
    watcher.start();
    try {
      sandbox.hibernate().toCompletableFuture().join();
      sandbox.resume().toCompletableFuture().join();
    } finally {
      done.set(true);
      watcher.join();
    }

    assertThat(reads.get()).isPositive();
    assertThat(deadReads.get()).as("reads of isAlive() == false during hibernate/resume").isZero();
    assertThat(sandbox.state()).isEqualTo(LEASED);
    sandbox.close();
    assertThat(sandbox.isAlive()).isFalse();
  }

  @Test
  void hibernatingASparseFileCostsTheHostsDiskNoMoreThanItsData() throws IOException {
    try (Sandbox sandbox = pool.lease("shell").toCompletableFuture().join()) {
      // the workspace tmpfs allows it: 64 GiB of hole and one written block
      run(
          sandbox,
          "truncate -s 64G hole && printf end | dd of=hole bs=1 seek=1000000 conv=notrunc");
      sandbox.hibernate().toCompletableFuture().join();

      Path archive = workDir.resolve("hibernated").resolve(sandbox.id() + ".tar");
      assertThat(Files.size(archive)).as("archive bytes").isLessThan(1 << 20);

      sandbox.resume().toCompletableFuture().join();
      assertThat(run(sandbox, "stat -c %s hole; dd if=hole bs=1 skip=1000000 count=3 2>/dev/null"))
          .isEqualTo("68719476736\nend");
    }
  }

  @Test
  void idleLeasedSandboxIsTerminatedWithTheReason() {
    Sandbox sandbox = pool.lease("brief").toCompletableFuture().join();
    java.util.concurrent.CompletableFuture<String> ended =
        sandbox.whenTerminated().toCompletableFuture();
    assertThat(ended).isNotDone();

    assertThat(events.awaitReason(sandbox.id(), SandboxEvent.IDLE_TIMEOUT)).isTrue();

    assertThat(sandbox.state()).isEqualTo(TERMINATED);
    assertThat(sandbox.isAlive()).isFalse();
    // what its holder hears without using it
    assertThat(ended.orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join())
        .isEqualTo(SandboxEvent.IDLE_TIMEOUT);
  }

  @Test
  void aSandboxItsHolderClosedReportsItsEndAsClosed() {
    Sandbox sandbox = pool.lease("shell").toCompletableFuture().join();

    sandbox.close();

    assertThat(sandbox.whenTerminated().toCompletableFuture().join()).isEqualTo("closed");
  }

  @Test
  void pausingATerminatedSandboxFailsNamingTheState() {
    Sandbox sandbox = pool.lease("shell").toCompletableFuture().join();
    sandbox.close();

    assertThatThrownBy(() -> sandbox.pause().toCompletableFuture().join())
        .hasCauseInstanceOf(SandboxException.class)
        .hasMessageContaining("TERMINATED");
  }
}
