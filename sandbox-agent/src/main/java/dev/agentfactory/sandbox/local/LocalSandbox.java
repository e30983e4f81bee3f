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
import dev.agentfactory.sandbox.cgroup.LimitCounters;
import dev.agentfactory.sandbox.cgroup.SandboxCgroup;
import dev.agentfactory.sandbox.egress.EgressGate;
import dev.agentfactory.sandbox.template.TemplateSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sandbox as its holder sees it: a stable id and a lifecycle ({@link SandboxState}) over a
 * changing {@link Incarnation} (none while hibernated). State changes are serialised on this
 * object; commands go straight to the current session.
 */
final class LocalSandbox implements Sandbox {

  private static final Logger LOG = LoggerFactory.getLogger(LocalSandbox.class);

  /** Below this much free workspace space a failed command is reported as {@code disk_full}. */
  private static final long DISK_FULL_BYTES = 64 << 10;

  /** How long past the file timeout a hibernation waits for file operations to answer. */
  private static final java.time.Duration FILES_GRACE = java.time.Duration.ofSeconds(5);

  private final String id;
  private final TemplateSpec template;
  private final SandboxLauncher launcher;
  private final LocalSandboxPool.Hooks pool;
  private final Executor background;
  private final long startedNanos = System.nanoTime();

  private volatile Incarnation body; // null while creating, hibernated or terminated
  // set while a hibernation tears the archived incarnation down (body already null, state not yet
  // HIBERNATED): the sandbox lives on in its archive, and isAlive() must not read it as dead
  private volatile boolean hibernating;
  // Bumped before and after every write of state, body and hibernating (odd while one is being
  // written). isAlive() reads the three without the lock; a "dead" answer that raced a write (a
  // hibernation ending, a wake) mixes old and new values, and is read again.
  private final AtomicLong writes = new AtomicLong();
  private volatile Incarnation last; // the latest incarnation, for diagnostics after close
  private volatile SandboxState state = SandboxState.CREATING;
  private volatile boolean leased;
  private volatile Map<String, String> leaseEnv = Map.of();
  private final EgressGate egress; // null when the template allows no egress
  private LimitCounters seen = LimitCounters.NONE; // guarded by this
  private boolean diskFullReported; // guarded by this
  private Path archive; // guarded by this; the hibernated workspace

  /**
   * The fence between workspace file operations and hibernation. A file operation is admitted
   * (counted in {@link #filesInFlight} until its caller has an answer) only while no hibernation
   * runs; hibernation waits until the admitted ones have answered before it archives, and those
   * that arrive meanwhile wait for its outcome ({@link #filesFence}).
   */
  private final Object fileLock = new Object();

