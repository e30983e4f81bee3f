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
import java.io.RandomAccessFile;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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

  /** What tail returned when it read the whole file: the oracle for the one that seeks. */
  private static String tailOfWholeFile(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    int from = Math.max(0, all.length - 2048);
    return new String(all, from, all.length - from, StandardCharsets.UTF_8).strip();
  }

  @Test
  void theTailOfAToolsStderrIsTheLast2KiBAsBefore() throws IOException {
    // 1-, 2-, 3- and 4-byte characters, 14 bytes a line: over 14 file lengths the cut falls on
    // every byte of each
    byte[] text = "a \u00e9 \u6570 \ud83d\ude00\n".repeat(400).getBytes(StandardCharsets.UTF_8);
    Path file = dir.resolve("stderr");
    for (int length = text.length - 13; length <= text.length; length++) {
      Files.write(file, Arrays.copyOf(text, length));
      assertThat(SandboxLauncher.tail(file))
          .as("length %d", length)
          .isEqualTo(tailOfWholeFile(file));
    }
    Files.writeString(file, "  short\n");
    assertThat(SandboxLauncher.tail(file)).isEqualTo("short");
    Files.writeString(file, "");
    assertThat(SandboxLauncher.tail(file)).isEmpty();
  }

  @Test
  void theTailOfAToolsStderrIsReadWithoutReadingTheRest() throws IOException {
    // Larger than any byte array: only a read of the end alone can succeed. Sparse, so cheap.
    byte[] end = ("a" + "\u00e9".repeat(2048) + "\n").getBytes(StandardCharsets.UTF_8);
    Path file = dir.resolve("stderr");
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(3L << 30);
      f.seek(f.length() - end.length);
      f.write(end);
    }

    // the cut falls inside an \u00e9, whose second byte decodes to U+FFFD
    assertThat(SandboxLauncher.tail(file)).isEqualTo("\ufffd" + "\u00e9".repeat(1023));
  }
}
