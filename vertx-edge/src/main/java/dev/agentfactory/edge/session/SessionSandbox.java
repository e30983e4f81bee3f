package dev.agentfactory.edge.session;

import dev.agentfactory.edge.agent.AgentVersion;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.protocol.ServerFrame;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import org.slf4j.event.Level;

/**
 * A {@link Session}'s sandbox: leased on first need and shared by all its work, commands run in it,
 * its end noticed (the client told a non-fatal {@code sandbox_lost}, the next work leasing a fresh
 * one), and given back when the session ends.
 *
 * <p>Runs on the session's Vert.x context, as the session does: lease results, command output and
 * the sandbox's end hop onto it before touching anything.
 */
final class SessionSandbox {

  private final Session session;
  private final Vertx vertx;
  private final Context context;
  private final SandboxLeasing leases;
  private final EdgeMetrics metrics;

  /** The session's agent, whose spec names the sandbox template; null for a plain session. */
  private final AgentVersion agent;

  private LeasedSandbox leased;

  /**
   * Commands running in the session's sandbox now (an exec, or an agent's {@code sandbox.exec} tool
   * call): while one runs, the end of the sandbox is reported by that command's failure, with its
   * id, not by {@link #sandboxEnded}.
   */
  private int execsRunning;

  /**
   * Why {@link #leased} ended while a command ran in it: reported once none runs, unless that
   * command reported it.
   */
  private String endedUnderWork;

  /** The lease in flight or done, shared by whatever needs the sandbox; null until first need. */
  private Future<LeasedSandbox> leasing;

  /**
   * Set by {@link #release} while a lease is in flight: completes once that lease is given back.
   */
  private Promise<Void> lateRelease;

  SessionSandbox(
      Session session,
      Vertx vertx,
      Context context,
      SandboxLeasing leases,
      EdgeMetrics metrics,
      AgentVersion agent) {
    this.session = session;
    this.vertx = vertx;
    this.context = context;
    this.leases = leases;
    this.metrics = metrics;
    this.agent = agent;
  }

  /** The sandbox the session holds now; null before the first lease and after a loss. */
  LeasedSandbox held() {
    return leased;
  }

  /**
   * The session's sandbox, leased on first call; later calls share the same lease. A failed lease
   * is forgotten, so the next command tries again. A sandbox that ended under the session (the pool
   * ended it at its template's lifetime or idle limit, or it died) and was not dropped when it
   * ended ({@link #sandboxEnded}: a sandbox that cannot tell, or a race with this work) is dropped
   * first, and the client told: this work leases a fresh one.
   */
  Future<LeasedSandbox> lease() {
    if (session.closed()) {
      // e.g. a tool call of a turn the end cut off: a lease now would only be given back
      return Future.failedFuture(new IllegalStateException("the session ended"));
    }
    if (leased != null && !leased.sandbox().isAlive()) {
      sandboxLost(leased, null, "it is " + leased.sandbox().state());
    }
    if (leased != null) {
      return Future.succeededFuture(leased);
    }
    Future<LeasedSandbox> current = leasing;
    if (current == null) {
      long leaseStart = System.nanoTime();
      Promise<LeasedSandbox> done = Promise.promise();
      current = done.future();
      leasing = current;
      Future<LeasedSandbox> lease;
      try {
        lease =
            leases.lease(
                session.id(),
                session.tenant(),
                agent == null ? Session.TEMPLATE : agent.spec().sandboxTemplate(),
                agent == null ? LeaseOptions.NONE : agent.spec().leaseOptions());
      } catch (RuntimeException e) {
        // e.g. lease options that cannot be built: a failed lease, never a stuck session
        lease = Future.failedFuture(e);
      }
      // A lease that fails at once completes here and resets `leasing`: return this attempt's
      // future, never the field (it would be null, and the command queue would stall).
      lease.onComplete(ar -> session.onContext(() -> leaseDone(ar, leaseStart, done)));
    }
    return current;
  }