  private int filesInFlight; // guarded by fileLock
  private int hibernations; // guarded by fileLock; hibernate() calls not yet finished
  // guarded by fileLock; non-null while hibernations > 0
  private CompletableFuture<Void> filesFence;

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
    this.egress =
        template.egress().isNone()
            ? null
            : new EgressGate(
                id, template.egress(), InetAddress::getAllByName, d -> pool.egress(this, d));
  }

  /** Starts the first incarnation; on the caller's (pool) thread. */
  void start(java.time.Duration startTimeout) {
    pool.emit(this, SandboxState.CREATING, "starting");
    Incarnation inc =
        launcher.launch(id, template, null, startTimeout, this::died, this::checkLimits, egress);
    synchronized (this) {
      last = inc;
      if (state == SandboxState.TERMINATED) {
        // closed while starting (pool close)
        launcher.destroy(inc, null);
        throw new SandboxException("pool_closed", "the sandbox pool is closed", false);
      }
      setBody(inc);
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
    return state;
  }

  private Incarnation body() {
    Incarnation inc = body;
    if (inc == null) {
      throw new SandboxException("sandbox_not_running", "sandbox " + id + " is " + state, false);
    }
    return inc;
  }

  /** The host uid of the current (or, once terminated, the last) incarnation. */
  int uid() {
    return latest().uid();
  }

  Path workspace() {
    return latest().workspace();
  }

  long hostPid() {
    return latest().session().hostPid();
  }

  private Incarnation latest() {
    Incarnation inc = last;
    if (inc == null) {
      throw new SandboxException("sandbox_not_running", "sandbox " + id + " never ran", false);
    }
    return inc;
  }

  /** Memory charged to the sandbox's cgroup; 0 without one or while hibernated. */
  long memoryBytes() {
    Incarnation inc = body;
    return inc == null || inc.cgroup() == null ? 0 : inc.cgroup().memoryBytes();
  }

  long lastActivityNanos() {
    Incarnation inc = body;
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
      launcher.writeFiles(body(), options.files());
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
    if (state == SandboxState.TERMINATED) {
      return false;
    }
    leased = true;
    transition(SandboxState.LEASED, "leased");
    return true;
  }

  @Override
  public boolean isAlive() {
    for (int attempt = 0; ; attempt++) {
      long before = writes.get();
      SandboxState s = state;
      boolean h = hibernating;
      Incarnation inc = body;
      boolean alive =
          s != SandboxState.TERMINATED
              && (s == SandboxState.HIBERNATED || h || (inc != null && inc.session().isAlive()));
      // "Alive" and "terminated" are answers whatever raced them (TERMINATED is final); "dead" is
      // one only if nothing was written meanwhile: reading the old body, then a hibernation's end
      // (HIBERNATED, not hibernating) or a wake's LEASED before its new body, reads as dead
      if (alive
          || s == SandboxState.TERMINATED
          || ((before & 1) == 0 && writes.get() == before)
          || attempt >= 10_000) {
        return alive;
      }
      Thread.yield(); // a writer is mid-write: it holds no lock a reader needs and is brief
    }
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
    SandboxState s = state;
    Incarnation inc = body;
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
    return files(path, false, (files, p) -> files.read(p, maxBytes));
  }

  @Override
  public CompletionStage<Void> writeFile(String path, byte[] content) {
    if (content == null) {
      return CompletableFuture.failedFuture(
          new SandboxException("invalid_request", "content of '" + path + "' is missing", false));
    }
    return files(
        path,
        false,
        (files, p) -> {
          files.write(p, content);
          return null;
        });
  }

  @Override
  public CompletionStage<List<FileEntry>> listFiles(String path) {
    return files(path, true, WorkspaceFiles::list);
  }

  /**
   * Runs a file operation on the pool's file workers against the current incarnation's workspace.
   * Works while paused (nothing inside can race us then); a hibernated workspace is an archive.
   */
  private <T> CompletionStage<T> files(
      String path, boolean rootAllowed, BiFunction<WorkspaceFiles, WorkspacePath, T> op) {
    WorkspacePath parsed;
    Incarnation inc;
    CompletableFuture<Void> fence;
    try {
      parsed = WorkspacePath.parse(path, rootAllowed);
      synchronized (fileLock) {
        fence = filesFence;
        if (fence == null) {
          inc = filesIncarnation();
          filesInFlight++;
        } else {
          inc = null;
        }
      }
    } catch (SandboxException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (fence != null) {
      // A hibernation is running: what it leaves decides (sandbox_hibernated once it archived the
      // workspace; the operation runs as usual if it failed). The fence is lowered before it is
      // completed, so this runs again at most once per hibernation
      return fence.thenCompose(ignored -> files(path, rootAllowed, op));
    }
    CompletableFuture<T> answer;
    try {
      answer = admitted(path, parsed, inc, op);
    } catch (RuntimeException e) {
      fileDone();
      throw e;
    }
    answer.whenComplete((value, error) -> fileDone());
    return answer;
  }

  /** Runs an admitted file operation; its caller always gets an answer within the file timeout. */
  private <T> CompletableFuture<T> admitted(
      String path,
      WorkspacePath parsed,
      Incarnation inc,
      BiFunction<WorkspaceFiles, WorkspacePath, T> op) {
    WorkspaceFiles files =
        new WorkspaceFiles(
            inc.workspace(), inc.uid(), launcher.uidPerSandbox(), template.limits().diskBytes());
    try {
      java.time.Duration timeout = pool.fileTimeout();
      return CompletableFuture.supplyAsync(() -> op.apply(files, parsed), pool.fileWorkers())
          // The caller gets an answer even when a race the sandbox won (a FIFO swapped in between
          // a check and an open, see WorkspaceFiles) blocks the worker thread in open() for good.
          // That bound is also what a hibernation waits for at most (awaitFilesAnswered)
          .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .handle(
              (value, error) -> {
                if (error == null) {
                  return value;
                }
                Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                if (body != inc) {
                  // hibernated or closed while we worked: that, not the I/O error, is the news
                  throw stateError();
                }
                if (cause instanceof TimeoutException) {
                  throw new SandboxException(
                      "file_timeout",
                      "file access to '" + path + "' took longer than " + timeout,
                      false,
                      cause);
                }
                throw cause instanceof SandboxException se
                    ? se
                    : new SandboxException(
                        "io_error", "file access to '" + path + "' failed: " + cause, true, cause);
              });
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          new SandboxException("pool_closed", "the sandbox pool is closed", false, e));
    }
  }

  private void fileDone() {
    synchronized (fileLock) {
      if (--filesInFlight == 0) {
        fileLock.notifyAll();
      }
    }
  }

  /**
   * Raises the file fence for one hibernation: operations from now on wait for its outcome. Called
   * while holding this, after the state check.
   */
  private void raiseFileFence() {
    synchronized (fileLock) {
      if (hibernations++ == 0) {
        filesFence = new CompletableFuture<>();
      }
    }
  }

  /** Lowers the fence once the last running hibernation ended; the waiting operations go on. */
  private void lowerFileFence() {
    CompletableFuture<Void> release = null;
    synchronized (fileLock) {
      if (--hibernations == 0) {
        release = filesFence;
        filesFence = null;
      }
    }
    if (release != null) {
      release.complete(null);
    }
  }

  /**
   * Waits until every file operation admitted before the fence went up has answered its caller, so
   * none reports success for a change the archive misses. Bounded: each answers within the file
   * timeout ({@code file_timeout} at worst, for a worker a FIFO holds in open()). A worker still
   * running after its answer can leave no more than a staging directory, which the archive skips.
   */
  private void awaitFilesAnswered() {
    long deadline = System.nanoTime() + pool.fileTimeout().plus(FILES_GRACE).toNanos();
    synchronized (fileLock) {
      while (filesInFlight > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          LOG.warn(
              "sandbox {}: hibernating with {} file operation(s) still unanswered",
              id,
              filesInFlight);
          return;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(fileLock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SandboxException(
              "invalid_state", "interrupted while hibernating sandbox " + id, false, e);
        }
      }
    }
  }

  private Incarnation filesIncarnation() {
    Incarnation inc = body;
    if (inc == null || state == SandboxState.HIBERNATED || state == SandboxState.TERMINATED) {
      throw stateError();
    }
    return inc;
  }

  private SandboxException stateError() {
    SandboxState s = state;
    if (s == SandboxState.HIBERNATED) {
      return new SandboxException(
          "sandbox_hibernated",
          "sandbox " + id + " is HIBERNATED: its workspace is archived; resume() it first",
          false);
    }
    return new SandboxException("sandbox_not_running", "sandbox " + id + " is " + s, false);
  }

  /** Synchronous: a freeze is one write to the cgroup and a poll until the kernel confirms. */
  @Override
  public synchronized CompletionStage<Void> pause() {
    try {
      if (state != SandboxState.PAUSED) {
        requireState("pause", SandboxState.LEASED, SandboxState.READY);
        Incarnation inc = body();
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
        if (state == SandboxState.PAUSED) {
          body().cgroup().thaw();
          transition(leased ? SandboxState.LEASED : SandboxState.READY, "resumed");
          return CompletableFuture.completedFuture(null);
        }
        if (state == SandboxState.LEASED || state == SandboxState.READY) {
          return CompletableFuture.completedFuture(null);
        }
        requireState("resume", SandboxState.HIBERNATED);
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
      if (state == SandboxState.HIBERNATED) {
        return CompletableFuture.completedFuture(null);
      }
      try {
        requireState("hibernate", SandboxState.LEASED, SandboxState.PAUSED);
      } catch (SandboxException e) {
        return CompletableFuture.failedFuture(e);
      }
      raiseFileFence();
    }
    CompletableFuture<Void> done;
    try {
      done = async(this::sleep).toCompletableFuture();
    } catch (RuntimeException e) {
      lowerFileFence();
      throw e;
    }
    // The waiting file operations go on once the state says how it ended (and before the caller's
    // own continuations run): lowered first, so they are not fenced again by this hibernation
    return done.whenComplete((ignored, error) -> lowerFileFence());
  }

  /** Not synchronized while it waits for file operations: close() and pause() need not wait. */
  private void sleep() {
    awaitFilesAnswered();
    archiveAndRelease();
  }

  private synchronized void archiveAndRelease() {
    if (state == SandboxState.HIBERNATED) {
      return;
    }
    requireState("hibernate", SandboxState.LEASED, SandboxState.PAUSED);
    Incarnation inc = body();
    if (inc.cgroup() != null && state != SandboxState.PAUSED) {
      // A consistent workspace: nothing writes while tar reads
      freeze(inc.cgroup());
    }
    Path target = pool.archivePath(id);
    try {
      launcher.archive(inc, target);
    } catch (RuntimeException e) {
      try {
        // a partial archive is useless and may be large: it must not stay on the host's disk
        java.nio.file.Files.deleteIfExists(target);
      } catch (java.io.IOException cannotDelete) {
        e.addSuppressed(cannotDelete);
      }
      if (inc.cgroup() != null && state != SandboxState.PAUSED) {
        inc.cgroup().thaw();
      }
      throw e;
    }
    setHibernating(true);
    setBody(null);
    archive = target;
    try {
      if (inc.cgroup() != null) {
        // cgroup v1 delivers SIGKILL to frozen tasks only once thawed
        inc.cgroup().thaw();
      }
      launcher.destroy(
          inc,
          new SandboxException(
              "sandbox_hibernated", "sandbox " + id + " was hibernated mid-command", false));
    } finally {
      // The archive is complete and body is gone: whatever the cleanup did, this is hibernated.
      // Staying LEASED without a body would fail resume() and pause() and, since an absent body
      // reads as just active, keep the idle sweep from ever reaping the sandbox
      transition(SandboxState.HIBERNATED, "hibernated");
      setHibernating(false);
    }
  }

  /**
   * Freezes the cgroup, or leaves it thawed: a freeze the kernel did not confirm in time leaves
   * {@code cgroup.freeze} at 1, and nothing else would ever thaw a sandbox whose state says it is
   * running.
   */
  private static void freeze(SandboxCgroup cgroup) {
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
    if (state != SandboxState.HIBERNATED) {
      return;
    }
    setBody(
        launcher.launch(
            id, template, archive, pool.startTimeout(), this::died, this::checkLimits, egress));
    last = body;
    deleteArchive();
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
        if (state == SandboxState.TERMINATED) {
          return;
        }
        ended = true;
        SandboxState before = state;
        setState(SandboxState.TERMINATED);
        Incarnation inc = body;
        setBody(null);
        try {
          if (inc != null) {
            if (before == SandboxState.PAUSED) {
              // cgroup v1 delivers SIGKILL to frozen tasks only once thawed
              inc.cgroup().thaw();
            }
            launcher.destroy(inc, null);
          }
          deleteArchive();
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
      Incarnation inc = body;
      if (inc == null || inc.session() != session) {
        return;
      }
      if (inc.cgroup() != null && inc.cgroup().counters().oomKills() > seen.oomKills()) {
        reason = SandboxEvent.OOM;
      }
    }
    pool.died(this, reason);
  }

  /**
   * Called before the caller sees a command's result: reports limits it ran into. The cgroup
   * counters are read after every command (two small reads; a fork bomb's leader may well exit 0),
   * the workspace's free space only after a failed one.
   */
  private void checkLimits(ExecResult result) {
    Incarnation inc = body;
    if (inc == null) {
      return;
    }
    boolean failed = result.status() != ExecResult.Status.EXITED || result.exitCode() != 0;
    synchronized (this) {
      if (inc.cgroup() != null) {
        LimitCounters now = inc.cgroup().counters();
        if (now.oomKills() > seen.oomKills()) {
          pool.emit(this, state, SandboxEvent.OOM);
        }
        if (now.pidsRejections() > seen.pidsRejections()) {
          pool.emit(this, state, SandboxEvent.PIDS_EXHAUSTED);
        }
        seen = now;
      }
      if (inc.mounted() && (failed || diskFullReported)) {
        boolean full = usableBytes(inc.workspace()) < DISK_FULL_BYTES;
        if (full && !diskFullReported) {
          pool.emit(this, state, SandboxEvent.DISK_FULL);
        }
        diskFullReported = full;
      }
    }
  }

  private static long usableBytes(Path dir) {
    try {
      return Files.getFileStore(dir).getUsableSpace();
    } catch (IOException e) {
      return Long.MAX_VALUE;
    }
  }

  private void requireState(String operation, SandboxState... allowed) {
    for (SandboxState s : allowed) {
      if (state == s) {
        return;
      }
    }
    throw new SandboxException(
        "invalid_state", "cannot " + operation + " sandbox " + id + " while it is " + state, false);
  }

  private void transition(SandboxState to, String reason) {
    setState(to);
    pool.emit(this, to, reason);
  }

  private void setState(SandboxState to) {
    writes.incrementAndGet();
    state = to;
    writes.incrementAndGet();
  }

  private void setBody(Incarnation inc) {
    writes.incrementAndGet();
    body = inc;
    writes.incrementAndGet();
  }

  private void setHibernating(boolean on) {
    writes.incrementAndGet();
    hibernating = on;
    writes.incrementAndGet();
  }

  private void deleteArchive() {
    if (archive != null) {
      SandboxLauncher.deleteTree(archive);
      archive = null;
    }
  }
}
