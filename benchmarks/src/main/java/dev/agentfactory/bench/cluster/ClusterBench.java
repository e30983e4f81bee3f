package dev.agentfactory.bench.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentfactory.cluster.ClusterConfig;
import dev.agentfactory.cluster.ClusterNode;
import dev.agentfactory.cluster.lease.Lease;
import dev.agentfactory.cluster.pool.PoolConfig;
import dev.agentfactory.cluster.pool.PooledSandbox;
import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.jobs.cli.CliArgs;
import dev.agentfactory.sandbox.ExecRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code ./agent-factory bench cluster [--seconds N] [--rate LEASES_PER_S]}: three Hazelcast
 * members in this JVM on loopback, leasing through the distributed pool. Prints one JSON line per
 * figure:
 *
 * <ul>
 *   <li>{@code local_lease_p50/p99}: open loop at 1,000 leases/s on one node, from the call to the
 *       lease in hand, with the cluster-wide record in place (written asynchronously right after;
 *       {@code record_p50/p99} is how long that takes)
 *   <li>{@code borrowed_lease_p50/p99}: a node with no stock borrowing from a peer
 *   <li>{@code borrowed_exec_first_chunk_p50/p99}, {@code borrowed_exec_p50/p99}: a command in a
 *       borrowed sandbox, from the call to its output chunk streamed back, and to its result
 *   <li>{@code leases_per_second_per_node}: lease + release, closed loop, 4 callers on one node
 *   <li>{@code kill_to_lost}: a member terminated abruptly (in-JVM: sockets close at once, as after
 *       SIGKILL on a real host) until its leases are reclaimed cluster-wide and a borrower is told
 * </ul>
 */
public final class ClusterBench {

  /**
   * One lease in this many has its record watched until it is readable. Watching every lease (each
   * polling every 100 µs until its record shows) put tens of thousands of reads a second on the
   * members, starved their heartbeats and stalled the run even on an idle machine.
   */
  private static final int RECORD_SAMPLE = 10;

