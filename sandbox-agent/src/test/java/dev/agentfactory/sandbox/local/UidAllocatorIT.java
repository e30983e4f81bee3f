package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.sandbox.SandboxException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host-wide uid claims, against other allocators in this JVM and other processes. Each test has a
 * private lock dir, so allocators of concurrent builds on the host cannot shift the uids expected.
 */
class UidAllocatorIT {

  private static final int BASE = 5000;
  private static final Set<PosixFilePermission> RWX_OWNER =
      PosixFilePermissions.fromString("rwx------");

  @TempDir Path tmp;
  private final List<Process> others = new ArrayList<>();

  @AfterEach
  void killOtherProcesses() throws InterruptedException {
    for (Process p : others) {
      p.destroyForcibly().waitFor();
    }
  }

  private Path lockDir() {
    return tmp.resolve("uids");
  }

  @Test
  void uidsComeFromTheRangeAndAreNotSharedWhileInUse() {
    UidAllocator uids = new UidAllocator(BASE, 2, lockDir());

    int a = uids.allocate();
    int b = uids.allocate();

    assertThat(a).isNotEqualTo(b);
    assertThat(a).isBetween(BASE, BASE + 1);
    assertThat(b).isBetween(BASE, BASE + 1);
  }

  @Test
  void exhaustedRangeFailsRetriably() {
    UidAllocator uids = new UidAllocator(BASE, 1, lockDir());
    uids.allocate();

    assertThatThrownBy(uids::allocate)
        .isInstanceOfSatisfying(
            SandboxException.class,
            e -> {
              assertThat(e.code()).isEqualTo("capacity_exhausted");
              assertThat(e.retriable()).isTrue();
            })
        .hasMessageContaining("uids")
        .hasMessageNotContaining("other pools");
  }

  @Test
  void releasedUidIsReusedOnlyAfterTheOthers() {
    UidAllocator uids = new UidAllocator(BASE, 3, lockDir());
    int first = uids.allocate();
    uids.release(first);

    assertThat(uids.allocate()).isEqualTo(BASE + 1);
    assertThat(uids.allocate()).isEqualTo(BASE + 2);
    assertThat(uids.allocate()).isEqualTo(first);
    assertThat(uids.inUse()).isEqualTo(3);
  }

  @Test
  void twoAllocatorsInOneJvmNeverHandOutTheSameUid() {
    UidAllocator a = new UidAllocator(BASE, 6, lockDir());
    UidAllocator b = new UidAllocator(BASE, 6, lockDir());
    Set<Integer> handedOut = new HashSet<>();

    for (int i = 0; i < 3; i++) {
      assertThat(handedOut.add(a.allocate())).isTrue();
      assertThat(handedOut.add(b.allocate())).isTrue();
    }

    assertThat(handedOut).hasSize(6);
    assertThatThrownBy(a::allocate)
        .isInstanceOfSatisfying(
            SandboxException.class, e -> assertThat(e.code()).isEqualTo("capacity_exhausted"))
        .hasMessageContaining("3 of them by other pools on this host");
  }

  @Test
  void uidReleasedByOneAllocatorInTheJvmGoesToAnotherAndStaysLockedHostWide() throws Exception {
    UidAllocator a = new UidAllocator(BASE, 1, lockDir());
    UidAllocator b = new UidAllocator(BASE, 1, lockDir());
    a.allocate();
    assertThatThrownBy(b::allocate).isInstanceOf(SandboxException.class);
    // b's attempt left a's lock in place
    assertThat(claimInOtherProcess(BASE, 1)).isEqualTo("exhausted");

    a.release(BASE);

    assertThat(b.allocate()).isEqualTo(BASE);
    // b's lock survived a's channel being closed: another process still cannot claim the uid
    assertThat(claimInOtherProcess(BASE, 1)).isEqualTo("exhausted");
  }

  @Test
  void uidHeldByAnotherProcessIsSkippedUntilThatProcessDies() throws Exception {
    assertThat(claimInOtherProcess(BASE, 3)).isEqualTo("claimed " + BASE);
    Process holder = others.get(0);
    UidAllocator uids = new UidAllocator(BASE, 3, lockDir());

    assertThat(uids.allocate()).isEqualTo(BASE + 1);
    assertThat(uids.allocate()).isEqualTo(BASE + 2);
    assertThatThrownBy(uids::allocate)
        .isInstanceOfSatisfying(
            SandboxException.class, e -> assertThat(e.code()).isEqualTo("capacity_exhausted"))
        .hasMessageContaining("1 of them by other pools on this host");

    holder.destroyForcibly().waitFor();

    assertThat(uids.allocate()).isEqualTo(BASE);
  }

