package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.PoolStats;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.SandboxPool;
import dev.agentfactory.sandbox.driver.Isolation;
import dev.agentfactory.sandbox.driver.IsolationDriver;
import dev.agentfactory.sandbox.driver.LaunchSpec;
import dev.agentfactory.sandbox.driver.NamespaceDriver;
import dev.agentfactory.sandbox.driver.ProcessDriver;
import dev.agentfactory.sandbox.init.InitBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node-local {@link SandboxPool}: keeps a warm set of ready sandboxes per template and starts
 * more on demand.
 *
 * <p>Warm sandboxes count only once af-init reported READY. Refills run in the background on the
 * {@code sandbox-pool-*} threads, at most {@link SandboxConfig#maxConcurrentStarts()} at a time,
 * and back off after a failed start so a broken host does not spin. {@link #lease} never blocks its
 * caller: a warm sandbox is handed over at once, an on-demand start runs on a pool thread.
 */
public final class LocalSandboxPool implements SandboxPool {

  private static final Logger LOG = LoggerFactory.getLogger(LocalSandboxPool.class);
  private static final Duration REFILL_BACKOFF = Duration.ofSeconds(1);
  private static final Set<PosixFilePermission> TRAVERSE_ONLY =
      PosixFilePermissions.fromString("rwx--x--x");
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");

  private final SandboxConfig config;
  private final IsolationDriver driver;
  private final int hostUid;
  private final UidAllocator uids;
  private final Path initBinary;
  private final Path workspaces;
  private final Path logs;
  private final ExecutorService starters;
  private final ExecutorService spawner;
  private final ScheduledExecutorService timer;
  private final Map<String, TemplatePool> templates = new HashMap<>();
  private final Set<LocalSandbox> live = ConcurrentHashMap.newKeySet();
  private final AtomicInteger startsInFlight = new AtomicInteger();
  private volatile boolean closed;

  public LocalSandboxPool(SandboxConfig config) {
    this.config = config;
    this.hostUid = currentUid();
    this.driver =
        config.isolation() == Isolation.NAMESPACE
            ? new NamespaceDriver(config.bwrapPath(), config.tmpfsBytes(), hostUid == 0)
            : new ProcessDriver();
    this.uids = new UidAllocator(config.uidBase(), config.uidCount());
    this.workspaces = config.workDir().resolve("workspaces");
    this.logs = config.workDir().resolve("logs");
    prepareWorkDir();
    this.initBinary = InitBinary.extractTo(config.workDir());
    // +1: on-demand starts always find a thread even while the warm refill uses its share
    this.starters =
        Executors.newFixedThreadPool(config.maxConcurrentStarts() + 1, named("sandbox-pool-"));
    ScheduledThreadPoolExecutor timeouts =
        new ScheduledThreadPoolExecutor(1, named("sandbox-pool-timer-"));
    // Almost every command timeout is cancelled; without this they pile up until they expire
    timeouts.setRemoveOnCancelPolicy(true);
    this.timer = timeouts;
    // bwrap --die-with-parent (PR_SET_PDEATHSIG) fires when the *thread* that forked it exits, not
    // the JVM. So every sandbox is forked from this one thread, which lives as long as the pool;
    // forking from the starter threads would kill a sandbox whenever its starter thread ended.
    this.spawner = Executors.newSingleThreadExecutor(named("sandbox-pool-spawner-"));
    for (String name : SandboxTemplate.NAMES) {
      templates.put(name, new TemplatePool(name, config.warmTarget(name)));
    }
    templates.values().forEach(this::refill);
  }

  @Override
  public CompletionStage<Sandbox> lease(String template) {
    if (closed) {
      return CompletableFuture.failedFuture(
          new SandboxException("pool_closed", "the sandbox pool is closed", false));
    }
    TemplatePool t = templates.get(template);
    if (t == null) {
      return CompletableFuture.failedFuture(
          new SandboxException(
              "unknown_template",
              "unknown template '" + template + "', known: " + SandboxTemplate.NAMES,
              false));
    }
    LocalSandbox warm;
    while ((warm = t.ready.poll()) != null) {
      if (warm.isAlive()) {
        handOver(t, warm);
        refill(t);
        return CompletableFuture.completedFuture(warm);
      }
      warm.close();
    }
    refill(t);
    try {
      return CompletableFuture.supplyAsync(
          () -> {
            LocalSandbox fresh = start(template);
            handOver(t, fresh);
            return fresh;
          },
          starters);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          new SandboxException("pool_closed", "the sandbox pool is closed", false, e));
    }
  }

  private static void handOver(TemplatePool t, LocalSandbox sandbox) {
    sandbox.markLeased();
    t.leased.incrementAndGet();
  }

  @Override
  public PoolStats stats() {
    Map<String, Integer> ready = new HashMap<>();
    Map<String, Integer> leased = new HashMap<>();
    Map<String, Integer> target = new HashMap<>();
    templates.forEach(
        (name, t) -> {
          ready.put(name, t.ready.size());
          leased.put(name, t.leased.get());
          target.put(name, t.target);
        });
    return new PoolStats(driver.isolation().id(), ready, leased, target);
  }

  /** The sandboxes alive right now, warm or leased; for tests and diagnostics. */
  int liveCount() {
    return live.size();
  }

  @Override
  public void close() {
    closed = true;
    starters.shutdown();
    // Starts still running notice `closed` and close their own sandbox
    for (LocalSandbox sandbox : List.copyOf(live)) {
      sandbox.close();
    }
    try {
      if (!starters.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("sandbox starts still running 30 s after close");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (LocalSandbox sandbox : List.copyOf(live)) {
      sandbox.close();
    }
    // Last: its exit is what --die-with-parent watches
    spawner.shutdown();
    timer.shutdownNow();
  }

  private void refill(TemplatePool t) {
    synchronized (t) {
      while (!closed
          && !t.backingOff
          && t.ready.size() + t.starting < t.target
          && startsInFlight.get() < config.maxConcurrentStarts()) {
        t.starting++;
        startsInFlight.incrementAndGet();
        try {
          starters.execute(() -> warmOne(t));
        } catch (RejectedExecutionException e) {
          t.starting--;
          startsInFlight.decrementAndGet();
          return;
        }
      }
    }
  }

  private void warmOne(TemplatePool t) {
    boolean started = false;
    try {
      LocalSandbox sandbox = start(t.name);
      t.ready.add(sandbox);
      started = true;
    } catch (SandboxException e) {
      // The one place that decides to retry a warm start: after a pause, so a host without
      // bwrap or out of uids logs once a second instead of spinning
      if (!closed) {
        LOG.warn("warm start of a '{}' sandbox failed; retrying in {}", t.name, REFILL_BACKOFF, e);
        synchronized (t) {
          t.backingOff = true;
        }
        timer.schedule(
            () -> {
              synchronized (t) {
                t.backingOff = false;
              }
              refill(t);
            },
            REFILL_BACKOFF.toMillis(),
            TimeUnit.MILLISECONDS);
      }
    } finally {
      synchronized (t) {
        t.starting--;
      }
      startsInFlight.decrementAndGet();
    }
    if (started) {
      templates.values().forEach(this::refill);
    }
  }

  /** Starts one sandbox and waits until it is ready; runs on a pool thread. */
  private LocalSandbox start(String template) {
    String id = "sbx-" + UUID.randomUUID().toString().substring(0, 13).replace("-", "");
    int uid = driver.usesUidPerSandbox() ? uids.allocate() : hostUid;
    Path workspace = workspaces.resolve(id);
    Path log = logs.resolve(id + ".log");
    LocalSandbox sandbox = null;
    try {
      Files.createDirectory(workspace, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      if (driver.usesUidPerSandbox()) {
        Files.setAttribute(workspace, "unix:uid", uid);
        Files.setAttribute(workspace, "unix:gid", uid);
      }
      Files.createFile(log);
      Process process = spawn(new LaunchSpec(id, initBinary, workspace, log, uid));
      sandbox =
          new LocalSandbox(
              id, template, process, workspace, log, uid, timer, this::onClosed, this::onDied);
      live.add(sandbox);
      sandbox.awaitReady(config.startTimeout());
      if (closed) {
        throw new SandboxException("pool_closed", "the sandbox pool is closed", false);
      }
      return sandbox;
    } catch (IOException | RuntimeException e) {
      if (sandbox != null) {
        sandbox.close();
      } else {
        LocalSandbox.deleteTree(workspace);
        LocalSandbox.deleteTree(log);
        if (driver.usesUidPerSandbox()) {
          uids.release(uid);
        }
      }
      if (e instanceof SandboxException se) {
        throw se;
      }
      throw new SandboxException(
          "sandbox_start_failed", "cannot start sandbox " + id + ": " + e, true, e);
    }
  }

  private Process spawn(LaunchSpec spec) throws IOException {
    try {
      return spawner.submit(() -> driver.launch(spec)).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new SandboxException(
          "sandbox_start_failed", "cannot launch " + spec.id() + ": " + e.getCause(), true, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("sandbox_start_failed", "interrupted", true, e);
    } catch (RejectedExecutionException e) {
      throw new SandboxException("pool_closed", "the sandbox pool is closed", false, e);
    }
  }

  private void onClosed(LocalSandbox sandbox) {
    live.remove(sandbox);
    if (driver.usesUidPerSandbox()) {
      uids.release(sandbox.uid());
    }
    TemplatePool t = templates.get(sandbox.template());
    if (sandbox.leased()) {
      t.leased.decrementAndGet();
    } else {
      t.ready.remove(sandbox);
    }
    refill(t);
  }

  /** A sandbox died on its own (OOM, killed from outside): clean up what is left of it. */
  private void onDied(LocalSandbox sandbox) {
    LOG.warn("sandbox {} died{}", sandbox.id(), sandbox.logTail());
    sandbox.close();
  }

  private void prepareWorkDir() {
    Path workDir = config.workDir();
    try {
      Files.createDirectories(workDir);
      Files.createDirectories(workspaces);
      Files.createDirectories(logs);
      // Sandbox uids must reach their own workspace, but not list anyone else's
      Files.setPosixFilePermissions(workDir, TRAVERSE_ONLY);
      Files.setPosixFilePermissions(workspaces, TRAVERSE_ONLY);
      Files.setPosixFilePermissions(logs, OWNER_ONLY);
      // One pool per work dir: whatever is here is left from a previous run of this agent
      for (Path dir : List.of(workspaces, logs)) {
        try (Stream<Path> stale = Files.list(dir)) {
          stale.forEach(LocalSandbox::deleteTree);
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("sandbox.workDir " + workDir + " is not usable: " + e, e);
    }
    if (driver.usesUidPerSandbox()) {
      for (Path p = workDir.getParent(); p != null; p = p.getParent()) {
        try {
          if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
            throw new IllegalArgumentException(
                "sandbox.workDir "
                    + workDir
                    + ": parent "
                    + p
                    + " is not traversable by sandbox uids (needs o+x)");
          }
        } catch (IOException e) {
          throw new IllegalArgumentException("sandbox.workDir cannot stat " + p + ": " + e, e);
        }
      }
    }
  }

  private static int currentUid() {
    try {
      // /proc/self belongs to the effective uid of the reading process
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException e) {
      throw new SandboxException(
          "isolation_unavailable", "sandboxes need Linux with /proc: " + e, false, e);
    }
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread thread = new Thread(r, prefix + n.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /** The warm set and counters of one template. */
  private static final class TemplatePool {
    final String name;
    final int target;
    final java.util.concurrent.ConcurrentLinkedDeque<LocalSandbox> ready =
        new java.util.concurrent.ConcurrentLinkedDeque<>();
    final AtomicInteger leased = new AtomicInteger();
    int starting; // guarded by this
    boolean backingOff; // guarded by this

    TemplatePool(String name, int target) {
      this.name = name;
      this.target = target;
    }
  }
}
