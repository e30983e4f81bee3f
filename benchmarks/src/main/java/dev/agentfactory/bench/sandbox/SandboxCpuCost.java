package dev.agentfactory.bench.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.jobs.cli.CliArgs;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a sandbox operation costs in CPU time, next to its wall time: on a shared, busy host the
 * wall time of anything that spawns a process is mostly waiting for a core, while the CPU it burns
 * moves far less with the load, so this is the figure to compare two versions by when the machine
 * is not quiet.
 *
 * <ul>
 *   <li>{@code exec}: {@code exec(["true"])} in a leased sandbox; CPU from the sandbox's v2 cgroup
 *       ({@code cpu.stat usage_usec}: af-init and the command) and of this JVM.
 *   <li>{@code cold}: lease from an empty pool, then close; CPU of this JVM plus every reaped child
 *       process (af-launch, bwrap, af-init, the commands, the unmount helper, the launch server and
 *       through it the sandboxes it started), per start + close.
 *   <li>{@code lease} (with a third argument): lease from a full warm pool (4 ready; the close and
 *       the refill outside the measured time), wall time and the CPU time of the calling thread
 *       (what the hand-over itself costs, whatever else the host runs).
 * </ul>
 *
 * <pre>{@code
 * java -cp 'benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*' \
 *     dev.agentfactory.bench.sandbox.SandboxCpuCost 300 40 200
 * }</pre>
 *
 * Needs a hybrid or v2 host (a v2 cgroup per sandbox) for the sandbox CPU of {@code exec}.
 */
public final class SandboxCpuCost {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int UID_BASE = 336_000;
  private static final ExecRequest TRUE =
      new ExecRequest(List.of("true"), Map.of(), ExecRequest.DEFAULT_TIMEOUT, 4096);

  private SandboxCpuCost() {}

  static final String USAGE = "SandboxCpuCost [EXECS (300) [STARTS (40) [LEASES (0)]]]";

  /** How many of each to measure; {@code leases} 0 skips the lease measurement. */
  record Counts(int execs, int starts, int leases) {}

  /**
   * @throws CliArgs.UsageException for an option, a fourth argument or a count out of range
   */
  static Counts parse(String[] args) {
    CliArgs a = CliArgs.parse(args, Set.of(), Set.of(), 3);
    return new Counts(
        a.intPositional(0, "EXECS", 300, 1, 1_000_000),
        a.intPositional(1, "STARTS", 40, 1, 100_000),
        a.intPositional(2, "LEASES", 0, 0, 1_000_000));
  }

  public static void main(String[] args) throws Exception {
    Counts counts = CliArgs.parseOrExit("SandboxCpuCost", USAGE, () -> parse(args));
    exec(counts.execs());
    cold(counts.starts());
    if (counts.leases() > 0) {
      lease(counts.leases());
    }
  }

