package dev.agentfactory.sandbox.local;

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
import java.util.concurrent.TimeUnit;
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

  /**
   * Whether sandboxes start through the launch server ({@link LaunchServer}); {@code
   * -Daf.sandbox.launchServer=false} spawns each from the JVM instead, as before it existed (for
   * comparisons, and as a way out should the server misbehave on some host).
   */
  static final boolean LAUNCH_SERVER =
      Boolean.parseBoolean(System.getProperty("af.sandbox.launchServer", "true"));

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
  private final PoolThreads threads;
  private final WorkspaceUnmounter unmounter; // null without workspace mounts
  private final LaunchServer launchServer; // null: the JVM spawns every sandbox
  private final Map<String, TemplatePool> templates = new HashMap<>();
  private final Set<LocalSandbox> live = ConcurrentHashMap.newKeySet();
  private final WarmRefill refill;
  private final LeaseHandOver handOver;
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
      this.threads = new PoolThreads(config.maxConcurrentStarts());
      Path launchBinary = InitBinary.extractLauncherTo(config.workDir());
      this.unmounter =
          diskCap ? PoolHost.startUnmounter(launchBinary, workspaces, threads.spawner) : null;
      this.launchServer =
          LAUNCH_SERVER
              ? PoolHost.startLaunchServer(
                  launchBinary, config.workDir().resolve("launch"), threads.spawner)
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
              threads.spawner,
              threads.timer,
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
      threads.timer.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
      this.refill =
          new WarmRefill(
              templates.values(), config.maxConcurrentStarts(), threads, this::start, () -> closed);
      this.handOver = new LeaseHandOver(threads, refill, this::start);
      refill.start();
    } catch (RuntimeException | Error e) {
      workDirLock.close();
      throw e;
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
      return CompletableFuture.failedFuture(unknownTemplate(template));
    }
    if (t.unavailable != null) {
      return CompletableFuture.failedFuture(
          new SandboxException(
              "template_unavailable",
              "template '" + template + "' is unavailable: " + t.unavailable,
              false));
    }
    return handOver.lease(t, opts);
  }

  @Override
  public void retarget(String template, int target) {
    TemplatePool t = templates.get(template);
    if (t == null) {
      throw unknownTemplate(template);
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
      threads.background(() -> surplus.closeWith("retargeted"));
    }
    refill.refill(t);
  }

  private SandboxException unknownTemplate(String template) {
    return new SandboxException(
        "unknown_template",
        "unknown template '" + template + "', known: " + templates.keySet(),
        false);
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
    refill.stop();
    threads.starters.shutdown();
    // Starts still running notice `closed` and close their own sandbox
    for (LocalSandbox sandbox : List.copyOf(live)) {
      sandbox.close();
    }
    threads.lifecycle.shutdown();
    try {
      if (!threads.starters.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("sandbox starts still running 30 s after close");
      }
      if (!threads.lifecycle.awaitTermination(30, TimeUnit.SECONDS)) {
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
    threads.fileWorkers.shutdown();
    // Last: its exit is what --die-with-parent watches
    threads.spawner.shutdown();
    threads.timer.shutdownNow();
    if (cgroups != null) {
      cgroups.close();
    }
    workDirLock.close();
  }

  /** Starts one sandbox and waits until it is ready; runs on a pool thread. */
  private LocalSandbox start(TemplatePool t) {
    String id = "sbx-" + UUID.randomUUID().toString().substring(0, 13).replace("-", "");
    LocalSandbox sandbox = new LocalSandbox(id, t.spec, launcher, hooks, threads.lifecycle);
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
        threads.background(() -> sandbox.closeWith(why));
      }
    }
  }

  private void emit(LocalSandbox sandbox, SandboxState state, String reason) {
    publish(new SandboxEvent(sandbox.id(), sandbox.template(), state, reason, Instant.now()));
  }

  private void publish(SandboxEvent event) {
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
    t.closed(sandbox);
    refill.refill(t);
  }

  /** The pool side of a sandbox: events, bookkeeping and shared settings. */
  final class Hooks {
    void emit(LocalSandbox sandbox, SandboxState state, String reason) {
      LocalSandboxPool.this.emit(sandbox, state, reason);
    }

    /** An egress decision of the sandbox's proxy, published as an event. */
    void egress(LocalSandbox sandbox, EgressDecision decision) {
      publish(SandboxEvent.egress(sandbox.id(), sandbox.template(), sandbox.state(), decision));
    }

    void closed(LocalSandbox sandbox) {
      onClosed(sandbox);
    }

    /** A sandbox died on its own (OOM, killed from outside): clean up what is left of it. */
    void died(LocalSandbox sandbox, String reason) {
      LOG.warn("sandbox {} died ({})", sandbox.id(), reason);
      threads.background(() -> sandbox.closeWith(reason));
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
      return threads.fileWorkers;
    }
  }
}
