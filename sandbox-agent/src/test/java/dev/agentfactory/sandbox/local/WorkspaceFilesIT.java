package dev.agentfactory.sandbox.local;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.cgroup.ResourceLimits;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import dev.agentfactory.sandbox.template.TemplateSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The workspace file API against real namespace sandboxes, including escape attempts. */
class WorkspaceFilesIT {

  private static final int UID_BASE = 410_000;
  private static final int UID_COUNT = 30;

  private static LocalSandboxPool pool;
  private static Path workDir;

  @BeforeAll
  static void startPool() {
    workDir = ItDirs.workDir("files-");
    TemplateSpec tiny = TemplateSpec.of("tiny", new ResourceLimits(256L << 20, 64, 1000, 1L << 20));
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withUidRange(UID_BASE, UID_COUNT)
                .withWarmTarget("shell", 1),
            TemplateCatalog.builtIn().with(tiny));
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

  private static <T> T join(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  /** The code of the SandboxException the stage failed with. */
  private static String failureCode(CompletionStage<?> stage) {
    Throwable t = catchThrowable(() -> join(stage));
    assertThat(t).isInstanceOf(CompletionException.class);
    assertThat(t.getCause()).isInstanceOf(SandboxException.class);
    return ((SandboxException) t.getCause()).code();
  }

  @Test
  void writtenFileIsSeenInsideOwnedByTheSandbox() {
    try (Sandbox sandbox = join(pool.lease("shell"))) {
      join(sandbox.writeFile("src/pkg/main.py", "print('hi')\n".getBytes(UTF_8)));

      String out = run(sandbox, "cat src/pkg/main.py; stat -c %u src/pkg/main.py src/pkg; id -u");
      String[] lines = out.split("\n");
      assertThat(lines[0]).isEqualTo("print('hi')");
      assertThat(lines[1]).isEqualTo(lines[3]).isEqualTo(lines[2]);
      assertThat(Integer.parseInt(lines[3])).isBetween(UID_BASE, UID_BASE + UID_COUNT - 1);

      join(sandbox.writeFile("/workspace/src/pkg/main.py", "replaced".getBytes(UTF_8)));
      assertThat(run(sandbox, "cat src/pkg/main.py; ls -a src/pkg"))
          .isEqualTo("replaced.\n..\nmain.py\n");
    }
  }

  @Test
  void fileCreatedInsideIsReadable() {
    try (Sandbox sandbox = join(pool.lease("shell"))) {
      run(sandbox, "mkdir -p out && printf 'result: 42' > out/r.txt");

      assertThat(new String(join(sandbox.readFile("out/r.txt")), UTF_8)).isEqualTo("result: 42");
      assertThat(new String(join(sandbox.readFile("/workspace/out/r.txt")), UTF_8))
          .isEqualTo("result: 42");
    }
  }

  @Test
  void listingShowsEntriesWithoutFollowingLinks() {
    try (Sandbox sandbox = join(pool.lease("shell"))) {
      run(sandbox, "mkdir -p d/sub && printf 12345 > d/f.txt && ln -s /root d/link");

      List<FileEntry> entries = join(sandbox.listFiles("d"));

      assertThat(entries).extracting(FileEntry::name).containsExactly("f.txt", "link", "sub");
      assertThat(entries)
          .extracting(FileEntry::type)
          .containsExactly(FileEntry.Type.FILE, FileEntry.Type.SYMLINK, FileEntry.Type.DIRECTORY);
      assertThat(entries.get(0).path()).isEqualTo("d/f.txt");
      assertThat(entries.get(0).size()).isEqualTo(5);
      assertThat(join(sandbox.listFiles("/workspace"))).extracting(FileEntry::name).contains("d");
    }
  }

  @Test
  void escapesAreRejected() throws IOException {
    Path victim = workDir.getParent().resolve("victim-" + workDir.getFileName());
    Files.writeString(victim, "host secret");
    try (Sandbox sandbox = join(pool.lease("shell"))) {
      run(
          sandbox,
          "ln -s /root r; ln -s /etc/shadow s; ln -s "
              + victim
              + " v; ln -s "
              + victim.getParent()
              + " up");

      assertThat(failureCode(sandbox.readFile("../x"))).isEqualTo("path_outside_workspace");
      assertThat(failureCode(sandbox.readFile("/etc/shadow"))).isEqualTo("path_outside_workspace");
      assertThat(failureCode(sandbox.writeFile("a/../../x", new byte[1])))
          .isEqualTo("path_outside_workspace");
      assertThat(failureCode(sandbox.readFile("s"))).isEqualTo("path_symlink");
      assertThat(failureCode(sandbox.readFile("r/.bashrc"))).isEqualTo("path_symlink");
      assertThat(failureCode(sandbox.listFiles("r"))).isEqualTo("path_symlink");
      assertThat(failureCode(sandbox.readFile("v"))).isEqualTo("path_symlink");
      assertThat(failureCode(sandbox.writeFile("v", "owned".getBytes(UTF_8))))
          .isEqualTo("path_symlink");
      assertThat(failureCode(sandbox.writeFile("up/planted", "x".getBytes(UTF_8))))
          .isEqualTo("path_symlink");
      assertThat(failureCode(sandbox.writeFile("r/planted", "x".getBytes(UTF_8))))
          .isEqualTo("path_symlink");
      assertThat(failureCode(sandbox.writeFile("up/new/dir/planted", "x".getBytes(UTF_8))))
          .isEqualTo("path_symlink");

      assertThat(Files.readString(victim)).isEqualTo("host secret");
      assertThat(victim.getParent().resolve("planted")).doesNotExist();
      assertThat(victim.getParent().resolve("new")).doesNotExist();
      assertThat(Path.of("/root/planted")).doesNotExist();
    } finally {
      Files.deleteIfExists(victim);
    }
  }

  @Test
  void wrongKindsAndMissingFilesAreNamed() {
    try (Sandbox sandbox = join(pool.lease("shell"))) {
      run(sandbox, "mkdir d && touch d/f && mkfifo p");

      assertThat(failureCode(sandbox.readFile("d"))).isEqualTo("not_a_file");
      assertThat(failureCode(sandbox.readFile("p"))).isEqualTo("not_a_file");
      assertThat(failureCode(sandbox.readFile("d/f/x"))).isEqualTo("not_a_directory");
      assertThat(failureCode(sandbox.listFiles("d/f"))).isEqualTo("not_a_directory");
      Throwable missing = catchThrowable(() -> join(sandbox.readFile("d/nope.txt")));
      assertThat(((SandboxException) missing.getCause()).code()).isEqualTo("file_not_found");
      assertThat(missing.getCause()).hasMessageContaining("d/nope.txt");
    }
  }

  @Test
  void readsAreCappedWithAClearError() {
    try (Sandbox sandbox = join(pool.lease("shell"))) {
      run(sandbox, "head -c 100000 /dev/zero > big");

      Throwable t = catchThrowable(() -> join(sandbox.readFile("big", 4096)));
      assertThat(((SandboxException) t.getCause()).code()).isEqualTo("file_too_large");
      assertThat(t.getCause()).hasMessageContaining("'big' is 100000 bytes");
      assertThat(join(sandbox.readFile("big"))).hasSize(100_000);
    }
  }

  @Test
  void writesBeyondTheDiskCapFailAndLeaveNothing() {
    try (Sandbox sandbox = join(pool.lease("tiny"))) {
      assertThat(failureCode(sandbox.writeFile("huge", new byte[2 << 20]))).isEqualTo("disk_full");

      join(sandbox.writeFile("a", new byte[700 << 10]));
      assertThat(failureCode(sandbox.writeFile("b", new byte[700 << 10]))).isEqualTo("disk_full");

      assertThat(join(sandbox.listFiles(""))).extracting(FileEntry::name).containsExactly("a");
    }
  }

  @Test
  void pausedSandboxFilesWorkHibernatedAreRefused() {
    try (Sandbox sandbox = join(pool.lease("shell"))) {
      join(sandbox.pause());
      join(sandbox.writeFile("while-paused.txt", "frozen".getBytes(UTF_8)));
      assertThat(join(sandbox.readFile("while-paused.txt"))).isEqualTo("frozen".getBytes(UTF_8));
      join(sandbox.resume());
      assertThat(run(sandbox, "cat while-paused.txt")).isEqualTo("frozen");

      join(sandbox.hibernate());
      assertThat(failureCode(sandbox.readFile("while-paused.txt"))).isEqualTo("sandbox_hibernated");
      assertThat(failureCode(sandbox.writeFile("x", new byte[1]))).isEqualTo("sandbox_hibernated");
      join(sandbox.resume());
      assertThat(join(sandbox.readFile("while-paused.txt"))).isEqualTo("frozen".getBytes(UTF_8));

      sandbox.close();
      assertThat(failureCode(sandbox.listFiles(""))).isEqualTo("sandbox_not_running");
    }
  }
}
