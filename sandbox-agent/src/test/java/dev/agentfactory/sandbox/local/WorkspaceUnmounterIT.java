package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.init.InitBinary;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pool's unmount helper against real tmpfs mounts (needs root, like the pool's disk cap). */
class WorkspaceUnmounterIT {

  private Path workDir;
  private Path workspaces;
  private ExecutorService spawner;
  private WorkspaceUnmounter unmounter;

  @BeforeEach
  void start() throws Exception {
    assumeThat(PoolHost.currentUid()).as("mounting a tmpfs needs root").isZero();
    workDir = ItDirs.workDir("unmount-");
    workspaces = workDir.resolve("workspaces");
    Files.createDirectories(workspaces);
    spawner = Executors.newSingleThreadExecutor();
    unmounter =
        WorkspaceUnmounter.start(InitBinary.extractLauncherTo(workDir), workspaces, spawner);
  }

  @AfterEach
  void stop() {
    if (unmounter != null) {
      unmounter.close();
      spawner.shutdown();
      assertThat(LeakCheck.mountsUnder(workDir)).isEmpty();
      SandboxLauncher.deleteTree(workDir);
    }
  }

  private Path mounted(String name) throws Exception {
    Path dir = Files.createDirectory(workspaces.resolve(name));
    SandboxLauncher.run(List.of("mount", "-t", "tmpfs", "af-test", dir.toString()), null, null);
    assertThat(SandboxLauncher.isMountPoint(dir)).isTrue();
    return dir;
  }

  @Test
  void unmountsAWorkspaceTmpfs() throws Exception {
    Path ws = mounted("sbx-1");

    assertThat(unmounter.unmount(ws)).isTrue();

    assertThat(SandboxLauncher.isMountPoint(ws)).isFalse();
  }

  @Test
  void aWorkspaceStillInUseIsDetachedInsteadOfStayingMounted() throws Exception {
    Path ws = mounted("sbx-5");
    // What a host file thread blocked on a FIFO in the workspace holds: an open directory
    try (DirectoryStream<Path> held = Files.newDirectoryStream(ws)) {

      assertThat(unmounter.unmount(ws)).isTrue();

      assertThat(SandboxLauncher.isMountPoint(ws)).isFalse();
      assertThat(LeakCheck.mountsUnder(ws)).isEmpty();
    }
  }

  @Test
  void refusesEverythingButADirectChildOfTheWorkspacesDir() throws Exception {
    Path ws = mounted("sbx-2");
    try {
      for (Path outside :
          List.of(workDir, workspaces, workspaces.resolve("sbx-2/sub"), Path.of("/tmp"))) {
        assertThatThrownBy(() -> unmounter.unmount(outside))
            .isInstanceOf(SandboxException.class)
            .hasMessageContaining("not a workspace below " + workspaces);
      }
      assertThatThrownBy(() -> unmounter.unmount(Path.of(workspaces + "/../workspaces/sbx-2")))
          .isInstanceOf(SandboxException.class)
          .hasMessageContaining("not a workspace below");
      assertThat(SandboxLauncher.isMountPoint(ws)).isTrue();
    } finally {
      unmounter.unmount(ws);
    }
  }

  @Test
  void aDirectoryThatIsNoMountFailsNamingTheKernelsReason() throws Exception {
    Path plain = Files.createDirectory(workspaces.resolve("sbx-3"));

    assertThatThrownBy(() -> unmounter.unmount(plain))
        .isInstanceOf(SandboxException.class)
        .satisfies(e -> assertThat(((SandboxException) e).code()).isEqualTo("cleanup_failed"))
        .hasMessageContaining("Invalid argument");
  }

  @Test
  void onceClosedItDeclinesSoTheCallerFallsBack() throws Exception {
    Path ws = mounted("sbx-4");
    unmounter.close();

    assertThat(unmounter.unmount(ws)).isFalse();
    assertThat(SandboxLauncher.isMountPoint(ws)).isTrue();

    SandboxLauncher.run(List.of("umount", ws.toString()), null, null);
  }
}