  @Test
  void releasingAUidDropsItsHostWideLock() throws Exception {
    UidAllocator uids = new UidAllocator(BASE, 1, lockDir());
    int uid = uids.allocate();
    assertThat(claimInOtherProcess(BASE, 1)).isEqualTo("exhausted");

    uids.release(uid);

    assertThat(claimInOtherProcess(BASE, 1)).isEqualTo("claimed " + BASE);
    assertThatThrownBy(uids::allocate)
        .hasMessageContaining("1 of them by other pools on this host");
  }

  @Test
  void lockDirOthersCanWriteIsRefused() throws IOException {
    Files.createDirectories(lockDir());
    Files.setPosixFilePermissions(lockDir(), PosixFilePermissions.fromString("rwxrwxrwx"));
    UidAllocator uids = new UidAllocator(BASE, 1, lockDir());

    assertThatThrownBy(uids::allocate)
        .isInstanceOfSatisfying(
            SandboxException.class, e -> assertThat(e.code()).isEqualTo("dir_unusable"))
        .hasMessageContaining(lockDir().toString());
  }

  @Test
  void lockDirOfAnotherUserIsRefusedNamingItsOwnerAndTheFixUntilItIsGone() throws IOException {
    // Another local user got there first (in a world-writable tmp dir anyone can): claims in a
    // directory they own could be taken or blocked by them, so none is made there
    int self = PoolHost.currentUid();
    int squatter = self == 12345 ? 12346 : 12345;
    Files.createDirectory(lockDir(), PosixFilePermissions.asFileAttribute(RWX_OWNER));
    Files.setAttribute(lockDir(), "unix:uid", squatter);
    UidAllocator uids = new UidAllocator(BASE, 1, lockDir());

    assertThatThrownBy(uids::allocate)
        .isInstanceOfSatisfying(
            SandboxException.class,
            e -> {
              assertThat(e.code()).isEqualTo("dir_unusable");
              assertThat(e.retriable()).isFalse();
            })
        .hasMessageContaining(lockDir().toString())
        .hasMessageContaining("owned by uid " + squatter)
        .hasMessageContaining("not by uid " + self)
        .hasMessageContaining("remove it (as root: rm -r " + lockDir() + ")");
    try (var files = Files.list(lockDir())) {
      assertThat(files).isEmpty();
    }

    // Once the operator removed it, the same allocator makes its own and hands out uids again
    Files.delete(lockDir());
    assertThat(uids.allocate()).isEqualTo(BASE);
    assertThat(Files.getAttribute(lockDir(), "unix:uid")).isEqualTo(self);
  }

  @Test
  void lockDirOutsideRunIsNamedAfterTheAgentsUid() {
    Path noRun = tmp.resolve("no-run");

    assertThat(UidAllocator.defaultLockDir(noRun, tmp, 0))
        .isEqualTo(tmp.resolve("agent-factory-uids-0"));
    assertThat(UidAllocator.defaultLockDir(tmp, tmp.resolve("t"), 0))
        .isEqualTo(tmp.resolve("agent-factory").resolve("uids"));
  }

  @Test
  void interruptedAllocateStillClaimsAndKeepsTheInterrupt() throws Exception {
    // A claim never blocks (tryLock), and on Java 17 neither opening the lock file nor tryLock
    // looks at the interrupt, so an interrupt is left for the caller's next wait. Should a JDK make
    // them interruptible, the channel would be closed under the claim: this test then fails and
    // the claim must report the interrupt (retriable) instead of dir_unusable
    UidAllocator uids = new UidAllocator(BASE, 1, lockDir());

    Thread.currentThread().interrupt();
    int uid;
    try {
      uid = uids.allocate();
    } finally {
      assertThat(Thread.interrupted()).isTrue();
    }

    assertThat(uid).isEqualTo(BASE);
    assertThat(claimInOtherProcess(BASE, 1)).isEqualTo("exhausted");
  }

  /** Starts a JVM that claims a uid of the range and holds it; returns what it printed. */
  private String claimInOtherProcess(int base, int count) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                UidClaimer.class.getName(),
                lockDir().toString(),
                Integer.toString(base),
                Integer.toString(count))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    others.add(p);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    return line == null ? "exited " + p.onExit().join().exitValue() : line;
  }
}
