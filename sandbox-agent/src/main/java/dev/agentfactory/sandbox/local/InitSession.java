package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.init.InitFrame;
import dev.agentfactory.sandbox.init.InitProtocol;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running af-init behind an isolation driver, spoken to over its pipes: the command channel of
 * a {@link LocalSandbox}. A hibernated sandbox that resumes gets a new session.
 *
 * <p>Each sandbox has one reader thread that decodes init's frames and calls the output listener.
 * On Java 17 (no virtual threads) that is the simplest correct design; it costs one platform thread
 * per live sandbox, which is fine for the tens to low hundreds a node runs. Output listeners run on
 * that thread, in order: a listener that blocks stalls this sandbox's output (and, through the
 * pipe, the command), nothing else.
 */
final class InitSession {

  private static final Logger LOG = LoggerFactory.getLogger(InitSession.class);
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);

  private final String id;
  private final SandboxProcess process;
  private final OutputStream toInit;
  private final InputStream fromInit;
  private final Path log;
  private final ScheduledExecutorService timer;
  private final Consumer<InitSession> onDied;
  private final Consumer<ExecResult> onCommandEnd;
  private final Thread reader;

  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();
  private volatile boolean alive = true;
  private volatile InitCommand current;
  private volatile SandboxException closeReason;
  private volatile boolean closingNow;
  private volatile long lastActivityNanos = System.nanoTime();

  // Commands run one at a time: each starts when the previous one has ended in init
  private final Object queueLock = new Object();
  private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

  /**
   * @param onDied called on the reader thread when af-init ended without {@link #terminate}
   * @param onCommandEnd called on the reader thread for every command, before the caller sees its
   *     result: the place to look for a resource limit it ran into
   */
  InitSession(
      String id,
      SandboxProcess process,
      Path log,
      ScheduledExecutorService timer,
      Consumer<InitSession> onDied,
      Consumer<ExecResult> onCommandEnd) {
    this.id = id;
    this.process = process;
    this.toInit = process.output();
    this.fromInit = new BufferedInputStream(process.input(), 1 << 16);
    this.log = log;
    this.timer = timer;
    this.onDied = onDied;
    this.onCommandEnd = onCommandEnd;
    this.reader = new Thread(this::readLoop, "sandbox-pool-reader-" + id);
    reader.setDaemon(true);
    reader.start();
  }

  /** The host pid of the sandbox's outermost process (bwrap, or af-init for the process driver). */
  long hostPid() {
    return process.pid();
  }

  /** When the last command started or ended, in {@link System#nanoTime()}. */
  long lastActivityNanos() {
    InitCommand cmd = current;
    return cmd != null ? System.nanoTime() : lastActivityNanos;
  }

  boolean isAlive() {
    return alive && process.isAlive();
  }

  /** Blocks until af-init reported READY; the caller is a pool thread, never a lease caller. */
  void awaitReady(Duration timeout) {
    try {
      ready.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new SandboxException(
          "sandbox_start_failed",
          "sandbox " + id + " not ready within " + timeout + logTail(),
          true,
          e);
    } catch (ExecutionException e) {
      throw new SandboxException(
          "sandbox_start_failed",
          "sandbox " + id + " died before it was ready" + logTail(),
          true,
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("sandbox_start_failed", "interrupted", true, e);
    }
  }

  CompletionStage<ExecResult> exec(ExecRequest request, OutputListener listener) {
    InitFrame frame;
    try {
      frame = InitProtocol.exec(request.argv(), request.env());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(
          new SandboxException("invalid_request", e.getMessage(), false, e));
    }
    InitCommand cmd = new InitCommand(request, listener == null ? OutputListener.IGNORE : listener);
    // A copy: a caller completing its stage must not disturb the queue. Cancelling it is how a
    // caller that went away (a closed stream) stops the command: killed, or never started.
    CompletableFuture<ExecResult> caller = cmd.result.copy();
    caller.whenComplete(
        (r, e) -> {
          if (caller.isCancelled()) {
            cancel(cmd);
          }
        });
    synchronized (queueLock) {
      tail.whenComplete((ignored, error) -> beginOrFail(cmd, frame));
      tail = cmd.ended;
    }
    return caller;
  }

  /** The caller gave up on {@code cmd}: kill it if it runs, skip it if it has not started. */
  private void cancel(InitCommand cmd) {
    cmd.cancelled = true;
    kill(cmd, false);
  }

  // whenComplete would swallow an exception and leave the caller waiting forever
  private void beginOrFail(InitCommand cmd, InitFrame frame) {
    try {
      begin(cmd, frame);
    } catch (RuntimeException e) {
      kill(cmd, false);
      current = null;
      cmd.fail(new SandboxException("exec_failed", "cannot start command: " + e, false, e));
    }
  }

  private void begin(InitCommand cmd, InitFrame frame) {
    if (!alive) {
      SandboxException reason = closeReason;
      cmd.fail(reason != null ? reason : dead("is not running"));
      return;
    }
    if (cmd.cancelled) {
      cmd.fail(new SandboxException("exec_cancelled", "the caller cancelled the command", false));
      return;
    }
    current = cmd;
    lastActivityNanos = System.nanoTime();
    cmd.startNanos = System.nanoTime();
    try {
      send(frame);
    } catch (IOException e) {
      current = null;
      cmd.fail(dead("stopped taking commands: " + e));
      return;
    }
    cmd.timeout =
        timer.schedule(
            () -> kill(cmd, true), cmd.request.timeout().toNanos(), TimeUnit.NANOSECONDS);
    if (cmd.cancelled) {
      // cancelled while it was being sent: cancel() saw no current command to kill
      kill(cmd, false);
    }
  }

  /** Asks init to SIGKILL the command's process group; the EXIT frame completes the command. */
  private void kill(InitCommand cmd, boolean timedOut) {
    if (current != cmd || cmd.ended.isDone()) {
      return;
    }
    cmd.timedOut |= timedOut;
    try {
      send(InitFrame.of(InitFrame.Type.KILL));
    } catch (IOException e) {
      // The pipe only breaks when init died; the reader then fails the command as sandbox_dead
    }
    if (timedOut) {
      timer.schedule(() -> killIfWedged(cmd), KILL_WAIT.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /**
   * af-init answers a KILL within milliseconds. One that has not after {@link #KILL_WAIT} is
   * wedged: a process of the sandbox can SIGSTOP a command between init's vfork and its exec, which
   * holds init until the command execs. The sandbox is then killed, so the caller gets an answer
   * ({@code sandbox_dead}) instead of waiting forever, and the pool cleans up after it.
   */
  private void killIfWedged(InitCommand cmd) {
    if (current != cmd || cmd.ended.isDone() || !alive) {
      return;
    }
    ProcessTree.descendants(process.pid()).forEach(ProcessHandle::destroyForcibly);
    process.kill();
  }

  private void send(InitFrame frame) throws IOException {
    synchronized (toInit) {
      InitProtocol.write(toInit, frame);
    }
  }

  private void readLoop() {
    Throwable failure = null;
    try {
      InitFrame frame;
      while ((frame = InitProtocol.read(fromInit)) != null) {
        handle(frame);
      }
    } catch (IOException | RuntimeException e) {
      failure = e;
    }
    alive = false;
    process.closeInput();
    SandboxException reason = closeReason;
    boolean expected = closed.get() || closingNow;
    SandboxException dead =
        expected
            ? (reason != null
                ? reason
                : new SandboxException("sandbox_closed", "sandbox " + id + " was closed", false))
            : new SandboxException(
                "sandbox_dead", "sandbox " + id + " stopped" + logTail(), true, failure);
    ready.completeExceptionally(dead);
    InitCommand cmd = current;
    current = null;
    if (cmd != null) {
      cmd.fail(dead);
    }
    if (!expected) {
      onDied.accept(this);
    }
  }

  private void handle(InitFrame frame) throws IOException {
    InitCommand cmd = current;
    switch (frame.type()) {
      case READY -> ready.complete(null);
      case STDOUT -> output(cmd, OutputListener.Stream.STDOUT, frame.payload());
      case STDERR -> output(cmd, OutputListener.Stream.STDERR, frame.payload());
      case EXIT -> {
        if (cmd != null) {
          ExecResult result = cmd.toResult(InitProtocol.decodeExit(frame.payload()));
          try {
            onCommandEnd.accept(result);
          } catch (RuntimeException e) {
            // Its limit check is a report on the command, not part of it: thrown out of here, it
            // would end this reader and so the sandbox (sandbox_dead) over a working command
            LOG.warn("the command-end check of sandbox {} failed", id, e);
          }
          current = null;
          lastActivityNanos = System.nanoTime();
          cmd.finish(result);
        } else {
          current = null;
        }
      }
      case ERROR -> {
        current = null;
        if (cmd != null) {
          String message = new String(frame.payload(), StandardCharsets.UTF_8);
          cmd.fail(new SandboxException("exec_rejected", "af-init: " + message, false));
        }
      }
      default -> throw new IOException("af-init sent a host-bound frame type " + frame.type());
    }
  }

  private void output(InitCommand cmd, OutputListener.Stream stream, byte[] chunk) {
    if (cmd == null || cmd.result.isDone()) {
      return;
    }
    long room = cmd.request.maxOutputBytes() - cmd.seen;
    byte[] part = chunk;
    if (chunk.length > room) {
      // Dropped, not killed: the command's exit code still matters to the caller
      cmd.truncated = true;
      if (room <= 0) {
        return;
      }
      part = Arrays.copyOf(chunk, (int) room);
    }
    cmd.seen += part.length;
    try {
      cmd.listener.onOutput(stream, part);
    } catch (RuntimeException e) {
      cmd.result.completeExceptionally(SandboxException.listenerFailed(e));
      kill(cmd, false);
    }
  }

  private SandboxException dead(String what) {
    return new SandboxException("sandbox_dead", "sandbox " + id + " " + what, true);
  }

  /**
   * Announces that af-init is about to be killed from outside (its cgroup), so its end is not
   * reported as a crash and a running command fails with {@code reason}.
   */
  void closing(SandboxException reason) {
    if (!closingNow) {
      closeReason = reason;
      closingNow = true;
    }
    alive = false;
  }

  /**
   * Kills af-init and everything it runs and waits until it is reaped; a running command fails with
   * {@code reason}. Idempotent: a second caller waits for the first.
   */
  void terminate(SandboxException reason) {
    closing(reason);
    if (!closed.compareAndSet(false, true)) {
      terminated.join();
      return;
    }
    try {
      killAndReap();
      terminated.complete(null);
    } catch (RuntimeException e) {
      terminated.completeExceptionally(e);
      throw e;
    }
  }

  /**
   * Kills everything the sandbox runs and waits until it is gone.
   *
   * <p>Descendants go first: for bwrap that is af-init, PID 1 of the sandbox, whose death makes the
   * kernel kill the whole pid namespace; bwrap, its parent, then reaps it. Only then is bwrap
   * killed: killing it first would orphan af-init to the host's init, which reaps slowly and leaves
   * zombies of the sandbox uid behind. For the process driver the descendants are the commands,
   * reaped by af-init before it is killed in turn.
   */
  private void killAndReap() {
    List<ProcessHandle> inside = ProcessTree.descendants(process.pid());
    inside.forEach(ProcessHandle::destroyForcibly);
    ProcessTree.awaitGone(inside, KILL_WAIT);
    process.kill();
    try {
      if (!process.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new SandboxException(
            "sandbox_stuck",
            "sandbox " + id + " (pid " + process.pid() + ") survived SIGKILL",
            false);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("sandbox_stuck", "interrupted while killing " + id, false, e);
    }
    process.closeOutput();
    ProcessTree.awaitGone(inside, KILL_WAIT);
  }

  /** The end of the sandbox log, to explain a failed start. */
  String logTail() {
    try {
      String text = SandboxLauncher.tail(log);
      return text.isEmpty() ? "" : "; log: " + text;
    } catch (IOException e) {
      return "";
    }
  }
}