  private void leaseDone(
      AsyncResult<LeasedSandbox> ar, long leaseStart, Promise<LeasedSandbox> done) {
    if (ar.failed()) {
      leasing = null;
      session
          .log(Level.WARN)
          .setCause(ar.cause())
          .log("session {}: no sandbox could be leased", session.id());
      if (lateRelease != null) {
        lateRelease.tryComplete();
      }
      done.fail(ar.cause());
    } else if (session.closed()) {
      // The session ended while the lease was in flight: give the sandbox straight back
      Future<Void> released = releaseQuietly(ar.result());
      if (lateRelease != null) {
        released.onComplete(r -> lateRelease.tryComplete());
      }
      done.fail(new IllegalStateException("the session ended"));
    } else {
      LeasedSandbox sandbox = ar.result();
      metrics.leased(Duration.ofNanos(System.nanoTime() - leaseStart));
      leased = sandbox;
      // A lease lost so that another node may hold it (fenced, not recorded) ends the session. A
      // borrowed sandbox whose host left is only gone, with its files, as any sandbox that ends:
      // its whenTerminated (below) reports it as sandbox_lost and the session carries on, so the
      // client sees the same whether the running command or the pool hears of the host first.
      leases.onLost(
          sandbox,
          code ->
              session.onContext(
                  () -> {
                    if (leased == sandbox && !Session.SANDBOX_HOST_LEFT.equals(code)) {
                      session.sendFatal(
                          code, "the session's sandbox is lost: " + code, (short) 1011);
                    }
                  }));
      // The pool may end the sandbox while the session idles (lifetime or idle limit, a death):
      // the client is told then, not at its next command. Always a hop, never inline: a sandbox
      // that ended already completes this at once, and the work waiting for it runs first.
      sandbox
          .sandbox()
          .whenTerminated()
          .thenAccept(why -> context.runOnContext(v -> sandboxEnded(sandbox, why)));
      session.touch();
      session.send(
          new ServerFrame.SandboxLeased(
              sandbox.sandbox().id(),
              sandbox.leaseId(),
              sandbox.fencingToken(),
              sandbox.node(),
              sandbox.isolation()));
      done.complete(sandbox);
    }
  }

  /**
   * Runs a command in the leased sandbox for {@code owner}; {@code onText} gets its output decoded
   * as UTF-8, on the session's context, in order. Cancelling {@code owner} kills the command (the
   * local sandbox kills its process group): the future then fails with a {@link
   * CancellationException} at once, and output still on its way is dropped.
   */
  Future<ExecResult> exec(
      LeasedSandbox sandbox,
      List<String> argv,
      Duration timeout,
      BiConsumer<OutputListener.Stream, String> onText,
      Work owner) {
    if (owner != null && owner.cancelled()) {
      return Future.failedFuture(new CancellationException("cancelled before it started"));
    }
    Promise<ExecResult> done = Promise.promise();
    Map<OutputListener.Stream, Utf8Chunks> decoders = new EnumMap<>(OutputListener.Stream.class);
    OutputListener listener =
        (stream, chunk) ->
            context.runOnContext(
                v -> {
                  if (!done.future().isComplete()) { // a killed command's last words come late
                    onText.accept(
                        stream,
                        decoders.computeIfAbsent(stream, s -> new Utf8Chunks()).decode(chunk));
                  }
                });
    ExecRequest request =
        new ExecRequest(argv, Map.of(), timeout, ExecRequest.DEFAULT_MAX_OUTPUT_BYTES);
    CompletionStage<ExecResult> running = sandbox.sandbox().exec(request, listener);
    if (owner != null) {
      // The sandbox's documented way to stop a command: kill it, or never start it if it waits.
      // Off the event loop: the local sandbox writes the kill to its init's pipe.
      owner.onCancel(
          () -> vertx.executeBlocking(() -> running.toCompletableFuture().cancel(true), false));
    }
    execsRunning++; // once it runs: a call that throws leaves nothing running
    running.whenComplete(
        (result, error) ->
            context.runOnContext(
                v -> {
                  decoders.forEach((stream, d) -> onText.accept(stream, d.finish()));
                  if (error != null) {
                    // the sandbox's own exception, not the CompletionException of a later stage
                    done.fail(
                        error instanceof CompletionException && error.getCause() != null
                            ? error.getCause()
                            : error);
                  } else {
                    done.complete(result);
                  }
                  // after the caller's handlers, which report a loss with their id
                  context.runOnContext(x -> execDone());
                }));
    return done.future();
  }

  /**
   * A command has finished and its caller has seen the result (and reported a loss it caused, with
   * its id). If the sandbox ended meanwhile and nobody reported it, the client is told now, still
   * without waiting for the next command.
   */
  private void execDone() {
    execsRunning--;
    if (execsRunning > 0 || endedUnderWork == null) {
      return;
    }
    String why = endedUnderWork;
    endedUnderWork = null;
    LeasedSandbox held = leased;
    if (held != null && !held.sandbox().isAlive()) {
      sandboxLost(held, null, "it was terminated: " + why);
    }
  }

  /**
   * The sandbox told the session it ended (see {@link Sandbox#whenTerminated()}); on the session's
   * context. Dropped at once, with a non-fatal {@code sandbox_lost}, unless it is no longer the
   * session's (released, replaced, or the session ended: a release never reports a loss) or a
   * command runs in it (that command reports it, with its id; see {@link #execDone}). A borrowed
   * sandbox whose host left ends here too ({@code why} is {@code sandbox_host_left}); a lease lost
   * otherwise (fenced, not recorded) was told the session first, as a fatal error that ended it.
   */
  private void sandboxEnded(LeasedSandbox sandbox, String why) {
    if (session.closed() || leased != sandbox) {
      metrics.sessionSandboxEnded(false);
      return;
    }
    metrics.sessionSandboxEnded(true);
    if (execsRunning > 0) {
      endedUnderWork = why;
      return;
    }
    sandboxLost(sandbox, null, "it was terminated: " + why);
  }

