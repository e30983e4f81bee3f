package dev.agentfactory.bench.sandbox;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.local.LocalSandboxPool;
import dev.agentfactory.sandbox.local.SandboxConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a caller waits for when it needs a sandbox: a lease from the warm pool (alone, and with the
 * close that follows every use), a cold start of a namespace sandbox (start to READY plus close), a
 * command round trip into a leased one, and pause / resume (cgroup freeze / thaw) of a leased one.
 * About a minute and a half in total.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class SandboxLeaseBenchmark {

  private static final ExecRequest TRUE =
      new ExecRequest(List.of("true"), Map.of(), ExecRequest.DEFAULT_TIMEOUT, 4096);

  /** A pool of the given warm target in a fresh work dir, deleted afterwards. */
  abstract static class PoolState {
    LocalSandboxPool pool;
    Path workDir;

    void open(int warmTarget) throws IOException {
      workDir = Files.createTempDirectory("af-bench-");
      pool =
          new LocalSandboxPool(
              SandboxConfig.defaults(workDir)
                  .withUidRange(330_000, 1000)
                  .withWarmTarget("shell", warmTarget));
      awaitReady(warmTarget);
    }

    /**
     * Polls every 0.2 ms until the warm set is full again, so every lease sample is a warm one. Not
     * a busy spin: on a 2-core host a spinning harness thread competes with the refill start it
     * waits for, and having used up its time slice it is the first thread the scheduler preempts,
     * right in the lease it then measures. A real caller is woken by a request, not spinning.
     */
    void awaitReady(int target) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (pool.stats().ready().get("shell") < target) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("warm pool did not refill: " + pool.stats());
        }
        LockSupport.parkNanos(200_000);
      }
    }

    void close() throws IOException {
      pool.close();
      try (Stream<Path> paths = Files.walk(workDir)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  @State(Scope.Benchmark)
  public static class WarmPool extends PoolState {
    static final int TARGET = 4;
    Sandbox leased;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      open(TARGET);
    }

    // Per invocation is fine here: a sample is milliseconds, far above JMH's timing overhead
    @Setup(Level.Invocation)
    public void refilled() {
      awaitReady(TARGET);
    }

    /** For {@code lease}: the close is outside the measured time. */
    @TearDown(Level.Invocation)
    public void closeLeased() {
      if (leased != null) {
        leased.close();
        leased = null;
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      close();
    }
  }

  @State(Scope.Benchmark)
  public static class EmptyPool extends PoolState {
    @Setup(Level.Trial)
    public void setUp() throws IOException {
      open(0);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      close();
    }
  }

  @State(Scope.Benchmark)
  public static class Leased extends PoolState {
    Sandbox sandbox;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      open(1);
      sandbox = pool.lease("shell").toCompletableFuture().join();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      sandbox.close();
      close();
    }
  }

  /** A leased sandbox, paused or running before each sample as the benchmark needs. */
  @State(Scope.Benchmark)
  public static class Pausable extends PoolState {
    Sandbox sandbox;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      open(1);
      sandbox = pool.lease("shell").toCompletableFuture().join();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      sandbox.close();
      close();
    }
  }

  /** Running before each {@code pause} sample. */
  @State(Scope.Benchmark)
  public static class Running extends Pausable {
    @Setup(Level.Invocation)
    public void running() {
      sandbox.resume().toCompletableFuture().join();
    }
  }

  /** Paused before each {@code resume} sample. */
  @State(Scope.Benchmark)
  public static class Paused extends Pausable {
    @Setup(Level.Invocation)
    public void paused() {
      sandbox.pause().toCompletableFuture().join();
    }
  }

  /** Freeze every process of a leased sandbox and wait until the kernel reports it frozen. */
  @Benchmark
  public Object pause(Running state) {
    return state.sandbox.pause().toCompletableFuture().join();
  }

  /** Thaw a paused sandbox. */
  @Benchmark
  public Object resume(Paused state) {
    return state.sandbox.resume().toCompletableFuture().join();
  }

  /** Lease from a full warm pool: the hand-over alone. */
  @Benchmark
  public String lease(WarmPool state) {
    state.leased = state.pool.lease("shell").toCompletableFuture().join();
    return state.leased.id();
  }

  /**
   * Lease from a full warm pool and close: the full cost of one use, as close() kills the sandbox,
   * waits until its processes are reaped and deletes its workspace.
   */
  @Benchmark
  public String leaseClose(WarmPool state) {
    try (Sandbox sandbox = state.pool.lease("shell").toCompletableFuture().join()) {
      return sandbox.id();
    }
  }

  /** bwrap + af-init start until READY, then close: what a lease costs when the pool is empty. */
  @Benchmark
  public String coldStart(EmptyPool state) {
    try (Sandbox sandbox = state.pool.lease("shell").toCompletableFuture().join()) {
      return sandbox.id();
    }
  }

  /** {@code true} in an already running sandbox: frame out, fork/exec in init, EXIT frame back. */
  @Benchmark
  public ExecResult execTrue(Leased state) {
    return state.sandbox.exec(TRUE, OutputListener.IGNORE).toCompletableFuture().join();
  }
}
