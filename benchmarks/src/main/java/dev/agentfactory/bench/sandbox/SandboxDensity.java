package dev.agentfactory.bench.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.jobs.cli.CliArgs;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * How many idle sandboxes fit in a GiB: starts N warm {@code shell} sandboxes and reads the memory
 * charged to their cgroups (RSS, page cache, kernel memory, the tmpfs they wrote) and, for
 * comparison, the sum of their processes' RSS (which counts shared pages once per process). Prints
 * the same JSON lines as {@code BenchMain}.
 *
 * <pre>{@code
 * java -cp 'benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*' \
 *     dev.agentfactory.bench.sandbox.SandboxDensity 50
 * }</pre>
 */
public final class SandboxDensity {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int UID_BASE = 335_000;

  private SandboxDensity() {}

  static final String USAGE = "SandboxDensity [SANDBOXES (50)]";

  /**
   * How many sandboxes to start.
   *
   * @throws CliArgs.UsageException for an option, a second argument or a count out of range
   */
  static int parse(String[] args) {
    return CliArgs.parse(args, Set.of(), Set.of(), 1).intPositional(0, "SANDBOXES", 50, 1, 10_000);
  }

  public static void main(String[] args) throws Exception {
    int n = CliArgs.parseOrExit("SandboxDensity", USAGE, () -> parse(args));
    Path workDir = Files.createTempDirectory("af-density-");
    try (LocalSandboxPool pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withUidRange(UID_BASE, n + 10)
                .withWarmTarget("shell", n))) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (pool.stats().ready().get("shell") < n) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("only " + pool.stats() + " after 120 s");
        }
        Thread.sleep(50);
      }
      // let the starts settle (page cache of the first exec, lazily freed memory)
      Thread.sleep(2000);
      long cgroupBytes = pool.memoryBytes();
      long rssBytes = rssOfUids(UID_BASE, n + 10);
      double perSandboxCgroup = (double) cgroupBytes / n;
      double perSandboxRss = (double) rssBytes / n;
      print("idle_sandboxes", n, "count");
      print("idle_memory_cgroup_per_sandbox", perSandboxCgroup / (1 << 20), "MiB");
      print("idle_rss_per_sandbox", perSandboxRss / (1 << 20), "MiB");
      print("sandboxes_per_gib_cgroup", (1L << 30) / perSandboxCgroup, "count");
      print("sandboxes_per_gib_rss", (1L << 30) / perSandboxRss, "count");
    } finally {
      try (Stream<Path> paths = Files.walk(workDir)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Sum of VmRSS of host processes whose uid is in the range (bwrap and af-init). */
  static long rssOfUids(int base, int count) throws IOException {
    long total = 0;
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          int uid = -1;
          long rss = 0;
          for (String line : Files.readAllLines(proc.resolve("status"))) {
            if (line.startsWith("Uid:")) {
              uid = Integer.parseInt(line.split("\\s+")[1]);
            } else if (line.startsWith("VmRSS:")) {
              rss = Long.parseLong(line.split("\\s+")[1]) * 1024;
            }
          }
          if (uid >= base && uid < base + count) {
            total += rss;
          }
        } catch (IOException e) {
          // exited while we looked
        }
      }
    }
    return total;
  }

  /** One output line, in BenchMain's field order. */
  record Metric(String benchmark, String metric, double value, String unit) {}

  private static void print(String metric, double value, String unit) throws IOException {
    System.out.println(
        JSON.writeValueAsString(
            new Metric("sandbox", metric, Math.round(value * 1000) / 1000.0, unit)));
  }
}
