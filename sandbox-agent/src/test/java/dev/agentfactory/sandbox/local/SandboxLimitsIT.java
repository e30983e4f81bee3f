package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxEvent;
import dev.agentfactory.sandbox.cgroup.ResourceLimits;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import dev.agentfactory.sandbox.template.TemplateSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Resource limits against real cgroups and tmpfs: a sandbox that hits one is contained and the
 * limit is reported; the host and other sandboxes carry on; nothing is left after close.
 */
class SandboxLimitsIT {

  private static final int UID_BASE = 340_000;
  private static final int UID_COUNT = 50;
  private static final String TINY = "tiny";

  private static LocalSandboxPool pool;
  private static Path workDir;
  private static final EventRecorder events = new EventRecorder();

  @BeforeAll
  static void startPool() {
    workDir = ItDirs.workDir("limits-");
    TemplateSpec tiny = TemplateSpec.of(TINY, new ResourceLimits(64L << 20, 48, 500, 8L << 20));
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withUidRange(UID_BASE, UID_COUNT)
                .withWarmTarget("shell", 0),
            TemplateCatalog.builtIn().with(tiny.withWarmPoolSize(2)));
    pool.addListener(events);
  }

  @AfterAll
  static void closePool() {
    pool.close();
    LeakCheck.assertNothingLeftBy(workDir, UID_BASE, UID_COUNT);
  }

  private static Sandbox lease() {
    return pool.lease(TINY).toCompletableFuture().join();
  }

  private static ExecResult run(Sandbox sandbox, List<String> argv, CollectingListener out) {
    return sandbox
        .exec(new ExecRequest(argv, Map.of(), Duration.ofSeconds(20), 1 << 16), out)
        .toCompletableFuture()
        .join();
  }

  @Test
  void poolReportsItsLimitsAsEnforced() {
    assertThat(pool.capabilities().memoryLimit()).isTrue();
    assertThat(pool.capabilities().pidsLimit()).isTrue();
    assertThat(pool.capabilities().diskLimit()).isTrue();
    assertThat(pool.capabilities().pause()).isTrue();
  }

  @Test
  void memoryBombIsOomKilledAndReported() {
    try (Sandbox sandbox = lease();
        Sandbox neighbour = lease()) {
      ExecResult result = run(sandbox, List.of("tail", "/dev/zero"), new CollectingListener());

      assertThat(result.status()).isEqualTo(ExecResult.Status.KILLED);
      assertThat(result.exitCode()).isEqualTo(128 + 9);
      assertThat(events.awaitReason(sandbox.id(), SandboxEvent.OOM)).isTrue();
      assertThat(events.of(neighbour.id())).noneMatch(SandboxEvent::isLimit);
      // the sandbox itself survives its command's OOM, and so does its neighbour
      assertThat(run(sandbox, List.of("true"), new CollectingListener()).exitCode()).isZero();
      assertThat(run(neighbour, List.of("true"), new CollectingListener()).exitCode()).isZero();
    }
  }

  @Test
  void forkBombIsContainedByThePidsLimitAndReported() throws Exception {
    try (Sandbox sandbox = lease();
        Sandbox neighbour = lease()) {
      ExecResult result =
          run(
              sandbox,
              List.of("bash", "-c", ":(){ :|:& };: ; exec sleep 2"),
              new CollectingListener());

      assertThat(result.status()).isNotNull();
      assertThat(events.awaitReason(sandbox.id(), SandboxEvent.PIDS_EXHAUSTED)).isTrue();
      // the host still forks, the neighbour still runs commands, the bomb is gone
      assertThat(new ProcessBuilder("true").start().waitFor()).isZero();
      assertThat(run(neighbour, List.of("true"), new CollectingListener()).exitCode()).isZero();
      CollectingListener out = new CollectingListener();
      run(sandbox, List.of("sh", "-c", "ls /proc | grep -c '^[0-9]'"), out);
      assertThat(Integer.parseInt(out.stdout().strip())).isLessThan(6);
    }
  }

  @Test
  void fillingTheDiskStopsAtTheCapAndIsReported() throws IOException {
    try (Sandbox sandbox = lease()) {
      CollectingListener out = new CollectingListener();
      ExecResult result =
          run(
              sandbox,
              List.of("sh", "-c", "dd if=/dev/zero of=/workspace/big bs=1M count=64"),
              out);

      assertThat(result.exitCode()).isNotZero();
      assertThat(out.stderr()).contains("No space left");
      assertThat(events.awaitReason(sandbox.id(), SandboxEvent.DISK_FULL)).isTrue();
      // the host's disk never saw it: the workspace is a tmpfs of 8 MiB
      Path workspace = ((LocalSandbox) sandbox).workspace();
      assertThat(java.nio.file.Files.getFileStore(workspace).getTotalSpace())
          .isLessThanOrEqualTo(8L << 20);
      assertThat(run(sandbox, List.of("sh", "-c", "rm big && echo ok > small"), out).exitCode())
          .isZero();
    }
  }

  @Test
  void closeRemovesTheSandboxesCgroupsAndMount() {
    Sandbox sandbox = lease();
    String id = sandbox.id();
    assertThat(LeakCheck.cgroupDirs(id)).isNotEmpty();
    assertThat(LeakCheck.mountsUnder(workDir)).isNotEmpty();

    sandbox.close();

    assertThat(LeakCheck.cgroupDirs(id)).isEmpty();
    assertThat(LeakCheck.mountsUnder(workDir.resolve("workspaces").resolve(id))).isEmpty();
  }
}
