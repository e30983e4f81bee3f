package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.cgroup.LimitCounters;
import dev.agentfactory.sandbox.cgroup.SandboxCgroup;
import dev.agentfactory.sandbox.driver.Capabilities;
import dev.agentfactory.sandbox.driver.Isolation;
import dev.agentfactory.sandbox.driver.IsolationDriver;
import dev.agentfactory.sandbox.driver.LaunchSpec;
import dev.agentfactory.sandbox.egress.EgressGate;
import dev.agentfactory.sandbox.egress.EgressPolicy;
import dev.agentfactory.sandbox.egress.EgressProxy;
import java.io.IOException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxLauncherTest {

  @TempDir Path dir;

  private final EgressProxy egressProxy = new EgressProxy();

  @AfterEach
  void closeProxy() {
    egressProxy.close();
  }

  private static SandboxLauncher launcher() {
    IsolationDriver driver =
        new IsolationDriver() {
          @Override
          public Isolation isolation() {
            throw new UnsupportedOperationException();
          }

          @Override
          public boolean usesUidPerSandbox() {
            return false;
          }

          @Override
          public Capabilities capabilities() {
            throw new UnsupportedOperationException();
          }

          @Override
          public Process launch(LaunchSpec spec) {
            throw new UnsupportedOperationException();
          }
        };
    return new SandboxLauncher(
        driver, null, 0, null, null, null, null, false, null, null, null, null, null, null, null,
        null);
  }

  /** A cgroup whose removal fails with {@code failure}. */
  private static SandboxCgroup failingCgroup(SandboxException failure) {
    return new SandboxCgroup() {
      @Override
      public List<Path> procsFiles() {
        return List.of();
      }

      @Override
      public void freeze() {}

      @Override
      public void thaw() {}

      @Override
      public LimitCounters counters() {
        return LimitCounters.NONE;
      }

      @Override
      public long memoryBytes() {
        return 0;
      }

      @Override
      public void destroy() {
        throw failure;
      }
    };
  }

  /**
   * An incarnation with a workspace, a log and an egress socket whose directory cannot be deleted:
   * the directory holding it has been replaced by a file (ENOTDIR, which stops root too).
   */
  private Incarnation withUndeletableEgressDir(SandboxCgroup cgroup) throws IOException {
    Path egressDirs = Files.createDirectories(dir.resolve("egress"));
    Path egressDir = Files.createDirectory(egressDirs.resolve("sbx-1"));
    EgressProxy.Endpoint egress =
        egressProxy.open(
            egressDir.resolve(SandboxLauncher.SOCKET),
            -1,
            new EgressGate(
                "sbx-1",
                EgressPolicy.NONE,
                host -> {
                  throw new UnknownHostException(host);
                },
                decision -> {}));
    Files.move(egressDirs, dir.resolve("egress-moved"));
    Files.createFile(egressDirs);
    Path workspace = Files.createDirectory(dir.resolve("workspace"));
    Files.writeString(workspace.resolve("notes.txt"), "left behind?");
    Path log = Files.writeString(dir.resolve("sbx-1.log"), "log");
    return new Incarnation(0, workspace, false, cgroup, null, log, egress);
  }

  @Test
  void aFailedEgressDirRemovalStillRemovesTheWorkspaceAndLog() throws IOException {
    Incarnation inc = withUndeletableEgressDir(null);

    assertThatThrownBy(() -> launcher().destroy(inc, null))
        .isInstanceOfSatisfying(
            SandboxException.class, e -> assertThat(e.code()).isEqualTo("cleanup_failed"));

    assertThat(inc.workspace()).doesNotExist();
    assertThat(inc.log()).doesNotExist();
  }

  @Test
  void aFailedEgressDirRemovalKeepsTheFirstFailure() throws IOException {
    SandboxException cgroupFailure = new SandboxException("cleanup_failed", "cgroup busy", false);
    Incarnation inc = withUndeletableEgressDir(failingCgroup(cgroupFailure));

    assertThatThrownBy(() -> launcher().destroy(inc, null)).isSameAs(cgroupFailure);

    assertThat(inc.workspace()).doesNotExist();
    assertThat(inc.log()).doesNotExist();
  }
}
