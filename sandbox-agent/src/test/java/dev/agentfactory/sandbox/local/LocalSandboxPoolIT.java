package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.PoolStats;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxEvent;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.SandboxState;
import dev.agentfactory.sandbox.driver.Isolation;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The warm pool against real bubblewrap sandboxes. */
class LocalSandboxPoolIT {

  private static final int UID_BASE = 320_000;
  private static final int UID_COUNT = 50;
  private static final Duration PATIENCE = Duration.ofSeconds(15);

  private LocalSandboxPool pool;
  private Path workDir;

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close();
      LeakCheck.assertNothingLeftBy(workDir, UID_BASE, UID_COUNT);
    }
  }

  private LocalSandboxPool pool(int warmTarget) {
    workDir = ItDirs.workDir("pool-");
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withUidRange(UID_BASE, UID_COUNT)
                .withWarmTarget("shell", warmTarget));
    return pool;
  }

  private boolean readyReaches(int n) {
    return HostProcesses.eventually(PATIENCE, () -> pool.stats().ready().get("shell") == n);
  }

  @Test
  void leaseHandsOverAWarmReadySandboxAtOnce() {
    pool(2);
    assertThat(readyReaches(2)).isTrue();

    CompletableFuture<Sandbox> lease = pool.lease("shell").toCompletableFuture();

    assertThat(lease).isDone();
    try (Sandbox sandbox = lease.join()) {
      assertThat(sandbox.isAlive()).isTrue();
      assertThat(sandbox.template()).isEqualTo("shell");
      assertThat(
              sandbox.exec(ExecRequest.shell("true"), null).toCompletableFuture().join().exitCode())
          .isZero();
    }
  }

  @Test
  void poolRefillsToTargetAfterLeases() {
    pool(2);
    assertThat(readyReaches(2)).isTrue();

    Sandbox a = pool.lease("shell").toCompletableFuture().join();
    Sandbox b = pool.lease("shell").toCompletableFuture().join();

    assertThat(readyReaches(2)).isTrue();
    PoolStats stats = pool.stats();
    assertThat(stats.isolation()).isEqualTo("namespace");
    assertThat(stats.leased()).containsEntry("shell", 2);
    assertThat(stats.target()).containsEntry("shell", 2);
    a.close();
    b.close();
    assertThat(pool.stats().leased()).containsEntry("shell", 0);
    assertThat(pool.stats().ready()).containsEntry("shell", 2);
  }

  @Test
  void aLeasedSandboxIsNeverHandedOutAgain() {
    pool(2);
    Set<String> seen = new HashSet<>();

    for (int i = 0; i < 6; i++) {
      Sandbox sandbox = pool.lease("shell").toCompletableFuture().join();
      assertThat(seen.add(sandbox.id())).as("fresh id %s", sandbox.id()).isTrue();
      sandbox.close();
      assertThat(sandbox.isAlive()).isFalse();
    }
  }

  @Test
  void emptyPoolStartsASandboxOnDemand() {
    pool(0);

    try (Sandbox sandbox = pool.lease("shell").toCompletableFuture().join()) {
      assertThat(sandbox.isAlive()).isTrue();
      assertThat(pool.stats().ready()).containsEntry("shell", 0);
      assertThat(pool.stats().leased()).containsEntry("shell", 1);
    }
  }

  @Test
  void twoPoolsWithTheSameUidRangeRunTheirSandboxesAsDifferentUids() {
    pool(0);
    Path otherDir = ItDirs.workDir("pool-other-");
    LocalSandboxPool other =
        new LocalSandboxPool(
            SandboxConfig.defaults(otherDir)
                .withUidRange(UID_BASE, UID_COUNT)
                .withWarmTarget("shell", 0));
    try (LocalSandbox mine = (LocalSandbox) pool.lease("shell").toCompletableFuture().join();
        LocalSandbox theirs = (LocalSandbox) other.lease("shell").toCompletableFuture().join()) {
      assertThat(mine.uid()).isNotEqualTo(theirs.uid());
      assertThat(HostProcesses.ownedBy(mine.uid()))
          .as("processes of uid %d", mine.uid())
          .isNotEmpty();
      assertThat(HostProcesses.ownedBy(theirs.uid()))
          .as("processes of uid %d", theirs.uid())
          .isNotEmpty();
    } finally {
      other.close();
    }
    LeakCheck.assertNothingLeftBy(otherDir, UID_BASE, UID_COUNT);
  }

  /** Whether some thread waits for {@code lock}'s monitor. */
  private static boolean someThreadBlockedOn(Object lock) {
    int id = System.identityHashCode(lock);
    return Arrays.stream(ManagementFactory.getThreadMXBean().dumpAllThreads(false, false))
        .anyMatch(
            t ->
                t.getThreadState() == Thread.State.BLOCKED
                    && t.getLockInfo() != null
                    && t.getLockInfo().getIdentityHashCode() == id);
  }

  /**
   * Leases while the only warm sandbox is terminated (as the max-lifetime sweep would) between the
   * lease taking it and handing it over: the lease waits for the sandbox's lock in customise(),
   * held here while the sandbox is closed.
   */
  private void leaseRacingATermination(LeaseOptions options) {
    pool(1);
    assertThat(readyReaches(1)).isTrue();
    LocalSandbox doomed = pool.warm("shell").get(0);
    CompletableFuture<Sandbox> lease = new CompletableFuture<>();
    Thread leaser =
        new Thread(
            () ->
                pool.lease("shell", options)
                    .whenComplete(
                        (sandbox, error) -> {
                          if (error != null) {
                            lease.completeExceptionally(error);
                          } else {
                            lease.complete(sandbox);
                          }
                        }));
    synchronized (doomed) {
      leaser.start();
      assertThat(HostProcesses.eventually(PATIENCE, () -> someThreadBlockedOn(doomed))).isTrue();
      doomed.closeWith(SandboxEvent.MAX_LIFETIME);
    }

    try (Sandbox sandbox = lease.join()) {
      assertThat(sandbox).isNotSameAs(doomed);
      assertThat(sandbox.isAlive()).isTrue();
      assertThat(sandbox.state()).isEqualTo(SandboxState.LEASED);
      assertThat(pool.stats().leased()).containsEntry("shell", 1);
    }
    assertThat(doomed.state()).isEqualTo(SandboxState.TERMINATED);
    assertThat(pool.stats().leased()).containsEntry("shell", 0);
  }

  @Test
  void aWarmSandboxTerminatedDuringItsLeaseIsReplacedNotHandedOver() {
    leaseRacingATermination(LeaseOptions.NONE);
  }

  @Test
  void aWarmSandboxTerminatedWhileItsLeaseFilesAreWrittenIsReplaced() {
    leaseRacingATermination(LeaseOptions.NONE.withFiles(Map.of("task.txt", "do it")));
  }

  @Test
  void concurrentLeasesBeyondTheWarmSetAllSucceed() {
    pool(1);
    List<CompletableFuture<Sandbox>> leases =
        IntStream.range(0, 5).mapToObj(i -> pool.lease("shell").toCompletableFuture()).toList();

    List<Sandbox> sandboxes = new ArrayList<>();
    leases.forEach(l -> sandboxes.add(l.join()));

    assertThat(sandboxes).extracting(Sandbox::id).doesNotHaveDuplicates();
    sandboxes.forEach(Sandbox::close);
  }

  @Test
  void unknownTemplateFailsWithItsCode() {
    pool(0);

    assertThatThrownBy(() -> pool.lease("gpu").toCompletableFuture().join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOfSatisfying(
            SandboxException.class, e -> assertThat(e.code()).isEqualTo("unknown_template"));
  }

  @Test
  void closingThePoolTerminatesWarmAndLeasedSandboxes() {
    pool(2);
    LocalSandbox leased = (LocalSandbox) pool.lease("shell").toCompletableFuture().join();
    assertThat(readyReaches(2)).isTrue();

    pool.close();

    assertThat(leased.isAlive()).isFalse();
    assertThat(pool.liveCount()).isZero();
    for (int uid = UID_BASE; uid < UID_BASE + UID_COUNT; uid++) {
      assertThat(HostProcesses.ownedBy(uid)).as("processes of uid %d", uid).isEmpty();
    }
    assertThatThrownBy(() -> pool.lease("shell").toCompletableFuture().join())
        .cause()
        .isInstanceOfSatisfying(
            SandboxException.class, e -> assertThat(e.code()).isEqualTo("pool_closed"));
  }

  @Test
  void missingBubblewrapFailsNamingThePackage() {
    Path workDir = ItDirs.workDir("nobwrap-");
    SandboxConfig config =
        SandboxConfig.defaults(workDir).withBwrapPath(Path.of("/nonexistent/bwrap"));

    assertThatThrownBy(() -> new LocalSandboxPool(config))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("apt-get install bubblewrap");
  }

  @Test
  void processIsolationRunsTheSameInitWithoutNamespaces() {
    workDir = ItDirs.workDir("proc-");
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withIsolation(Isolation.PROCESS)
                .withWarmTarget("shell", 1));
    CollectingListener out = new CollectingListener();

    LocalSandbox sandbox = (LocalSandbox) pool.lease("shell").toCompletableFuture().join();
    sandbox.exec(ExecRequest.shell("echo hi; pwd"), out).toCompletableFuture().join();
    sandbox.close();

    assertThat(out.stdout()).isEqualTo("hi\n" + sandbox.workspace() + "\n");
    assertThat(pool.stats().isolation()).isEqualTo("process");
    assertThat(sandbox.workspace()).doesNotExist();
    assertThat(HostProcesses.exists(sandbox.hostPid())).isFalse();
  }

  @Test
  void vmIsolationIsUnavailableHereWithAClearReason() {
    workDir = ItDirs.workDir("vm-");

    assertThatThrownBy(
            () -> new LocalSandboxPool(SandboxConfig.defaults(workDir).withIsolation(Isolation.VM)))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("vm isolation is unavailable")
        .hasMessageMatching("(?s).*(/dev/kvm|VMM|not implemented).*");
  }
}
