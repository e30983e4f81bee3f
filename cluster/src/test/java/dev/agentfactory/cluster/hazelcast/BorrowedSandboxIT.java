package dev.agentfactory.cluster.hazelcast;

import static dev.agentfactory.cluster.hazelcast.DistributedPoolIT.awaitAdvertised;
import static dev.agentfactory.cluster.hazelcast.DistributedPoolIT.join;
import static dev.agentfactory.cluster.hazelcast.DistributedPoolIT.output;
import static dev.agentfactory.cluster.hazelcast.TestCluster.await;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import dev.agentfactory.cluster.hazelcast.PoolNodes.Node;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.lease.LeaseFencedException;
import dev.agentfactory.cluster.pool.PooledSandbox;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.SandboxState;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A sandbox borrowed from another member, used through {@link RemoteSandbox}: streamed output,
 * lifecycle and file calls forwarded to its host, and fencing of stale holders. Real members, real
 * sandbox processes.
 */
class BorrowedSandboxIT {

  private final PoolNodes nodes = new PoolNodes(2);

  @AfterEach
  void stop() {
    nodes.close();
  }

  /** {@code a} has no stock, {@code c} has some: a lease on {@code a} borrows from {@code c}. */
  private record Pair(Node a, Node c) {}

  private Pair borrowerAndHost(int hostStock) {
    Node a = nodes.start(0);
    Node c = nodes.start(hostStock);
    await(
        Duration.ofSeconds(30),
        "the host's pool is warm",
        () -> c.sandboxes().stats().ready().getOrDefault("shell", 0) >= hostStock);
    awaitAdvertised(a, c, hostStock);
    return new Pair(a, c);
  }

  private static PooledSandbox borrow(Pair pair, String session) {
    PooledSandbox leased = join(pair.a().pool().lease(session, "acme", "shell"));
    assertThat(leased.borrowed()).isTrue();
    assertThat(leased.hostNode()).isEqualTo(pair.c().id());
    return leased;
  }

  @Test
  void borrowedOutputReachesTheListenerWhileTheCommandStillRuns() {
    Pair pair = borrowerAndHost(1);
    PooledSandbox leased = borrow(pair, "s-stream");
    Chunks chunks = new Chunks();

    CompletableFuture<ExecResult> running =
        leased
            .sandbox()
            .exec(
                ExecRequest.shell(
                    "echo first; while [ ! -f go ]; do sleep 0.02; done; echo second; echo e >&2"),
                chunks)
            .toCompletableFuture();

    await(
        Duration.ofSeconds(10), "the first chunk arrives", () -> chunks.stdout().contains("first"));
    // the command cannot end before the file exists: the chunk was streamed, not sent at the end
    assertThat(running).isNotDone();
    join(leased.sandbox().writeFile("go", new byte[0]));
    ExecResult result = join(running);

    assertThat(result.status()).isEqualTo(ExecResult.Status.EXITED);
    assertThat(result.exitCode()).isZero();
    assertThat(chunks.stdout()).isEqualTo("first\nsecond\n");
    assertThat(chunks.stderr()).isEqualTo("e\n");
    assertThat(ExecStreams.of(hazelcast(pair.a())).size()).as("no stream left open").isZero();
  }

  @Test
  void streamedOutputKeepsItsOrderAcrossManyBatches() {
    Pair pair = borrowerAndHost(1);
    PooledSandbox leased = borrow(pair, "s-order");
    Chunks chunks = new Chunks();
    int lines = 200_000; // ~1.3 MB: many more bytes than one batch may hold back

    ExecResult result =
        join(
            leased
                .sandbox()
                .exec(
                    new ExecRequest(
                        List.of("/bin/sh", "-c", "seq 1 " + lines + "; echo done >&2"),
                        Map.of(),
                        Duration.ofSeconds(60),
                        8L << 20),
                    chunks));

    assertThat(result.status()).isEqualTo(ExecResult.Status.EXITED);
    assertThat(result.truncated()).isFalse();
    String expected =
        IntStream.rangeClosed(1, lines).mapToObj(Integer::toString).collect(joinLines());
    assertThat(chunks.stdout()).isEqualTo(expected);
    assertThat(chunks.stderr()).isEqualTo("done\n");
    assertThat(chunks.count()).as("streamed in many chunks").isGreaterThan(1);
  }

