package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.FileEntry;
import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxEvent;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.SandboxState;
import dev.agentfactory.sandbox.cgroup.SandboxCgroup;
import dev.agentfactory.sandbox.egress.EgressGate;
import dev.agentfactory.sandbox.template.TemplateSpec;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * A sandbox as its holder sees it: a stable id and a lifecycle ({@link SandboxState}) over a
 * changing {@link Incarnation} (none while hibernated). State changes are serialised on this
 * object; commands go straight to the current session.
 */
final class LocalSandbox implements Sandbox {

  private final String id;
  private final TemplateSpec template;
  private final SandboxLauncher launcher;
  private final LocalSandboxPool.Hooks pool;
  private final Executor background;
  private final long startedNanos = System.nanoTime();

  private final SandboxStatus status; // written only while holding this
  private volatile boolean leased;
  private volatile Map<String, String> leaseEnv = Map.of();
  private final EgressGate egress; // null when the template allows no egress
  private final SandboxFiles files;
  private final LimitWatch limits; // guarded by this
  private final Hibernation hibernation; // guarded by this

  /** Completed with the reason once the sandbox is terminated; see {@link #whenTerminated()}. */
  private final CompletableFuture<String> terminated = new CompletableFuture<>();

  LocalSandbox(
      String id,
      TemplateSpec template,
      SandboxLauncher launcher,
      LocalSandboxPool.Hooks pool,
      Executor background) {
    this.id = id;
    this.template = template;
    this.launcher = launcher;
    this.pool = pool;
    this.background = background;
    this.status = new SandboxStatus(id);
    this.egress =
        template.egress().isNone()
            ? null
            : new EgressGate(
                id, template.egress(), InetAddress::getAllByName, d -> pool.egress(this, d));
    this.files = new SandboxFiles(id, template, status, launcher, pool);
    this.limits = new LimitWatch(this, pool);
    this.hibernation = new Hibernation(id, launcher, pool);
  }

