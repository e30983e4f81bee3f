package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.InvalidLeaseException;
import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.PoolStats;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxEvent;
import dev.agentfactory.sandbox.SandboxEventListener;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.SandboxPool;
import dev.agentfactory.sandbox.SandboxState;
import dev.agentfactory.sandbox.cgroup.CgroupTree;
import dev.agentfactory.sandbox.driver.Capabilities;
import dev.agentfactory.sandbox.driver.Isolation;
import dev.agentfactory.sandbox.driver.IsolationDriver;
import dev.agentfactory.sandbox.driver.SeccompFilter;
import dev.agentfactory.sandbox.egress.EgressDecision;
import dev.agentfactory.sandbox.egress.EgressProxy;
import dev.agentfactory.sandbox.init.InitBinary;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import dev.agentfactory.sandbox.template.TemplateSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
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

  /** How many sandboxes one lease takes when each is terminated before it is handed over. */
  private static final int MAX_HAND_OVER_ATTEMPTS = 3;

  /**
   * Whether sandboxes start through the launch server ({@link LaunchServer}); {@code
   * -Daf.sandbox.launchServer=false} spawns each from the JVM instead, as before it existed (for
   * comparisons, and as a way out should the server misbehave on some host).
   */
  static final boolean LAUNCH_SERVER =
      Boolean.parseBoolean(System.getProperty("af.sandbox.launchServer", "true"));

  /**
   * How often the refiller looks for templates leased from since its last look while leases come
   * in; see {@link #refillLoop}.
   */
  static final Duration REFILL_DELAY = Duration.ofMillis(5);

  /** How rarely it looks when no lease came for a while: the longest a refill waits to begin. */
  static final Duration REFILL_IDLE_DELAY = Duration.ofMillis(40);

  private final SandboxConfig config;
  private final DirLock workDirLock;
  private final IsolationDriver driver;
  private final int hostUid;
  private final UidAllocator uids;
  private final Path initBinary;
  private final Path workspaces;
  private final Path logs;
  private final Path hibernated;
  private final EgressProxy egressProxy = new EgressProxy();
  private final CgroupTree cgroups;
  private final Capabilities capabilities;
  private final SandboxLauncher launcher;
  private final Hooks hooks = new Hooks();
  private final List<SandboxEventListener> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService starters;
  private final ExecutorService lifecycle;
  private final ExecutorService spawner;
  private final ExecutorService fileWorkers;
  private final WorkspaceUnmounter unmounter; // null without workspace mounts
  private final LaunchServer launchServer; // null: the JVM spawns every sandbox
  private final ScheduledExecutorService timer;
  private final Map<String, TemplatePool> templates = new HashMap<>();
  private final Set<LocalSandbox> live = ConcurrentHashMap.newKeySet();
  private final AtomicInteger startsInFlight = new AtomicInteger();
  private final Thread refiller;
  private volatile boolean closed;

  /** A pool of the built-in templates ({@link TemplateCatalog#builtIn()}). */
  public LocalSandboxPool(SandboxConfig config) {
    this(config, TemplateCatalog.builtIn());
  }

  /**
   * A pool of the given templates. A template whose programs are missing on this host is reported
   * unavailable ({@link #unavailableTemplates()}) and fails leases; the pool still starts.
   *
   * @throws SandboxException {@code isolation_unavailable} when the configured level cannot run
   *     here (no bwrap; {@code vm} without a usable {@code /dev/kvm})
   * @throws DirLock.InUseException when another pool (in any process) uses the work dir
   */
  public LocalSandboxPool(SandboxConfig config, TemplateCatalog catalog) {
    // First, before the work dir is emptied: a second pool on it would wipe this one's workspaces
    this.workDirLock = DirLock.acquire(config.workDir(), "sandbox work dir");
    try {
      this.config = config;
      this.hostUid = PoolHost.currentUid();
      this.driver = PoolHost.driver(config, hostUid);
      this.uids = new UidAllocator(config.uidBase(), config.uidCount());
      this.workspaces = config.workDir().resolve("workspaces");
      this.logs = config.workDir().resolve("logs");
      this.hibernated = config.workDir().resolve("hibernated");
      PoolHost.prepareWorkDir(config.workDir(), driver.usesUidPerSandbox());
      this.initBinary = InitBinary.extractTo(config.workDir());
      this.cgroups = PoolHost.detectCgroups(config.workDir());
      boolean diskCap = hostUid == 0;
      Path seccomp =
          driver.isolation() == Isolation.NAMESPACE
              ? SeccompFilter.writeTo(config.workDir().resolve("seccomp.bpf")).orElse(null)
              : null;
      this.capabilities = PoolHost.effective(driver.capabilities(), cgroups, diskCap, seccomp);
      // +1: on-demand starts always find a thread even while the warm refill uses its share
      this.starters =
          Executors.newFixedThreadPool(config.maxConcurrentStarts() + 1, named("sandbox-pool-"));
      // Hibernate, wake and terminations: each can take seconds (tar, kill and reap), so they get
      // their own threads and never hold up a lease's on-demand start on the starters above
      this.lifecycle = Executors.newCachedThreadPool(named("sandbox-pool-lifecycle-"));
      ScheduledThreadPoolExecutor timeouts =
          new ScheduledThreadPoolExecutor(1, named("sandbox-pool-timer-"));
      // Almost every command timeout is cancelled; without this they pile up until they expire
      timeouts.setRemoveOnCancelPolicy(true);
      this.timer = timeouts;
      // bwrap --die-with-parent (PR_SET_PDEATHSIG) fires when the *thread* that forked it exits,
      // not
      // the JVM. So every sandbox is forked from this one thread, which lives as long as the pool;
      // forking from the starter threads would kill a sandbox whenever its starter thread ended.
      this.spawner = Executors.newSingleThreadExecutor(named("sandbox-pool-spawner-"));
      // Workspace file access blocks on the host file system. Unbounded on purpose: a hostile
      // sandbox that wins the race of swapping a checked file for a FIFO stalls one thread in
      // open(),
      // and must not stall every other sandbox's file access with it (see WorkspaceFiles)
      this.fileWorkers = Executors.newCachedThreadPool(named("sandbox-pool-files-"));
      Path launchBinary = InitBinary.extractLauncherTo(config.workDir());
      this.unmounter = diskCap ? startUnmounter(launchBinary, workspaces, spawner) : null;
      this.launchServer =
          LAUNCH_SERVER
              ? startLaunchServer(launchBinary, config.workDir().resolve("launch"), spawner)
              : null;
      this.launcher =
          new SandboxLauncher(
              driver,
              uids,
              hostUid,
              initBinary,
              launchBinary,
              seccomp,
              cgroups,
              diskCap,
              workspaces,
              logs,
              config.workDir().resolve("egress"),
              egressProxy,
              spawner,
              timer,
              unmounter,
              launchServer);
      for (TemplateSpec spec : catalog.all()) {
        int target =
            config.warmTargets().containsKey(spec.name())
                ? config.warmTarget(spec.name())
                : spec.warmPoolSize();
        Optional<String> unavailable =
            TemplateCatalog.unavailableReason(spec, driver.isolation())
                .or(() -> PoolHost.egressUnavailable(spec, config.workDir()));
        unavailable.ifPresent(
            why -> LOG.info("template '{}' is unavailable on this host: {}", spec.name(), why));
        templates.put(spec.name(), new TemplatePool(spec, target, unavailable.orElse(null)));
      }
      timer.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
      this.refiller = new Thread(this::refillLoop, "sandbox-pool-refiller");
      refiller.setDaemon(true);
      refiller.start();
      templates.values().forEach(this::refill);
    } catch (RuntimeException | Error e) {
      workDirLock.close();
      throw e;
    }
  }

  private static WorkspaceUnmounter startUnmounter(
      Path launcher, Path workspaces, ExecutorService spawner) {
    try {
      return WorkspaceUnmounter.start(launcher, workspaces, spawner);
    } catch (SandboxException e) {
      LOG.warn(
          "workspaces will be unmounted with umount(8), one process per close: {}", e.getMessage());
      return null;
    }
  }

  private static LaunchServer startLaunchServer(Path launcher, Path dir, ExecutorService spawner) {
    try {
      return LaunchServer.start(launcher, dir, spawner);
    } catch (SandboxException e) {
      LOG.warn("sandboxes will be spawned by the JVM, one process per start: {}", e.getMessage());
      return null;
    }
  }

  /** What sandboxes of this pool can do on this host. */
  public Capabilities capabilities() {
    return capabilities;
  }

  /** Templates that cannot run here, with the reason; leases of them fail. */
  public Map<String, String> unavailableTemplates() {
    Map<String, String> out = new HashMap<>();
    templates.forEach(
        (name, t) -> {
          if (t.unavailable != null) {
            out.put(name, t.unavailable);
          }
        });
    return out;
  }

  /** Memory charged to the cgroups of all live sandboxes, in bytes; 0 without cgroups. */
  public long memoryBytes() {
    return live.stream().mapToLong(LocalSandbox::memoryBytes).sum();
  }

  @Override
  public void addListener(SandboxEventListener listener) {
    listeners.add(listener);
  }

  @Override
  public CompletionStage<Sandbox> lease(String template) {
    return lease(template, LeaseOptions.NONE);
  }

  /**
   * Leases a warm sandbox (or starts one when none is ready) and applies {@code options} to it
   * before handing it over: lease env and egress policy in memory, files written into the workspace
   * on a pool thread. The egress policy is checked against the template's before any sandbox is
   * taken, so a rejected lease costs no warm sandbox.
   */
  @Override
  public CompletionStage<Sandbox> lease(String template, LeaseOptions options) {
    LeaseOptions opts = options == null ? LeaseOptions.NONE : options;
    if (closed) {
      return CompletableFuture.failedFuture(
          new SandboxException("pool_closed", "the sandbox pool is closed", false));
    }
    TemplatePool t = templates.get(template);
    if (t == null) {
      return CompletableFuture.failedFuture(
          new SandboxException(
              "unknown_template",
              "unknown template '" + template + "', known: " + templates.keySet(),
              false));
    }
    if (t.unavailable != null) {
      return CompletableFuture.failedFuture(
          new SandboxException(
              "template_unavailable",
              "template '" + template + "' is unavailable: " + t.unavailable,
              false));
    }
    if (opts.egress() != null) {
      Optional<Integer> widened = t.spec.egress().firstUncovered(opts.egress());
      if (widened.isPresent()) {
        int i = widened.get();
        return CompletableFuture.failedFuture(
            new InvalidLeaseException(
                InvalidLeaseException.EGRESS_WIDENED,
                "egress[" + i + "]",
                "("
                    + opts.egress().rules().get(i)
                    + ") is not covered by template '"
                    + template
                    + "', whose egress allowlist is "
                    + t.spec.egress().rules()
                    + ": a lease may only narrow it"));
      }
    }
    LocalSandbox warm;
    while ((warm = takeWarm(t)) != null) {
      if (!opts.files().isEmpty()) {
        LocalSandbox claimed = warm;
        return async(() -> customised(t, claimed, opts));
      }
      // Nothing to write: hand it over without a thread hop
      warm.customise(opts);
      if (handOver(t, warm)) {
        return CompletableFuture.completedFuture(warm);
      }
      // terminated since takeWarm saw it alive: the next one
    }
    refill(t);
    return async(() -> customised(t, null, opts));
  }

  /** The next live warm sandbox of {@code t}, or null; dead ones on the way are cleaned up. */
  private LocalSandbox takeWarm(TemplatePool t) {
    LocalSandbox warm;
    while ((warm = t.ready.poll()) != null) {
      if (warm.isAlive()) {
        // The replacement starts a moment later, not now: its launch (JVM spawn, bwrap) would
        // compete with this hand-over and with the next leases of a burst for the same cores
        refillSoon(t);
        return warm;
      }
      // Dead while warm: its cleanup (kill, reap, unmount) must not delay this lease
      LocalSandbox dead = warm;
      background(() -> dead.closeWith("died"));
    }
    return null;
  }

  private CompletionStage<Sandbox> async(java.util.function.Supplier<Sandbox> task) {
    try {
      return CompletableFuture.supplyAsync(task, starters);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          new SandboxException("pool_closed", "the sandbox pool is closed", false, e));
    }
  }

  /**
   * Applies the lease options on a pool thread and hands the sandbox over; {@code first} null
   * starts one. A sandbox the options cannot apply to is closed. One terminated meanwhile (max
   * lifetime, a death: nothing the caller did) is replaced by the next warm one or a fresh start, a
   * few times at most.
   */
  private Sandbox customised(TemplatePool t, LocalSandbox first, LeaseOptions options) {
    LocalSandbox sandbox = first == null ? start(t) : first;
    for (int attempt = 1; ; attempt++) {
      try {
        sandbox.customise(options);
        if (handOver(t, sandbox)) {
          return sandbox;
        }
      } catch (RuntimeException e) {
        if (sandbox.state() != SandboxState.TERMINATED) {
          sandbox.closeWith("lease_failed");
          throw e;
        }
      }
      if (attempt == MAX_HAND_OVER_ATTEMPTS) {
        throw new SandboxException(
            "sandbox_dead",
            "the " + attempt + " sandboxes taken for this lease were terminated before hand-over",
            true);
      }
      LocalSandbox next = takeWarm(t);
      sandbox = next != null ? next : start(t);
    }
  }

  @Override
  public void retarget(String template, int target) {
    TemplatePool t = templates.get(template);
    if (t == null) {
      throw new SandboxException(
          "unknown_template",
          "unknown template '" + template + "', known: " + templates.keySet(),
          false);
    }
    if (target < 0) {
      throw new IllegalArgumentException("target must be >= 0, was " + target);
    }
    t.target = target;
    // Surplus warm sandboxes go; they were never leased, so nobody loses work
    while (t.ready.size() > target) {
      LocalSandbox surplus = t.ready.pollLast();
      if (surplus == null) {
        break;
      }
      background(() -> surplus.closeWith("retargeted"));
    }
    refill(t);
  }

  /**
   * Marks the sandbox leased and counts it; false when it was terminated first. A close racing this
   * decrements the count only if it sees the sandbox leased, so the count stays right.
   */
  private static boolean handOver(TemplatePool t, LocalSandbox sandbox) {
    if (!sandbox.markLeased()) {
      return false;
    }
    t.leased.incrementAndGet();
    return true;
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

  /** Sandbox uids handed out and not yet released; for tests and diagnostics. */
  int uidsInUse() {
    return uids.inUse();
  }

  /** The warm sandboxes of a template, in hand-over order; for tests. */
  List<LocalSandbox> warm(String template) {
    return List.copyOf(templates.get(template).ready);
  }

  /** The sandboxes alive right now, warm or leased; for tests and diagnostics. */
  int liveCount() {
    return live.size();
  }

  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(refiller);
    starters.shutdown();
    // Starts still running notice `closed` and close their own sandbox
    for (LocalSandbox sandbox : List.copyOf(live)) {
      sandbox.close();
    }
    lifecycle.shutdown();
    try {
      if (!starters.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("sandbox starts still running 30 s after close");
      }
      if (!lifecycle.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("sandbox hibernations or terminations still running 30 s after close");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (LocalSandbox sandbox : List.copyOf(live)) {
      sandbox.close();
    }
    egressProxy.close();
    if (unmounter != null) {
      unmounter.close();
    }
    if (launchServer != null) {
      launchServer.close();
    }
    fileWorkers.shutdown();
    // Last: its exit is what --die-with-parent watches
    spawner.shutdown();
    timer.shutdownNow();
    if (cgroups != null) {
      cgroups.close();
    }
    workDirLock.close();
  }

  /**
   * Asks for a refill of {@code t} without doing anything on the lease caller's thread but one
   * volatile write: no lock, no allocation, no thread to wake (waking the timer took its lock and a
   * futex call, and the woken thread could preempt the caller on a busy host). The refiller picks
   * it up on its next look, see {@link #refillLoop}.
   */
  private static void refillSoon(TemplatePool t) {
    t.refillWanted = true;
  }

  /**
   * Looks for templates leased from every {@link #REFILL_DELAY} while leases come in, backing off
   * to {@link #REFILL_IDLE_DELAY} when none do: a burst of leases is handed over before the
   * replacements start, the replacements of the whole burst are counted once, and an idle pool
   * costs 25 wake-ups a second.
   */
  private void refillLoop() {
    long delay = REFILL_DELAY.toNanos();
    while (!closed) {
      LockSupport.parkNanos(delay);
      boolean wanted = false;
      for (TemplatePool t : templates.values()) {
        if (t.refillWanted) {
          t.refillWanted = false;
          wanted = true;
          try {
            refill(t);
          } catch (RuntimeException e) {
            // never let one failure end the refiller: the warm sets would silently drain
            LOG.warn("refill of '{}' failed", t.name, e);
          }
        }
      }
      delay = wanted ? REFILL_DELAY.toNanos() : Math.min(delay * 2, REFILL_IDLE_DELAY.toNanos());
    }
  }

  private void refill(TemplatePool t) {
    synchronized (t) {
      while (!closed
          && !t.backingOff
          && t.unavailable == null
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
      LocalSandbox sandbox = start(t);
      // The target may have dropped while this one started (a drain, a re-split): a sandbox
      // above the target goes at once instead of sitting warm until the next retarget
      boolean surplus;
      synchronized (t) {
        surplus = t.ready.size() >= t.target;
        if (!surplus) {
          t.ready.add(sandbox);
        }
      }
      if (surplus) {
        background(() -> sandbox.closeWith("retargeted"));
      } else {
        started = true;
      }
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
  private LocalSandbox start(TemplatePool t) {
    String id = "sbx-" + UUID.randomUUID().toString().substring(0, 13).replace("-", "");
    LocalSandbox sandbox = new LocalSandbox(id, t.spec, launcher, hooks, lifecycle);
    live.add(sandbox);
    try {
      sandbox.start(config.startTimeout());
    } catch (RuntimeException e) {
      live.remove(sandbox);
      sandbox.closeWith("start_failed");
      throw e;
    }
    if (closed) {
      sandbox.close();
      throw new SandboxException("pool_closed", "the sandbox pool is closed", false);
    }
    return sandbox;
  }

  /** Terminates sandboxes past their template's idle timeout or maximum lifetime. */
  private void sweep() {
    long now = System.nanoTime();
    for (LocalSandbox sandbox : live) {
      TemplateSpec spec = sandbox.spec();
      String reason = null;
      if (spec.maxLifetime() != null
          && now - sandbox.startedNanos() > spec.maxLifetime().toNanos()) {
        reason = SandboxEvent.MAX_LIFETIME;
      } else if (spec.idleTimeout() != null
          && sandbox.state() == SandboxState.LEASED
          && now - sandbox.lastActivityNanos() > spec.idleTimeout().toNanos()) {
        reason = SandboxEvent.IDLE_TIMEOUT;
      }
      if (reason != null) {
        String why = reason;
        LOG.info("terminating sandbox {}: {}", sandbox.id(), why);
        background(() -> sandbox.closeWith(why));
      }
    }
  }

  private void background(Runnable task) {
    try {
      lifecycle.execute(task);
    } catch (RejectedExecutionException e) {
      // the pool is closing and closes every sandbox itself
    }
  }

  private void emit(LocalSandbox sandbox, SandboxState state, String reason) {
    SandboxEvent event =
        new SandboxEvent(sandbox.id(), sandbox.template(), state, reason, Instant.now());
    for (SandboxEventListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (RuntimeException e) {
        // One broken listener must not stop the sandbox or the other listeners
        LOG.warn("sandbox event listener failed on {}", event, e);
      }
    }
  }

  private void onClosed(LocalSandbox sandbox) {
    if (!live.remove(sandbox)) {
      return;
    }
    TemplatePool t = templates.get(sandbox.template());
    if (sandbox.leased()) {
      t.leased.decrementAndGet();
    } else {
      t.ready.remove(sandbox);
    }
    refill(t);
  }

  /** The pool side of a sandbox: events, bookkeeping and shared settings. */
  final class Hooks {
    void emit(LocalSandbox sandbox, SandboxState state, String reason) {
      LocalSandboxPool.this.emit(sandbox, state, reason);
    }

    /** An egress decision of the sandbox's proxy, published as an event. */
    void egress(LocalSandbox sandbox, EgressDecision decision) {
      SandboxEvent event =
          SandboxEvent.egress(sandbox.id(), sandbox.template(), sandbox.state(), decision);
      for (SandboxEventListener listener : listeners) {
        try {
          listener.onEvent(event);
        } catch (RuntimeException e) {
          LOG.warn("sandbox event listener failed on {}", event, e);
        }
      }
    }

    void closed(LocalSandbox sandbox) {
      onClosed(sandbox);
    }

    /** A sandbox died on its own (OOM, killed from outside): clean up what is left of it. */
    void died(LocalSandbox sandbox, String reason) {
      LOG.warn("sandbox {} died ({})", sandbox.id(), reason);
      background(() -> sandbox.closeWith(reason));
    }

    Path archivePath(String id) {
      return hibernated.resolve(id + ".tar");
    }

    Duration startTimeout() {
      return config.startTimeout();
    }

    Duration fileTimeout() {
      return config.fileTimeout();
    }

    /** Where workspace file access runs: off every caller's thread. */
    ExecutorService fileWorkers() {
      return fileWorkers;
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
    final TemplateSpec spec;
    final String unavailable;
    volatile int target;
    final java.util.concurrent.ConcurrentLinkedDeque<LocalSandbox> ready =
        new java.util.concurrent.ConcurrentLinkedDeque<>();
    final AtomicInteger leased = new AtomicInteger();
    int starting; // guarded by this
    boolean backingOff; // guarded by this
    volatile boolean refillWanted; // a lease took from the warm set since the refiller looked

    TemplatePool(TemplateSpec spec, int target, String unavailable) {
      this.name = spec.name();
      this.spec = spec;
      this.target = target;
      this.unavailable = unavailable;
    }
  }
}