  @Test
  void aListenerThatBlocksHoldsTheCommandBackInsteadOfBufferingItsOutput() throws Exception {
    Pair pair = borrowerAndHost(1);
    PooledSandbox leased = borrow(pair, "s-slow");
    CountDownLatch release = new CountDownLatch(1);
    AtomicLong received = new AtomicLong();
    OutputListener blocked =
        (stream, chunk) -> {
          received.addAndGet(chunk.length);
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    int total = 5_000_000; // far more than the host holds back, the pipes included

    CompletableFuture<ExecResult> running =
        leased
            .sandbox()
            .exec(
                new ExecRequest(
                    List.of("/bin/sh", "-c", "head -c " + total + " /dev/zero; touch done"),
                    Map.of(),
                    Duration.ofSeconds(60),
                    8L << 20),
                blocked)
            .toCompletableFuture();
    await(Duration.ofSeconds(10), "the first chunk arrives", () -> received.get() > 0);

    // unbounded buffering would let the command finish in well under these 2 s
    long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (System.nanoTime() < until) {
      assertThat(join(leased.sandbox().listFiles("")))
          .as("the command is held back while its listener blocks")
          .extracting(FileEntry::name)
          .doesNotContain("done");
    }
    assertThat(running).isNotDone();
    release.countDown();

    ExecResult result = join(running);
    assertThat(result.exitCode()).isZero();
    assertThat(received.get()).isEqualTo(total);
    assertThat(join(leased.sandbox().listFiles(""))).extracting(FileEntry::name).contains("done");
  }

  @Test
  void outputCapAndTimeoutBehaveAsOnALocalSandbox() {
    Pair pair = borrowerAndHost(2);
    PooledSandbox leased = borrow(pair, "s-limits");
    PooledSandbox local = join(pair.c().pool().lease("s-local", "acme", "shell"));
    assertThat(local.borrowed()).isFalse();
    ExecRequest capped =
        new ExecRequest(
            List.of("/bin/sh", "-c", "seq 1 100000; exit 3"),
            Map.of(),
            Duration.ofSeconds(30),
            1000);
    ExecRequest slow =
        new ExecRequest(
            List.of("/bin/sh", "-c", "echo started; sleep 30"),
            Map.of(),
            Duration.ofMillis(700),
            1000);

    for (ExecRequest request : List.of(capped, slow)) {
      Chunks remote = new Chunks();
      Chunks here = new Chunks();
      ExecResult remoteResult = join(leased.sandbox().exec(request, remote));
      ExecResult localResult = join(local.sandbox().exec(request, here));

      assertThat(remoteResult.status()).isEqualTo(localResult.status());
      assertThat(remoteResult.exitCode()).isEqualTo(localResult.exitCode());
      assertThat(remoteResult.truncated()).isEqualTo(localResult.truncated());
      assertThat(remote.stdout()).isEqualTo(here.stdout());
    }
    Chunks last = new Chunks();
    ExecResult cappedResult = join(leased.sandbox().exec(capped, last));
    assertThat(cappedResult.truncated()).isTrue();
    assertThat(cappedResult.exitCode()).isEqualTo(3);
    assertThat(last.stdout().getBytes(UTF_8)).hasSize(1000);
    ExecResult timedOut = join(leased.sandbox().exec(slow, new Chunks()));
    assertThat(timedOut.status()).isEqualTo(ExecResult.Status.TIMEOUT);
  }

  @Test
  void aListenerThatThrowsFailsTheCommandAndTheHostKillsIt() {
    Pair pair = borrowerAndHost(1);
    PooledSandbox leased = borrow(pair, "s-listener");
    OutputListener throwing =
        (stream, chunk) -> {
          throw new IllegalStateException("client went away");
        };

    CompletionStage<ExecResult> failing =
        leased
            .sandbox()
            .exec(
                new ExecRequest(
                    List.of(
                        "/bin/sh",
                        "-c",
                        "echo a; while [ ! -f go ]; do sleep 0.02; done; echo b; sleep 600; echo c"),
                    Map.of(),
                    Duration.ofSeconds(900),
                    ExecRequest.DEFAULT_MAX_OUTPUT_BYTES),
                throwing);

    assertThatThrownBy(() -> join(failing))
        .isInstanceOfSatisfying(
            SandboxException.class, e -> assertThat(e.code()).isEqualTo("listener_failed"));
    // the next chunk tells the host to kill the command: the next command then runs at once,
    // not after the first one's 600 s sleep or 900 s timeout
    join(leased.sandbox().writeFile("go", new byte[0]));
    assertTheNextCommandRuns(leased);
    assertThat(ExecStreams.of(hazelcast(pair.a())).size()).isZero();
  }

  @Test
  void cancellingABorrowedCommandKillsItOnItsHost() {
    Pair pair = borrowerAndHost(1);
    PooledSandbox leased = borrow(pair, "s-cancel");
    // silent: no output the borrower could refuse, which would make the host kill it anyway
    CompletableFuture<ExecResult> running =
        leased
            .sandbox()
            .exec(
                new ExecRequest(
                    List.of("/bin/sh", "-c", "touch started; sleep 600"),
                    Map.of(),
                    Duration.ofSeconds(900),
                    1000),
                OutputListener.IGNORE)
            .toCompletableFuture();
    await(
        Duration.ofSeconds(10),
        "the command runs on the host",
        () ->
            join(leased.sandbox().listFiles("")).stream()
                .anyMatch(f -> f.name().equals("started")));
    assertThat(lender(pair.c()).runningCommands()).isOne();

    assertThat(running.cancel(true)).isTrue();

    // far less than the command's 600 s sleep: it was stopped, not waited for
    await(
        Duration.ofSeconds(60),
        "the host stopped the command",
        () -> lender(pair.c()).runningCommands() == 0);
    assertThat(ExecStreams.of(hazelcast(pair.a())).size()).as("no stream left open").isZero();
    // the next command runs once the cancelled one's process is dead, not after its 600 s
    assertTheNextCommandRuns(leased);
  }

  @Test
  void aCancelThatOvertakesItsCommandStopsItAndAStaleOneStopsNothing() {
    Pair pair = borrowerAndHost(1);
    PooledSandbox leased = borrow(pair, "s-cancel-early");
    Lease lease = leased.lease();
    HazelcastInstance borrower = hazelcast(pair.a());
    var host = NodeIds.member(borrower.getCluster(), pair.c().id());
    var control = borrower.getExecutorService(HazelcastConfigs.CONTROL_EXECUTOR);
    var loans = borrower.getExecutorService(HazelcastConfigs.LOAN_EXECUTOR);
    ExecStreams.of(borrower).open("early", OutputListener.IGNORE);
    ExecStreams.of(borrower).open("stale", OutputListener.IGNORE);

    // A cancel with another lease's token is not kept for later: the command it names still runs
    PoolTasks.CancelExec stale =
        new PoolTasks.CancelExec(lease.sandboxId(), lease.fencingToken() + 1, "stale");
    assertThat(join(Failures.task(control.submitToMember(stale, host)))).isFalse();
    ExecReply ran =
        join(
            Failures.task(
                loans.submitToMember(
                    new PoolTasks.Exec(
                        lease.sandboxId(),
                        lease.fencingToken(),
                        "stale",
                        List.of("/bin/sh", "-c", "exit 7"),
                        Map.of(),
                        Duration.ofSeconds(30),
                        1000),
                    host)));
    assertThat(ran.exitCode()).as("the command ran to its own end").isEqualTo(7);
    PoolTasks.CancelExec early =
        new PoolTasks.CancelExec(lease.sandboxId(), lease.fencingToken(), "early");
    assertThat(join(Failures.task(control.submitToMember(early, host))))
        .as("nothing runs yet")
        .isFalse();
    PoolTasks.Exec exec =
        new PoolTasks.Exec(
            lease.sandboxId(),
            lease.fencingToken(),
            "early",
            List.of("/bin/sh", "-c", "sleep 600"),
            Map.of(),
            Duration.ofSeconds(900),
            1000);

    CompletableFuture<ExecReply> reply = Failures.task(loans.submitToMember(exec, host));
    assertThatThrownBy(reply::join)
        .rootCause()
        .isInstanceOfSatisfying(
            SandboxException.class, e -> assertThat(e.code()).isEqualTo("exec_cancelled"));
    assertThat(lender(pair.c()).runningCommands()).isZero();
    assertTheNextCommandRuns(leased);
  }

  /**
   * Commands run one at a time: the next one runs once the one before has ended. Bounded well below
   * the 30 s or more of the commands the tests stop, which it would otherwise wait behind.
   */
  private static void assertTheNextCommandRuns(PooledSandbox leased) {
    Chunks next = new Chunks();
    ExecResult result =
        join(
            leased
                .sandbox()
                .exec(ExecRequest.shell("echo next"), next)
                .toCompletableFuture()
                .orTimeout(60, java.util.concurrent.TimeUnit.SECONDS));
    assertThat(result.exitCode()).isZero();
    assertThat(next.stdout()).isEqualTo("next\n");
  }

  /** Holds one thread of the executor it runs on until {@link #RELEASE} opens. */
  static final class Occupy
      implements java.util.concurrent.Callable<Boolean>, java.io.Serializable {
    private static final long serialVersionUID = 1L;
    static volatile CountDownLatch RELEASE = new CountDownLatch(1);
    static final java.util.concurrent.atomic.AtomicInteger RUNNING =
        new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public Boolean call() throws Exception {
      RUNNING.incrementAndGet();
      try {
        return RELEASE.await(2, java.util.concurrent.TimeUnit.MINUTES);
      } finally {
        RUNNING.decrementAndGet();
      }
    }
  }

  @Test
  void borrowAndReturnDoNotWaitBehindTheHostsLongCommands() {
    Pair pair = borrowerAndHost(1);
    // every af.loans thread of the host busy, as with 32 long commands on lent sandboxes
    Occupy.RELEASE = new CountDownLatch(1);
    var loans = hazelcast(pair.a()).getExecutorService(HazelcastConfigs.LOAN_EXECUTOR);
    var member = hazelcast(pair.c()).getCluster().getLocalMember();
    List<java.util.concurrent.Future<Boolean>> busy =
        IntStream.range(0, 40).mapToObj(i -> loans.submitToMember(new Occupy(), member)).toList();
    try {
      await(
          Duration.ofSeconds(30),
          "the host's af.loans threads are all busy",
          () -> Occupy.RUNNING.get() == 32);

      PooledSandbox leased = borrow(pair, "s-busy");
      join(leased.sandbox().writeFile("f", "x".getBytes(UTF_8)));
      assertThat(new String(join(leased.sandbox().readFile("f", 10)), UTF_8)).isEqualTo("x");
      join(pair.a().pool().release(leased));
      assertThat(lender(pair.c()).size()).as("returned while the commands still run").isZero();
      assertThat(Occupy.RUNNING.get()).isEqualTo(32);
    } finally {
      Occupy.RELEASE.countDown();
      busy.forEach(f -> f.cancel(true));
    }
  }

  @Test
  void fileCallsAreForwardedToTheHost() {
    Pair pair = borrowerAndHost(1);
    PooledSandbox leased = borrow(pair, "s-files");
    Sandbox sandbox = leased.sandbox();

    join(sandbox.writeFile("src/main.py", "print(1)\n".getBytes(UTF_8)));

    assertThat(output(leased, "cat src/main.py")).isEqualTo("print(1)\n");
    output(leased, "mkdir -p out && printf 42 > out/r.txt");
    assertThat(new String(join(sandbox.readFile("/workspace/out/r.txt")), UTF_8)).isEqualTo("42");
    List<FileEntry> root = join(sandbox.listFiles(""));
    assertThat(root)
        .extracting(FileEntry::name, FileEntry::type)
        .contains(
            org.assertj.core.groups.Tuple.tuple("src", FileEntry.Type.DIRECTORY),
            org.assertj.core.groups.Tuple.tuple("out", FileEntry.Type.DIRECTORY));
    FileEntry main = join(sandbox.listFiles("src")).get(0);
    assertThat(main.path()).isEqualTo("src/main.py");
    assertThat(main.size()).isEqualTo(9);
    assertThat(failureCode(sandbox.readFile("../x"))).isEqualTo("path_outside_workspace");
    assertThat(failureCode(sandbox.readFile("missing.txt"))).isEqualTo("file_not_found");
    assertThat(failureCode(sandbox.readFile("out/r.txt", 1))).isEqualTo("file_too_large");
  }

  @Test
  void pauseResumeAndHibernateAreForwardedToTheHost() {
    Pair pair = borrowerAndHost(1);
    HostStates host = new HostStates();
    pair.c().sandboxes().addListener(host);
    PooledSandbox leased = borrow(pair, "s-life");
    Sandbox sandbox = leased.sandbox();
    join(sandbox.writeFile("kept.txt", "kept".getBytes(UTF_8)));

    if (!pair.c().sandboxes().capabilities().pause()) {
      // no cgroup freezer on this host: the borrower gets the host's own typed refusal
      assertThat(failureCode(sandbox.pause())).isEqualTo("unsupported");
      return;
    }
    join(sandbox.pause());

    assertThat(sandbox.state()).isEqualTo(SandboxState.PAUSED);
    awaitHostState(host, sandbox, SandboxState.PAUSED);
    assertThat(failureCode(sandbox.exec(ExecRequest.shell("true"), OutputListener.IGNORE)))
        .isEqualTo("sandbox_paused");
    assertThat(new String(join(sandbox.readFile("kept.txt")), UTF_8))
        .as("files work while paused")
        .isEqualTo("kept");

    join(sandbox.resume());

    assertThat(sandbox.state()).isEqualTo(SandboxState.LEASED);
    awaitHostState(host, sandbox, SandboxState.LEASED);
    assertThat(output(leased, "cat kept.txt")).isEqualTo("kept");

    if (!pair.c().sandboxes().capabilities().hibernateWorkspace()) {
      assertThat(failureCode(sandbox.hibernate())).isEqualTo("unsupported");
      return;
    }
    join(sandbox.hibernate());

    assertThat(sandbox.state()).isEqualTo(SandboxState.HIBERNATED);
    awaitHostState(host, sandbox, SandboxState.HIBERNATED);
    assertThat(failureCode(sandbox.readFile("kept.txt"))).isEqualTo("sandbox_hibernated");

    join(sandbox.resume());

    assertThat(sandbox.state()).isEqualTo(SandboxState.LEASED);
    assertThat(output(leased, "cat kept.txt")).as("the workspace came back").isEqualTo("kept");
  }

  @Test
  void aStaleHolderIsRefusedByTheHost() {
    Pair pair = borrowerAndHost(1);
    PooledSandbox leased = borrow(pair, "s-fence");
    RemoteSandbox holder = (RemoteSandbox) leased.sandbox();
    Lease current = leased.lease();
    Lease older =
        new Lease(
            "an-earlier-lease",
            current.fencingToken() - 1,
            current.ownerNode(),
            current.sandboxId(),
            "s-earlier",
            current.template(),
            current.grantedAt(),
            current.expiresAt());
    RemoteSandbox stale = remote(pair.a(), holder, older);

    assertFenced(stale, older);
    assertThat(output(leased, "echo still mine")).isEqualTo("still mine\n");
    assertThat(pair.c().pool().counters().lentSandboxes()).isEqualTo(1);

    join(pair.a().pool().release(leased));
    RemoteSandbox returned = remote(pair.a(), holder, current);

    assertFenced(returned, current);
  }

  @Test
  void aCommandStreamingWhenItsHostDiesFailsAsLost() {
    Pair pair = borrowerAndHost(1);
    PooledSandbox leased = borrow(pair, "s-host-dies");
    Chunks chunks = new Chunks();
    CompletableFuture<ExecResult> running =
        leased.sandbox().exec(ExecRequest.shell("echo up; sleep 60"), chunks).toCompletableFuture();
    await(Duration.ofSeconds(10), "the first chunk arrives", () -> chunks.stdout().contains("up"));

    CompletableFuture<String> ended = leased.sandbox().whenTerminated().toCompletableFuture();
    TestCluster.terminate(pair.c().cluster());

    assertThatThrownBy(() -> join(running.orTimeout(15, java.util.concurrent.TimeUnit.SECONDS)))
        .isInstanceOfSatisfying(
            SandboxException.class, e -> assertThat(e.code()).isEqualTo("sandbox_lost"));
    assertThat(ExecStreams.of(hazelcast(pair.a())).size()).isZero();
    await(
        Duration.ofSeconds(10),
        "the borrower marks the sandbox lost",
        () -> leased.sandbox().state() == SandboxState.TERMINATED);
    assertThat(join(ended.orTimeout(10, java.util.concurrent.TimeUnit.SECONDS)))
        .isEqualTo("sandbox_host_left");
  }

  @Test
  void aLentSandboxThatEndsUnderARunningCommandIsLostToTheBorrower() {
    Pair pair = borrowerAndHost(1);
    PooledSandbox leased = borrow(pair, "s-ends");
    Chunks chunks = new Chunks();
    CompletableFuture<ExecResult> running =
        leased.sandbox().exec(ExecRequest.shell("echo up; sleep 60"), chunks).toCompletableFuture();
    await(Duration.ofSeconds(10), "the first chunk arrives", () -> chunks.stdout().contains("up"));

    // as the host's pool ends a sandbox at its template's lifetime or idle limit
    lender(pair.c()).lentSandbox(leased.lease().sandboxId()).close();

    assertThat(howTheCommandEnded(running)).isIn("KILLED", "sandbox_closed");
    assertThat(leased.sandbox().isAlive()).as("the borrower knows it is gone").isFalse();
    assertThat(leased.sandbox().state()).isEqualTo(SandboxState.TERMINATED);
    assertThat(failureCode(leased.sandbox().exec(ExecRequest.shell("true"), OutputListener.IGNORE)))
        .isEqualTo("sandbox_lost");
    assertThat(pair.a().cluster().leases().heldLeases()).as("no longer renewed").isZero();
    assertThat(lender(pair.c()).size()).as("the host's loan ended").isZero();
    await(
        Duration.ofSeconds(10),
        "the host frees the lease record",
        () -> join(pair.c().cluster().leases().current(leased.lease().sandboxId())).isEmpty());
    join(pair.a().pool().release(leased));
    assertThat(pair.a().pool().drainStatus().activeLeases()).isZero();
  }

  @Test
  void aRunningCommandGetsItsHostsResultEvenIfTheLoansEndIsHeardFirst() {
    Pair pair = borrowerAndHost(1);
    PooledSandbox leased = borrow(pair, "s-ends-told-first");
    Chunks chunks = new Chunks();
    CompletableFuture<ExecResult> running =
        leased.sandbox().exec(ExecRequest.shell("echo up; sleep 60"), chunks).toCompletableFuture();
    await(Duration.ofSeconds(10), "the first chunk arrives", () -> chunks.stdout().contains("up"));

    // the host's sweep tells the borrower the loan ended before the command's own reply arrives
    ((RemoteSandbox) leased.sandbox()).endedOnHost("it is TERMINATED");
    assertThat(running).as("the command is left to its host's reply").isNotDone();
    assertThat(failureCode(leased.sandbox().exec(ExecRequest.shell("true"), OutputListener.IGNORE)))
        .isEqualTo("sandbox_lost");
    lender(pair.c()).lentSandbox(leased.lease().sandboxId()).close();

    assertThat(howTheCommandEnded(running)).isIn("KILLED", "sandbox_closed");
    assertThat(leased.sandbox().isAlive()).isFalse();
    join(pair.a().pool().release(leased));
    assertThat(pair.a().pool().drainStatus().activeLeases()).isZero();
  }

  @Test
  void anIdleLentSandboxThatEndsOnItsHostIsSweptAndItsBorrowerToldWithoutAFence() {
    Node a = nodes.start(0, PoolNodes.fastPool(), b -> b.heartbeatInterval(Duration.ofMillis(200)));
    Node c = nodes.start(1);
    await(
        Duration.ofSeconds(30),
        "the host's pool is warm",
        () -> c.sandboxes().stats().ready().getOrDefault("shell", 0) >= 1);
    awaitAdvertised(a, c, 1);
    Pair pair = new Pair(a, c);
    List<String> lost = new CopyOnWriteArrayList<>();
    a.pool().addLostListener((held, reason) -> lost.add(reason.code()));
    PooledSandbox leased = borrow(pair, "s-idle-ends");
    CompletableFuture<String> ended = leased.sandbox().whenTerminated().toCompletableFuture();

    lender(c).lentSandbox(leased.lease().sandboxId()).close();

    await(Duration.ofSeconds(10), "the host's sweep ends the loan", () -> lender(c).size() == 0);
    await(
        Duration.ofSeconds(10),
        "the host frees the lease record",
        () -> join(c.cluster().leases().current(leased.lease().sandboxId())).isEmpty());
    await(Duration.ofSeconds(10), "the borrower is told", () -> !leased.sandbox().isAlive());
    // what a holder that is not using the sandbox listens to (an idle session)
    assertThat(join(ended)).startsWith("it ended on its host");
    await(
        Duration.ofSeconds(10),
        "the borrower stops renewing the lease",
        () -> a.cluster().leases().heldLeases() == 0);
    assertThat(failureCode(leased.sandbox().exec(ExecRequest.shell("true"), OutputListener.IGNORE)))
        .isEqualTo("sandbox_lost");
    // dropped and replaced like a local sandbox that ended, not a fenced lease (fatal to a session)
    assertThat(lost).isEmpty();
    join(a.pool().release(leased));
    assertThat(a.pool().drainStatus().activeLeases()).isZero();
  }

  private static Lender lender(Node host) {
    return (Lender) hazelcast(host).getUserContext().get(PoolTasks.LENDER);
  }

  private static void assertFenced(RemoteSandbox sandbox, Lease lease) {
    List<CompletionStage<?>> calls =
        List.of(
            sandbox.exec(ExecRequest.shell("echo hijacked"), OutputListener.IGNORE),
            sandbox.readFile("x"),
            sandbox.writeFile("x", new byte[] {1}),
            sandbox.listFiles(""),
            sandbox.pause(),
            sandbox.resume(),
            sandbox.hibernate());
    for (CompletionStage<?> call : calls) {
      assertThatThrownBy(() -> join(call))
          .isInstanceOfSatisfying(
              LeaseFencedException.class,
              e -> {
                assertThat(e.code()).isEqualTo("lease.fenced");
                assertThat(e.retriable()).isFalse();
                assertThat(e.lease()).isEqualTo(lease);
              });
    }
  }

  /** Another holder of the same borrowed sandbox, as a stale node would still have it. */
  private static RemoteSandbox remote(Node borrower, RemoteSandbox like, Lease lease) {
    HazelcastInstance hazelcast = hazelcast(borrower);
    IExecutorService loans = hazelcast.getExecutorService(HazelcastConfigs.LOAN_EXECUTOR);
    return new RemoteSandbox(
        like.id(),
        like.template(),
        lease,
        like.host(),
        hazelcast.getCluster(),
        loans,
        loans,
        ExecStreams.of(hazelcast),
        HazelcastConfigs.CONTROL_CALL_TIMEOUT,
        () -> {});
  }

  private static HazelcastInstance hazelcast(Node node) {
    return ((HazelcastClusterNode) node.cluster()).hazelcast();
  }

  /** Waits until the host's pool reports the sandbox in {@code state}. */
  private static void awaitHostState(HostStates states, Sandbox sandbox, SandboxState state) {
    await(
        Duration.ofSeconds(10),
        "the host reports " + sandbox.id() + " " + state,
        () -> states.of(sandbox.id()) == state);
  }

  /** The latest state of each sandbox of a host, from its pool's events. */
  static final class HostStates implements dev.agentfactory.sandbox.SandboxEventListener {
    private final Map<String, SandboxState> latest = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public void onEvent(dev.agentfactory.sandbox.SandboxEvent event) {
      latest.put(event.sandboxId(), event.state());
    }

    SandboxState of(String sandboxId) {
      return latest.get(sandboxId);
    }
  }

  /**
   * The host's own answer to a command whose sandbox was closed under it: the KILLED result, or
   * {@code sandbox_closed} when af-init's channel closed before it reported the kill (both are what
   * a local caller gets); never the borrower's own {@code sandbox_lost}.
   */
  private static String howTheCommandEnded(CompletableFuture<ExecResult> running) {
    CompletableFuture<ExecResult> bounded =
        running.orTimeout(15, java.util.concurrent.TimeUnit.SECONDS);
    try {
      return join(bounded).status().name();
    } catch (SandboxException e) {
      return e.code();
    }
  }

  private static String failureCode(CompletionStage<?> stage) {
    try {
      join(stage);
    } catch (SandboxException e) {
      return e.code();
    }
    throw new AssertionError("expected a SandboxException");
  }

  private static java.util.stream.Collector<CharSequence, ?, String> joinLines() {
    return Collectors.collectingAndThen(Collectors.joining("\n"), s -> s + "\n");
  }

  /** Collects both streams; safe to read from the test thread while chunks arrive. */
  static final class Chunks implements OutputListener {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final List<Stream> order = new CopyOnWriteArrayList<>();

    @Override
    public synchronized void onOutput(Stream stream, byte[] chunk) {
      order.add(stream);
      (stream == Stream.STDOUT ? out : err).writeBytes(chunk);
    }

    synchronized String stdout() {
      return out.toString(UTF_8);
    }

    synchronized String stderr() {
      return err.toString(UTF_8);
    }

    int count() {
      return order.size();
    }
  }
}