  /**
   * A sandbox that cannot be woken is as good as gone: it is dropped like one that ended (the
   * client told {@code sandbox_lost}), and the work that woke it leases a fresh one.
   */
  Future<Void> wakeFailed(LeasedSandbox held, Throwable e) {
    session.log(Level.WARN).setCause(e).log("session {}: sandbox could not be woken", session.id());
    if (held != null) {
      sandboxLost(held, null, "it could not be resumed: " + e.getMessage());
    }
    return Future.succeededFuture();
  }

  /**
   * Whether {@code held} ended under the work that just failed in it; if so it is dropped and the
   * client told, with {@code requestId}. A borrowed sandbox whose host left fails its work with
   * {@code sandbox_lost} before the pool marks it dead: that is its end too, told once, here (its
   * later {@link #sandboxEnded} finds it dropped).
   */
  boolean lost(LeasedSandbox held, String requestId, Throwable failure) {
    if (held.sandbox().isAlive()
        && !(failure instanceof SandboxException e && Session.SANDBOX_LOST.equals(e.code()))) {
      return false;
    }
    sandboxLost(held, requestId, String.valueOf(failure.getMessage()));
    return true;
  }

  /**
   * The session's sandbox ended without the session releasing it. The pool's limits end leased
   * sandboxes too ({@code max_lifetime_s}, {@code idle_timeout_s}), and init can die or run out of
   * memory: the session drops the lease (released, so the cluster record and the tenant's quota are
   * freed), tells the client with a non-fatal {@code sandbox_lost}, and the next command or tool
   * call leases a fresh sandbox, as the first one did. Kept, the dead sandbox would fail every
   * later command.
   */
  private void sandboxLost(LeasedSandbox held, String requestId, String why) {
    if (leased != held || session.closed()) {
      return;
    }
    leased = null;
    leasing = null;
    endedUnderWork = null;
    session.idle().reset();
    session.log(Level.INFO).log(
        "session {}: sandbox {} lost: {}", session.id(), held.sandbox().id(), why);
    releaseQuietly(held);
    session.send(
        new ServerFrame.Error(
            requestId,
            Session.SANDBOX_LOST,
            "the session's sandbox "
                + held.sandbox().id()
                + " ended ("
                + why
                + "); its files are gone. The next command or tool call leases a new sandbox",
            null,
            false));
  }

  /**
   * The session ended: gives its sandbox back. Never fails, and completes within {@link
   * Session#RELEASE_WAIT}: once the sandbox is released, once a lease still in flight has arrived
   * and been released, or when the wait runs out (the release then goes on in the background).
   */
  Future<Void> release() {
    Future<Void> release;
    if (leased != null) {
      LeasedSandbox held = leased;
      leased = null;
      release = releaseQuietly(held);
    } else if (leasing != null) {
      // leaseDone sees the session closed and releases what arrives; wait for that, within the
      // bound
      lateRelease = Promise.promise();
      release = lateRelease.future();
    } else {
      return Future.succeededFuture();
    }
    return bounded(release);
  }

  /** Releases {@code held}; a failure (thrown or failed) is logged, the future always succeeds. */
  private Future<Void> releaseQuietly(LeasedSandbox held) {
    Future<Void> release;
    try {
      release = leases.release(held);
    } catch (RuntimeException e) {
      release = Future.failedFuture(e);
    }
    return release.transform(
        ar -> {
          if (ar.failed()) {
            session
                .log(Level.WARN)
                .setCause(ar.cause())
                .log("session {}: sandbox release failed", session.id());
          }
          return Future.<Void>succeededFuture();
        });
  }

  /** {@code release}, or success after {@link Session#RELEASE_WAIT} if not completed by then. */
  private Future<Void> bounded(Future<Void> release) {
    Promise<Void> done = Promise.promise();
    long timer =
        vertx.setTimer(
            Session.RELEASE_WAIT.toMillis(),
            t -> {
              if (done.tryComplete()) {
                session.log(Level.WARN).log(
                    "session {}: sandbox not released within {}; the session ends anyway and"
                        + " the release goes on",
                    session.id(),
                    Session.RELEASE_WAIT);
              }
            });
    release.onComplete(
        ar -> {
          vertx.cancelTimer(timer);
          done.tryComplete();
        });
    return done.future();
  }
}