  /** A tick that starts later than this after its slot counts in {@code ticks_late}. */
  private static final long LATE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ScheduledExecutorService RETRY =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "bench-record-poll");
            t.setDaemon(true);
            return t;
          });

  private ClusterBench() {}

  /** Command-line options: {@code --seconds N} (or {@code =N}) and {@code --rate N}. */
  record Options(int seconds, int rate) {

    static Options parse(String[] args) {
      CliArgs a = CliArgs.parse(args, Set.of("--seconds", "--rate"));
      return new Options(
          a.intValue("--seconds", 10, 1, 3600), a.intValue("--rate", 1000, 1, 100_000));
    }
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    int seconds = options.seconds();
    int rate = options.rate();
    List<Integer> ports = freePorts(3);
    List<ClusterNode> members = new ArrayList<>();
    try {
      ClusterNode a = start(ports, 0, members);
      ClusterNode b = start(ports, 1, members);
      ClusterNode c = start(ports, 2, members);
      awaitMembers(members, 3);
      WarmPool poolA = a.pool(new StockPool("a", 1_000_000));
      WarmPool poolB = b.pool(new StockPool("b", 0));
      // c has the most stock, so b (none) borrows from c
      WarmPool poolC = c.pool(new StockPool("c", 2_000_000));
      await(() -> poolB.stock().size() == 3, "stock advertised");

      int s = seconds;
      int r = rate;
      List<String> failed = new ArrayList<>();
      phase("local_lease", failed, () -> localLeases(poolA, a, s, r));
      phase("borrowed_lease", failed, () -> borrowedLeases(poolB, Math.min(1000, 100 * s)));
      phase("borrowed_exec", failed, () -> borrowedExecs(poolB, Math.min(2000, 200 * s)));
      phase("leases_per_second_per_node", failed, () -> throughput(poolA, s));
      phase("kill_to_lost", failed, () -> killToLost(a, poolB, poolC, c));
      if (!failed.isEmpty()) {
        throw new IllegalStateException("bench cluster: these parts failed: " + failed);
      }
    } finally {
      closeAll(members);
    }
  }

  /** A part of the run. */
  @FunctionalInterface
  private interface Phase {
    void run() throws Exception;
  }

  /**
   * Runs one part; a failure is printed as its own JSON line and the run goes on, so every figure
   * that can be measured is printed, and the run still ends non-zero.
   */
  private static void phase(String name, List<String> failed, Phase phase) {
    try {
      phase.run();
    } catch (Exception e) {
      failed.add(name);
      System.err.println("bench cluster: " + name + " failed");
      e.printStackTrace();
      ObjectNode line = JSON.createObjectNode();
      line.put("benchmark", "cluster");
      line.put("metric", name + "_failed");
      line.put("error", String.valueOf(e));
      System.out.println(line);
    }
  }

  /** Closes the members, but never waits more than 30 s for them: a stuck one must not hang us. */
  private static void closeAll(List<ClusterNode> members) throws InterruptedException {
    Thread closer =
        new Thread(
            () -> {
              for (ClusterNode member : members) {
                try {
                  member.close();
                } catch (RuntimeException e) {
                  // a terminated member
                }
              }
            },
            "bench-close");
    closer.setDaemon(true);
    closer.start();
    closer.join(TimeUnit.SECONDS.toMillis(30));
  }

  /** Open loop: one lease per millisecond, released right away. */
  private static void localLeases(WarmPool pool, ClusterNode node, int seconds, int rate)
      throws Exception {
    int total = seconds * rate;
    long period = 1_000_000_000L / rate;
    long[] leaseNanos = new long[total];
    ConcurrentLinkedQueue<Long> recordNanos = new ConcurrentLinkedQueue<>();
    AtomicInteger done = new AtomicInteger();
    AtomicInteger late = new AtomicInteger();
    CountDownLatch finished = new CountDownLatch(total);
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    // warm-up: JIT and the first Hazelcast calls. Each release is waited for: unwaited, the
    // warm-up's 2,000 records and frees were still in flight when the measured leases started,
    // and the first second's records came out seconds late
    for (int i = 0; i < 2000; i++) {
      PooledSandbox warm = pool.lease("warm-" + i, "bench", "shell").toCompletableFuture().join();
      pool.release(warm).toCompletableFuture().join();
    }
    AtomicLong n = new AtomicLong();
    long startedAt = System.nanoTime();
    ticker.scheduleAtFixedRate(
        () -> {
          int i = (int) n.getAndIncrement();
          if (i >= total) {
            return;
          }
          long t0 = System.nanoTime();
          long intended = startedAt + i * period;
          if (t0 - intended > LATE_NANOS) {
            late.incrementAndGet(); // the ticker fell behind: coordinated omission is visible here
          }
          pool.lease("s-" + i, "bench", "shell")
              .whenComplete(
                  (leased, e) -> {
                    leaseNanos[i] = System.nanoTime() - t0;
                    done.incrementAndGet();
                    if (e == null && i % RECORD_SAMPLE == 0) {
                      watchRecord(node, leased.lease(), t0, recordNanos, pool, leased, finished);
                    } else if (e == null) {
                      pool.release(leased).whenComplete((v, x) -> finished.countDown());
                    } else {
                      finished.countDown();
                    }
                  });
        },
        0,
        period,
        TimeUnit.NANOSECONDS);
    if (!finished.await(seconds + 60L, TimeUnit.SECONDS)) {
      ticker.shutdownNow();
      throw new IllegalStateException("local leases did not finish");
    }
    ticker.shutdownNow();
    double elapsed = (System.nanoTime() - startedAt) / 1e9;
    print("local_lease_p50", millis(percentile(leaseNanos, 50)), "ms", null);
    print("local_lease_p99", millis(percentile(leaseNanos, 99)), "ms", null);
    print("local_lease_rate", Math.round(total / elapsed), "leases/s", "offered " + rate + "/s");
    long[] records = recordNanos.stream().mapToLong(Long::longValue).toArray();
    print("record_p50", millis(percentile(records, 50)), "ms", "lease call to record visible");
    print("record_p99", millis(percentile(records, 99)), "ms", null);
    print("ticks_late", late.get(), "count", "ticks started > 1 ms after their slot");
  }

  /**
   * Polls until the record is readable cluster-wide, then releases the lease. The figure is at most
   * ~10% (and 1 ms) above the true time, see the back-off below.
   */
  private static void watchRecord(
      ClusterNode node,
      Lease lease,
      long t0,
      ConcurrentLinkedQueue<Long> recordNanos,
      WarmPool pool,
      PooledSandbox leased,
      CountDownLatch finished) {
    node.leases()
        .current(lease.sandboxId())
        .whenComplete(
            (current, e) -> {
              if (e == null && current.isPresent()) {
                recordNanos.add(System.nanoTime() - t0);
                pool.release(leased).whenComplete((v, x) -> finished.countDown());
              } else {
                // never park a Hazelcast response thread: poll again from our own timer, after a
                // tenth of the time waited so far (at least 1 ms). Polling every 1 ms flat made
                // the bench its own bottleneck: a record late by L seconds cost 1,000 × L reads,
                // for each of the (rate / 10) × L leases watched at once, which made records later
                long waited = System.nanoTime() - t0;
                long delay = Math.max(TimeUnit.MILLISECONDS.toNanos(1), waited / 10);
                RETRY.schedule(
                    () -> watchRecord(node, lease, t0, recordNanos, pool, leased, finished),
                    delay,
                    TimeUnit.NANOSECONDS);
              }
            });
  }

  private static void borrowedLeases(WarmPool pool, int total) throws IOException {
    for (int i = 0; i < total / 3; i++) {
      pool.release(pool.lease("bw-" + i, "bench", "shell").toCompletableFuture().join())
          .toCompletableFuture()
          .join();
    }
    long[] nanos = new long[total];
    int borrowed = 0;
    for (int i = 0; i < total; i++) {
      long t0 = System.nanoTime();
      PooledSandbox leased = pool.lease("b-" + i, "bench", "shell").toCompletableFuture().join();
      nanos[i] = System.nanoTime() - t0;
      borrowed += leased.borrowed() ? 1 : 0;
      pool.release(leased).toCompletableFuture().join();
    }
    print("borrowed_lease_p50", millis(percentile(nanos, 50)), "ms", borrowed + " of " + total);
    print("borrowed_lease_p99", millis(percentile(nanos, 99)), "ms", null);
  }

  /**
   * Commands in one borrowed sandbox, one at a time: the call forwarded to the host, the chunk
   * streamed back to this node, the result after it.
   */
  private static void borrowedExecs(WarmPool pool, int total) throws IOException {
    PooledSandbox leased = pool.lease("bx", "bench", "shell").toCompletableFuture().join();
    if (!leased.borrowed()) {
      throw new IllegalStateException("expected a borrowed sandbox");
    }
    ExecRequest request = ExecRequest.shell("echo ok");
    for (int i = 0; i < total / 2; i++) {
      leased.sandbox().exec(request, (s, c) -> {}).toCompletableFuture().join();
    }
    long[] firstChunk = new long[total];
    long[] ended = new long[total];
    for (int i = 0; i < total; i++) {
      long t0 = System.nanoTime();
      long[] chunkAt = new long[1];
      leased
          .sandbox()
          .exec(
              request,
              (s, c) -> {
                if (chunkAt[0] == 0) {
                  chunkAt[0] = System.nanoTime();
                }
              })
          .toCompletableFuture()
          .join();
      ended[i] = System.nanoTime() - t0;
      firstChunk[i] = chunkAt[0] - t0;
    }
    pool.release(leased).toCompletableFuture().join();
    String note = total + " commands, one chunk each, in one borrowed sandbox";
    print("borrowed_exec_first_chunk_p50", millis(percentile(firstChunk, 50)), "ms", note);
    print("borrowed_exec_first_chunk_p99", millis(percentile(firstChunk, 99)), "ms", null);
    print("borrowed_exec_p50", millis(percentile(ended, 50)), "ms", null);
    print("borrowed_exec_p99", millis(percentile(ended, 99)), "ms", null);
  }

  private static void throughput(WarmPool pool, int seconds) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    AtomicLong count = new AtomicLong();
    List<Thread> callers = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int t = 0; t < 4; t++) {
      int id = t;
      Thread caller =
          new Thread(
              () -> {
                int i = 0;
                while (System.nanoTime() < end) {
                  PooledSandbox leased =
                      pool.lease("t" + id + "-" + i++, "bench", "shell")
                          .toCompletableFuture()
                          .join();
                  pool.release(leased).toCompletableFuture().join();
                  count.incrementAndGet();
                }
              });
      caller.start();
      callers.add(caller);
    }
    for (Thread caller : callers) {
      caller.join();
    }
    double elapsed = (System.nanoTime() - t0) / 1e9;
    print(
        "leases_per_second_per_node",
        Math.round(count.get() / elapsed),
        "leases/s",
        "lease + release incl. record write and free, 4 callers");
  }

  private static void killToLost(
      ClusterNode observer, WarmPool borrower, WarmPool doomedPool, ClusterNode doomed)
      throws Exception {
    List<Lease> own = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      own.add(doomedPool.lease("k-" + i, "bench", "shell").toCompletableFuture().join().lease());
    }
    CountDownLatch told = new CountDownLatch(5);
    borrower.addLostListener((leased, reason) -> told.countDown());
    // the borrower picks the richest peer from the stock board, which a busy host may refresh late:
    // keep only borrows from the doomed node, give others back, until there are five
    int fromDoomed = 0;
    for (int i = 0; fromDoomed < 5 && i < 100; i++) {
      PooledSandbox leased =
          borrower.lease("kb-" + i, "bench", "shell").toCompletableFuture().join();
      if (leased.borrowed() && leased.hostNode().equals(doomed.nodeId())) {
        fromDoomed++;
      } else {
        borrower.release(leased).toCompletableFuture().join();
      }
    }
    if (fromDoomed != 5) {
      throw new IllegalStateException("expected 5 borrows from the doomed node, got " + fromDoomed);
    }
    await(() -> own.stream().allMatch(l -> recorded(observer, l)), "the doomed node's records");

    long t0 = System.nanoTime();
    terminate(doomed);
    await(
        () -> told.getCount() == 0 && own.stream().noneMatch(l -> recorded(observer, l)),
        "the doomed node's leases marked lost");
    long nanos = System.nanoTime() - t0;
    print(
        "kill_to_lost",
        millis(nanos),
        "ms",
        "20 own leases reclaimed + 5 borrowers told; in-JVM terminate (sockets close at once)");
  }

  private static boolean recorded(ClusterNode node, Lease lease) {
    return node.leases().current(lease.sandboxId()).toCompletableFuture().join().isPresent();
  }

  /** The member's hard kill (no leave message, no hand-over), reached reflectively: test-only. */
  private static void terminate(ClusterNode node) throws Exception {
    Method hazelcast = node.getClass().getDeclaredMethod("hazelcast");
    hazelcast.setAccessible(true);
    Object instance = hazelcast.invoke(node);
    Object lifecycle =
        Class.forName("com.hazelcast.core.HazelcastInstance")
            .getMethod("getLifecycleService")
            .invoke(instance);
    Class.forName("com.hazelcast.core.LifecycleService").getMethod("terminate").invoke(lifecycle);
  }

  private static ClusterNode start(List<Integer> ports, int index, List<ClusterNode> members) {
    ClusterNode node =
        ClusterNode.start(
            ClusterConfig.builder()
                .clusterName("af-bench-cluster")
                .port(ports.get(index))
                .portAutoIncrement(false)
                // a starved 2-core host delays heartbeats by seconds: do not split the bench
                // cluster
                .failureTimeout(Duration.ofSeconds(30))
                .members(ports.stream().map(p -> "127.0.0.1:" + p).toList())
                .pool(
                    PoolConfig.defaults()
                        .withCapacity(1)
                        .withAdvertiseInterval(Duration.ofMillis(100)))
                .build());
    members.add(node);
    return node;
  }

  private static void awaitMembers(List<ClusterNode> members, int count) {
    await(() -> members.stream().allMatch(m -> m.health().memberCount() == count), "membership");
  }

  private static void await(java.util.function.BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  private static List<Integer> freePorts(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        sockets.add(new ServerSocket(0));
      }
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }

  private static long percentile(long[] values, double p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(index, sorted.length - 1))];
  }

  private static double millis(long nanos) {
    return Math.round(nanos / 1e3) / 1e3;
  }

  private static void print(String metric, double value, String unit, String note) {
    ObjectNode line = JSON.createObjectNode();
    line.put("benchmark", "cluster");
    line.put("metric", metric);
    line.put("value", value);
    line.put("unit", unit);
    if (note != null) {
      line.put("note", note);
    }
    try {
      System.out.println(JSON.writeValueAsString(line));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