  /** Starts the first incarnation; on the caller's (pool) thread. */
  void start(java.time.Duration startTimeout) {
    pool.emit(this, SandboxState.CREATING, "starting");
    Incarnation inc =
        launcher.launch(id, template, null, startTimeout, this::died, this::checkLimits, egress);
    synchronized (this) {
      status.setLast(inc);
      if (status.state() == SandboxState.TERMINATED) {
        // closed while starting (pool close)
        launcher.destroy(inc, null);
        throw new SandboxException("pool_closed", "the sandbox pool is closed", false);
      }
      status.setBody(inc);
      transition(SandboxState.READY, "ready");
    }
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String template() {
    return template.name();
  }

  TemplateSpec spec() {
    return template;
  }

  long startedNanos() {
    return startedNanos;
  }

  @Override
  public SandboxState state() {
    return status.state();
  }

  /** The host uid of the current (or, once terminated, the last) incarnation. */
  int uid() {
    return status.latest().uid();
  }

  Path workspace() {
    return status.latest().workspace();
  }

  long hostPid() {
    return status.latest().session().hostPid();
  }

  /** Memory charged to the sandbox's cgroup; 0 without one or while hibernated. */
  long memoryBytes() {
    Incarnation inc = status.current();
    return inc == null || inc.cgroup() == null ? 0 : inc.cgroup().memoryBytes();
  }

  long lastActivityNanos() {
    Incarnation inc = status.current();
    return inc == null ? System.nanoTime() : inc.session().lastActivityNanos();
  }

  boolean leased() {
    return leased;
  }

  /**
   * Applies claim-time options to this not-yet-leased sandbox: the lease env becomes the default of
   * every command, files are written into the workspace as the sandbox's uid.
   */
  synchronized void customise(LeaseOptions options) {
    if (!options.files().isEmpty()) {
      launcher.writeFiles(status.running(), options.files());
    }
    leaseEnv = options.env();
    if (egress != null && options.egress() != null) {
      egress.lease(options.egress());
    }
  }

  /**
   * Marks this sandbox leased, unless it was terminated since the pool took it (max lifetime, a
   * death): the pool then leases another one, and counts this one as never leased.
   *
   * @return false when terminated: the caller must not hand it over
   */
  synchronized boolean markLeased() {
    if (status.state() == SandboxState.TERMINATED) {
      return false;
    }
    leased = true;
    transition(SandboxState.LEASED, "leased");
    return true;
  }

  @Override
  public boolean isAlive() {
    return status.isAlive();
  }

  /**
   * Completes after the {@code TERMINATED} event, with its reason, on the thread that terminated
   * the sandbox: the pool's lifecycle thread for a sweep (max lifetime, idle timeout) or a death
   * (OOM, init killed), the closer's for {@link #close()}.
   */
  @Override
  public CompletionStage<String> whenTerminated() {
    return terminated.minimalCompletionStage();
  }

  @Override
  public CompletionStage<ExecResult> exec(ExecRequest request, OutputListener listener) {
    SandboxState s = status.state();
    Incarnation inc = status.current();
    if (s == SandboxState.PAUSED || s == SandboxState.HIBERNATED) {
      return CompletableFuture.failedFuture(
          new SandboxException(
              "sandbox_" + s.name().toLowerCase(java.util.Locale.ROOT),
              "sandbox " + id + " is " + s + "; resume() it first",
              false));
    }
    if (inc == null) {
      return CompletableFuture.failedFuture(
          new SandboxException("sandbox_dead", "sandbox " + id + " is " + s, true));
    }
    return inc.session().exec(withLeaseEnv(request), listener);
  }

  private ExecRequest withLeaseEnv(ExecRequest request) {
    Map<String, String> defaults = leaseEnv;
    if (defaults.isEmpty()) {
      return request;
    }
    Map<String, String> env = new HashMap<>(defaults);
    env.putAll(request.env());
    return new ExecRequest(request.argv(), env, request.timeout(), request.maxOutputBytes());
  }

  @Override
  public CompletionStage<byte[]> readFile(String path, long maxBytes) {
    return files.read(path, maxBytes);
  }

  @Override
  public CompletionStage<Void> writeFile(String path, byte[] content) {
    return files.write(path, content);
  }

  @Override
  public CompletionStage<List<FileEntry>> listFiles(String path) {
    return files.list(path);
  }

  /** Synchronous: a freeze is one write to the cgroup and a poll until the kernel confirms. */
  @Override
  public synchronized CompletionStage<Void> pause() {
    try {
      if (status.state() != SandboxState.PAUSED) {
        status.require("pause", SandboxState.LEASED, SandboxState.READY);
        Incarnation inc = status.running();
        if (inc.cgroup() == null) {
          throw SandboxException.unsupported("pause", "no writable cgroup freezer on this host");
        }
        freeze(inc.cgroup());
        transition(SandboxState.PAUSED, "paused");
      }
      return CompletableFuture.completedFuture(null);
    } catch (SandboxException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Synchronous from PAUSED (a thaw); from HIBERNATED a fresh start on a pool thread. */
  @Override
  public CompletionStage<Void> resume() {
    synchronized (this) {
      try {
        if (status.state() == SandboxState.PAUSED) {
          status.running().cgroup().thaw();
          transition(leased ? SandboxState.LEASED : SandboxState.READY, "resumed");
          return CompletableFuture.completedFuture(null);
        }
        if (status.state() == SandboxState.LEASED || status.state() == SandboxState.READY) {
          return CompletableFuture.completedFuture(null);
        }
        status.require("resume", SandboxState.HIBERNATED);
      } catch (SandboxException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    return async(this::wake);
  }

  /**
   * Archives the workspace and releases everything else, on a pool thread. Workspace file
   * operations are fenced: those already running are answered first (so the archive has what they
   * wrote), and those arriving from this call on wait for the outcome: {@code sandbox_hibernated}
   * once hibernated, as for commands, or they run as usual if hibernation failed.
   */
  @Override
  public CompletionStage<Void> hibernate() {
    synchronized (this) {
      if (status.state() == SandboxState.HIBERNATED) {
        return CompletableFuture.completedFuture(null);
      }
      try {
        status.require("hibernate", SandboxState.LEASED, SandboxState.PAUSED);
      } catch (SandboxException e) {
        return CompletableFuture.failedFuture(e);
      }
      files.raiseFence();
    }
    CompletableFuture<Void> done;
    try {
      done = async(this::sleep).toCompletableFuture();
    } catch (RuntimeException e) {
      files.lowerFence();
      throw e;
    }
    // The waiting file operations go on once the state says how it ended (and before the caller's
    // own continuations run): lowered first, so they are not fenced again by this hibernation
    return done.whenComplete((ignored, error) -> files.lowerFence());
  }

  /** Not synchronized while it waits for file operations: close() and pause() need not wait. */
  private void sleep() {
    files.awaitAnswered();
    archiveAndRelease();
  }

  private synchronized void archiveAndRelease() {
    if (status.state() == SandboxState.HIBERNATED) {
      return;
    }
    status.require("hibernate", SandboxState.LEASED, SandboxState.PAUSED);
    Incarnation inc = status.running();
    hibernation.archive(inc, status.state() == SandboxState.PAUSED);
    status.setHibernating(true);
    status.setBody(null);
    try {
      hibernation.release(inc);
    } finally {
      // The archive is complete and body is gone: whatever the cleanup did, this is hibernated.
      // Staying LEASED without a body would fail resume() and pause() and, since an absent body
      // reads as just active, keep the idle sweep from ever reaping the sandbox
      transition(SandboxState.HIBERNATED, "hibernated");
      status.setHibernating(false);
    }
  }

  /**
   * Freezes the cgroup, or leaves it thawed: a freeze the kernel did not confirm in time leaves
   * {@code cgroup.freeze} at 1, and nothing else would ever thaw a sandbox whose state says it is
   * running.
   */
  static void freeze(SandboxCgroup cgroup) {
    try {
      cgroup.freeze();
    } catch (RuntimeException e) {
      try {
        cgroup.thaw();
      } catch (RuntimeException thawFailed) {
        e.addSuppressed(thawFailed);
      }
      throw e;
    }
  }

  private synchronized void wake() {
    if (status.state() != SandboxState.HIBERNATED) {
      return;
    }
    Path archive = hibernation.archive();
    status.setBody(
        launcher.launch(
            id, template, archive, pool.startTimeout(), this::died, this::checkLimits, egress));
    status.setLast(status.current());
    hibernation.deleteArchive();
    transition(leased ? SandboxState.LEASED : SandboxState.READY, "resumed");
  }

  private CompletionStage<Void> async(Runnable action) {
    try {
      return CompletableFuture.runAsync(action, background);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          new SandboxException("pool_closed", "the sandbox pool is closed", false, e));
    }
  }

  @Override
  public void close() {
    closeWith("closed");
  }

  /**
   * Terminates the sandbox, reporting {@code reason} in the TERMINATED event and to {@link
   * #whenTerminated()} (completed outside this object's lock: its dependents run on this thread).
   */
  void closeWith(String reason) {
    boolean ended = false;
    try {
      synchronized (this) {
        if (status.state() == SandboxState.TERMINATED) {
          return;
        }
        ended = true;
        SandboxState before = status.state();
        status.setState(SandboxState.TERMINATED);
        Incarnation inc = status.current();
        status.setBody(null);
        try {
          if (inc != null) {
            if (before == SandboxState.PAUSED) {
              // cgroup v1 delivers SIGKILL to frozen tasks only once thawed
              inc.cgroup().thaw();
            }
            launcher.destroy(inc, null);
          }
          hibernation.deleteArchive();
        } finally {
          pool.emit(this, SandboxState.TERMINATED, reason);
          pool.closed(this);
        }
      }
    } finally {
      if (ended) {
        terminated.complete(reason);
      }
    }
  }

  /** af-init ended on its own: find out why, then clean up on a pool thread. */
  private void died(InitSession session) {
    String reason = "died";
    synchronized (this) {
      Incarnation inc = status.current();
      if (inc == null || inc.session() != session) {
        return;
      }
      if (limits.oomKilledSinceLastCheck(inc)) {
        reason = SandboxEvent.OOM;
      }
    }
    pool.died(this, reason);
  }

  /** Called before the caller sees a command's result: reports limits it ran into. */
  private void checkLimits(ExecResult result) {
    Incarnation inc = status.current();
    if (inc == null) {
      return;
    }
    boolean failed = result.status() != ExecResult.Status.EXITED || result.exitCode() != 0;
    synchronized (this) {
      limits.check(inc, failed, status.state());
    }
  }

  private void transition(SandboxState to, String reason) {
    status.setState(to);
    pool.emit(this, to, reason);
  }
}
