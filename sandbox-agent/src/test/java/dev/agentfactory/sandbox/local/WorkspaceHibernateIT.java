package dev.agentfactory.sandbox.local;

import static dev.agentfactory.sandbox.SandboxState.HIBERNATED;
import static dev.agentfactory.sandbox.SandboxState.LEASED;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hibernation racing the workspace file API, against real namespace sandboxes: a write's private
 * staging directory (the agent's, which tar cannot read) never fails the archive, a file operation
 * in flight when hibernation starts is finished (and archived) first, and one that arrives while it
 * runs waits for its outcome. tar reads nothing of the host's through the workspace.
 */
class WorkspaceHibernateIT {

  private static final int UID_BASE = 414_000;
  private static final int UID_COUNT = 20;

  private static LocalSandboxPool pool;
  private static Path workDir;

  @BeforeAll
  static void startPool() {
    workDir = ItDirs.workDir("hib-");
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withUidRange(UID_BASE, UID_COUNT)
                .withWarmTarget("shell", 0),
            TemplateCatalog.builtIn());
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

  /**
   * A directory as a write stages in: made by the agent, mode 0700, with content. Made by hand so
   * that the race with a write is certain to be lost.
   */
  private static Path agentPrivateDirectory(Path workspace, String name) throws IOException {
    Path dir =
        Files.createDirectory(
            workspace.resolve(name),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.writeString(dir.resolve("content"), "half a write");
    return dir;
  }

  /**
   * A file of the agent's that only the agent may read, in the workspace: what tar would meet if a
   * race put a host file in its way.
   */
  private static Path agentOnlyFile(Path workspace, String name, String content)
      throws IOException {
    Path file = Files.writeString(workspace.resolve(name), content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  @Test
  void hibernationReadsNothingOfTheHostsThroughTheWorkspace() throws IOException {
    String secret = "host only " + UUID.randomUUID();
    Path hostFile = Files.writeString(workDir.resolve("host-secret"), secret);
    Files.setPosixFilePermissions(hostFile, PosixFilePermissions.fromString("rw-------"));
    try (Sandbox sandbox = join(pool.lease("shell"))) {
      run(sandbox, "ln -s " + hostFile + " link; echo mine > own; chmod 000 own");
      Path workspace = ((LocalSandbox) sandbox).workspace();
      Path agents = agentOnlyFile(workspace, "agents", secret);

      // tar may read what the sandbox locked for itself, but nothing that is not the sandbox's
      Throwable refused = catchThrowable(() -> join(sandbox.hibernate()));
      assertThat(refused).hasCauseInstanceOf(SandboxException.class);
      assertThat(((SandboxException) refused.getCause()).code()).isEqualTo("host_tool_failed");
      assertThat(refused.getCause()).hasMessageContaining("./agents: Cannot open");
      assertThat(sandbox.state()).isEqualTo(LEASED);

      Files.delete(agents);
      join(sandbox.hibernate());
      Path archive = workDir.resolve("hibernated").resolve(sandbox.id() + ".tar");
      // the link is archived as a link, never followed to the host's file
      assertThat(new String(Files.readAllBytes(archive), ISO_8859_1)).doesNotContain(secret);
      join(sandbox.resume());
      assertThat(run(sandbox, "readlink link")).isEqualTo(hostFile + "\n");
    } finally {
      Files.delete(hostFile);
    }
  }

  @Test
  void aStagingDirectoryInTheWorkspaceDoesNotFailHibernation() throws IOException {
    try (Sandbox sandbox = join(pool.lease("shell"))) {
      run(sandbox, "echo kept > notes; mkdir -p .af-tmp-mine && echo own > .af-tmp-mine/f");
      Path workspace = ((LocalSandbox) sandbox).workspace();
      // one where a write stages, and one the sandbox renamed (it may: the root is its own)
      agentPrivateDirectory(workspace, WorkspaceFiles.STAGING_PREFIX + UUID.randomUUID());
      agentPrivateDirectory(workspace, "renamed * [staging] \\ dir");

      join(sandbox.hibernate());

      assertThat(sandbox.state()).isEqualTo(HIBERNATED);
      join(sandbox.resume());
      assertThat(sandbox.state()).isEqualTo(LEASED);
      // the sandbox's own files are all back, a directory of its own named like a staging one
      // too; the agent's private directories are transient and were left out
      assertThat(run(sandbox, "cat notes .af-tmp-mine/f; ls -A | sort"))
          .isEqualTo("kept\nown\n.af-tmp-mine\nnotes\n");
    }
  }

  @Test
  void aWriteInFlightWhenHibernationStartsIsFinishedFirstAndKept() {
    try (Sandbox sandbox = join(pool.lease("shell"))) {
      byte[] content = new byte[64 << 20];
      Arrays.fill(content, (byte) 'w');

      // Large enough that tar would run while the write's staging directory is still there
      CompletableFuture<Void> write = sandbox.writeFile("big.bin", content).toCompletableFuture();
      CompletableFuture<Void> hibernated = sandbox.hibernate().toCompletableFuture();

      join(write);
      join(hibernated);
      assertThat(sandbox.state()).isEqualTo(HIBERNATED);
      join(sandbox.resume());
      // the write was answered before the archive was made, so the archive has it
      assertThat(join(sandbox.readFile("big.bin", content.length))).isEqualTo(content);
      assertThat(run(sandbox, "ls -A")).isEqualTo("big.bin\n");
    }
  }

  @Test
  void fileOperationsArrivingWhileItHibernatesWaitAndAreRefused() {
    try (Sandbox sandbox = join(pool.lease("shell"))) {
      // enough to archive that the operations below certainly arrive while tar runs
      run(sandbox, "head -c 100000000 /dev/urandom > data; echo before > notes");

      CompletableFuture<Void> hibernated = sandbox.hibernate().toCompletableFuture();
      CompletionStage<byte[]> read = sandbox.readFile("notes");
      CompletionStage<Void> write = sandbox.writeFile("late.txt", "late".getBytes(UTF_8));
      CompletionStage<List<FileEntry>> list = sandbox.listFiles("");

      join(hibernated);
      // never an answer from a workspace that is half archived or already unmounted, and never a
      // write reported done that the archive misses: refused like a command
      assertThat(failureCode(read)).isEqualTo("sandbox_hibernated");
      assertThat(failureCode(write)).isEqualTo("sandbox_hibernated");
      assertThat(failureCode(list)).isEqualTo("sandbox_hibernated");

      join(sandbox.resume());
      assertThat(run(sandbox, "cat notes; ls -A | sort")).isEqualTo("before\ndata\nnotes\n");
    }
  }

  @Test
  void fileOperationsThatWaitedForAFailedHibernationRunAsUsual() throws IOException {
    try (Sandbox sandbox = join(pool.lease("shell"))) {
      run(sandbox, "echo before > notes");
      // tar reads with no rights beyond the sandbox's over its own files: this fails the archive
      agentOnlyFile(((LocalSandbox) sandbox).workspace(), "unreadable", "x");

      CompletableFuture<Void> hibernated = sandbox.hibernate().toCompletableFuture();
      CompletionStage<Void> write = sandbox.writeFile("late.txt", "late".getBytes(UTF_8));
      CompletionStage<byte[]> read = sandbox.readFile("notes");

      assertThat(failureCode(hibernated)).isEqualTo("host_tool_failed");
      assertThat(sandbox.state()).isEqualTo(LEASED);
      join(write);
      assertThat(join(read)).isEqualTo("before\n".getBytes(UTF_8));
      assertThat(run(sandbox, "cat late.txt")).isEqualTo("late");
      assertThat(workDir.resolve("hibernated").resolve(sandbox.id() + ".tar")).doesNotExist();
    }
  }
}
