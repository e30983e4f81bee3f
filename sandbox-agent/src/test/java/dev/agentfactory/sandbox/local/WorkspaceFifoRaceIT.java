package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A sandbox that races the workspace file API with FIFOs: the host's file thread must never block
 * on one, and closing the sandbox must give its uid back.
 */
class WorkspaceFifoRaceIT {

  private static final int UID_BASE = 412_000;
  private static final int UID_COUNT = 4;

  private static LocalSandboxPool pool;
  private static Path workDir;

  @BeforeAll
  static void startPool() {
    workDir = ItDirs.workDir("fifo-");
    // No warm sandboxes, so the uids in use are the leased sandbox's alone. A short file timeout:
    // without the fix the write fails with file_timeout instead of hanging the test
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withUidRange(UID_BASE, UID_COUNT)
                .withWarmTarget("shell", 0)
                .withFileTimeout(Duration.ofSeconds(15)),
            TemplateCatalog.builtIn());
  }

  @AfterAll
  static void closePool() {
    pool.close();
    LeakCheck.assertNothingLeftBy(workDir, UID_BASE, UID_COUNT);
  }

  @Test
  void aFifoRenamedOverEveryTemporaryFileNeitherStopsAWriteNorKeepsTheUid() {
    Sandbox sandbox = pool.lease("shell").toCompletableFuture().join();
    // Replaces every .af-write-* file (where writes used to stage) with a FIFO as soon as it
    // appears: an open() of it by the host blocks until a writer comes, which never happens
    String swapper =
        "cd /workspace; while :; do for f in .af-write-*; do [ -e \"$f\" ] || continue;"
            + " rm -f .x; mkfifo .x && mv -f .x \"$f\"; done; done";
    CollectingListener out = new CollectingListener();
    ExecResult started =
        sandbox
            .exec(ExecRequest.shell(BackgroundJob.start(swapper)), out)
            .toCompletableFuture()
            .join();
    assertThat(started.exitCode()).as(out.stderr()).isZero();

    byte[] content = new byte[32 << 20];
    for (int i = 0; i < 3; i++) {
      Arrays.fill(content, (byte) ('a' + i));
      // Large enough that the content write outlasts a loop round of the swapper
      sandbox.writeFile("big.bin", content).toCompletableFuture().join();
    }

    assertThat(sandbox.listFiles("").toCompletableFuture().join())
        .filteredOn(e -> e.name().equals("big.bin"))
        .extracting(FileEntry::size)
        .containsExactly((long) content.length);
    assertThat(sandbox.readFile("big.bin", content.length).toCompletableFuture().join())
        .isEqualTo(content);

    sandbox.close();

    assertThat(pool.uidsInUse()).isZero();
    assertThat(LeakCheck.mountsUnder(workDir)).isEmpty();
  }
}