  private static void lease(int n) throws Exception {
    Path workDir = Files.createTempDirectory("af-cpu-");
    var threads = ManagementFactory.getThreadMXBean();
    long[] wall = new long[n];
    long[] cpu = new long[n];
    try (LocalSandboxPool pool = pool(workDir, 4)) {
      for (int i = 0; i < n + 20; i++) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (pool.stats().ready().get("shell") < 4) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("warm pool did not refill: " + pool.stats());
          }
          Thread.sleep(1);
        }
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        Sandbox sandbox = pool.lease("shell").toCompletableFuture().join();
        long t1 = System.nanoTime();
        long c1 = threads.getCurrentThreadCpuTime();
        if (i >= 20) { // the first 20 warm up the code path
          wall[i - 20] = t1 - t0;
          cpu[i - 20] = c1 - c0;
        }
        sandbox.close();
      }
    } finally {
      delete(workDir);
    }
    print("lease_wall_p50", percentile(wall, 0.5));
    print("lease_wall_p99", percentile(wall, 0.99));
    print("lease_caller_cpu_p50", percentile(cpu, 0.5));
    print("lease_caller_cpu_p99", percentile(cpu, 0.99));
  }

  private static void exec(int n) throws Exception {
    Path workDir = Files.createTempDirectory("af-cpu-");
    try (LocalSandboxPool pool = pool(workDir, 1)) {
      Sandbox sandbox = pool.lease("shell").toCompletableFuture().join();
      for (int i = 0; i < 50; i++) {
        sandbox.exec(TRUE, OutputListener.IGNORE).toCompletableFuture().join();
      }
      var os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long[] wall = new long[n];
      long jvm0 = os.getProcessCpuTime();
      long cg0 = sandboxCpuMicros(workDir, sandbox.id());
      for (int i = 0; i < n; i++) {
        long start = System.nanoTime();
        sandbox.exec(TRUE, OutputListener.IGNORE).toCompletableFuture().join();
        wall[i] = System.nanoTime() - start;
      }
      long cg1 = sandboxCpuMicros(workDir, sandbox.id());
      long jvm1 = os.getProcessCpuTime();
      sandbox.close();
      print("exec_true_wall_p50", percentile(wall, 0.5));
      print("exec_true_wall_p99", percentile(wall, 0.99));
      if (cg0 >= 0 && cg1 >= 0) {
        print("exec_true_sandbox_cpu", (cg1 - cg0) / 1e3 / n);
      }
      print("exec_true_jvm_cpu", (jvm1 - jvm0) / 1e6 / n);
    } finally {
      delete(workDir);
    }
  }

  private static void cold(int n) throws Exception {
    Path workDir = Files.createTempDirectory("af-cpu-");
    long[] start = new long[n];
    long[] close = new long[n];
    long[] cpu0 = processCpuTicks();
    try (LocalSandboxPool pool = pool(workDir, 0)) {
      for (int i = 0; i < n; i++) {
        long t = System.nanoTime();
        Sandbox sandbox = pool.lease("shell").toCompletableFuture().join();
        start[i] = System.nanoTime() - t;
        t = System.nanoTime();
        sandbox.close();
        close[i] = System.nanoTime() - t;
      }
    } finally {
      delete(workDir);
    }
    long[] cpu1 = processCpuTicks();
    print("cold_start_wall_p50", percentile(start, 0.5));
    print("close_wall_p50", percentile(close, 0.5));
    // clock ticks of 10 ms; includes the pool's own start and close, spread over n
    print("cold_start_close_jvm_cpu", (cpu1[0] - cpu0[0]) * 10.0 / n);
    print("cold_start_close_children_cpu", (cpu1[1] - cpu0[1]) * 10.0 / n);
  }

  private static LocalSandboxPool pool(Path workDir, int warm) {
    LocalSandboxPool pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withUidRange(UID_BASE, 1000)
                .withWarmTarget("shell", warm));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (pool.stats().ready().get("shell") < warm) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("warm pool did not fill: " + pool.stats());
      }
      Thread.yield();
    }
    return pool;
  }

  /** usage_usec of the sandbox's v2 cgroup, -1 when there is none. */
  private static long sandboxCpuMicros(Path workDir, String id) throws Exception {
    String poolName =
        UUID.nameUUIDFromBytes(workDir.toString().getBytes(StandardCharsets.UTF_8))
            .toString()
            .substring(0, 8);
    Path stat = Path.of("/sys/fs/cgroup/unified/af-" + poolName, id, "cpu.stat");
    if (!Files.exists(stat)) {
      stat = Path.of("/sys/fs/cgroup/af-" + poolName, id, "cpu.stat");
    }
    if (!Files.exists(stat)) {
      return -1;
    }
    for (String line : Files.readAllLines(stat)) {
      if (line.startsWith("usage_usec ")) {
        return Long.parseLong(line.substring("usage_usec ".length()));
      }
    }
    return -1;
  }

  /** utime + stime of this process and of its reaped children, in clock ticks. */
  private static long[] processCpuTicks() throws Exception {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return new long[] {
      Long.parseLong(f[11]) + Long.parseLong(f[12]), Long.parseLong(f[13]) + Long.parseLong(f[14])
    };
  }

  private static double percentile(long[] nanos, double p) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))] / 1e6;
  }

  private static void print(String metric, double ms) throws Exception {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("benchmark", "sandbox_cpu");
    line.put("metric", metric);
    line.put("value", Math.round(ms * 1000) / 1000.0);
    line.put("unit", "ms");
    System.out.println(JSON.writeValueAsString(line));
  }

  private static void delete(Path dir) throws Exception {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
