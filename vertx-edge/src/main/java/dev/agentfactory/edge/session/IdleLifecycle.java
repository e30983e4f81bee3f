package dev.agentfactory.edge.session;

import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.protocol.ServerFrame;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.event.Level;

/**
 * What a {@link Session}'s sandbox does while the session idles: paused after {@code idlePause}
 * without client activity or work, hibernated after {@code idleHibernate}, woken before the next
 * work runs in it. Each change is told to the client as a {@code sandbox.state} frame.
 *
 * <p>Runs on the session's Vert.x context, as the session does; only the sandbox calls themselves
 * run on a worker thread.
 */
final class IdleLifecycle {

  /** Where the sandbox is while the session idles; changed only through {@link #lifecycle}. */
  private enum Sleep {
    AWAKE,
    PAUSED,
    HIBERNATED
  }

  private final Session session;
  private final Vertx vertx;
  private final SessionSettings settings;
  private final EdgeMetrics metrics;

  private Sleep sleep = Sleep.AWAKE;

  /** Pause, hibernate and wake run one after another; work waits for the chain. */
  private Future<Void> lifecycle = Future.succeededFuture();

  private long idleTimer = -1;

  IdleLifecycle(Session session, Vertx vertx, SessionSettings settings, EdgeMetrics metrics) {
    this.session = session;
    this.vertx = vertx;
    this.settings = settings;
    this.metrics = metrics;
  }

  /** Client activity or finished work: the idle clock starts again. */
  void touch() {
    cancelTimer();
    if (!mayIdle() || sleep != Sleep.AWAKE) {
      return;
    }
    long pauseMs = settings.idlePause().toMillis();
    if (pauseMs > 0) {
      idleTimer = vertx.setTimer(pauseMs, t -> session.onContext(this::idlePause));
    }
  }

  /** Whether the session holds a sandbox and no request waits or runs. */
  private boolean mayIdle() {
    return !session.closed() && session.sandbox().held() != null && !session.queue().busy();
  }

  private void idlePause() {
    idleTimer = -1;
    if (!mayIdle() || sleep != Sleep.AWAKE) {
      return;
    }
    LeasedSandbox held = session.sandbox().held();
    lifecycle =
        lifecycle
            .compose(v -> blocking(() -> held.sandbox().pause()))
            .onSuccess(
                v -> {
                  if (session.sandbox().held() != held) {
                    return; // dropped meanwhile (it ended): the next sandbox starts awake
                  }
                  sleep = Sleep.PAUSED;
                  metrics.sandboxTransition("paused");
                  session.send(new ServerFrame.SandboxStateChanged("paused"));
                  long rest = settings.idleHibernate().toMillis() - settings.idlePause().toMillis();
                  if (settings.idleHibernate().toMillis() > 0) {
                    idleTimer =
                        vertx.setTimer(
                            Math.max(1, rest), t -> session.onContext(this::idleHibernate));
                  }
                })
            .recover(e -> logged("pause", e));
  }

  private void idleHibernate() {
    idleTimer = -1;
    if (!mayIdle() || sleep != Sleep.PAUSED) {
      return;
    }
    LeasedSandbox held = session.sandbox().held();
    lifecycle =
        lifecycle
            .compose(v -> blocking(() -> held.sandbox().hibernate()))
            .onSuccess(
                v -> {
                  if (session.sandbox().held() != held) {
                    return;
                  }
                  sleep = Sleep.HIBERNATED;
                  metrics.sandboxTransition("hibernated");
                  session.send(new ServerFrame.SandboxStateChanged("hibernated"));
                })
            .recover(e -> logged("hibernate", e));
  }

  /** Wakes a paused or hibernated sandbox before work runs in it. */
  Future<Void> wake() {
    cancelTimer();
    LeasedSandbox held = session.sandbox().held();
    lifecycle =
        lifecycle.compose(
            v -> {
              if (sleep == Sleep.AWAKE || held == null) {
                return Future.succeededFuture();
              }
              return blocking(() -> held.sandbox().resume())
                  .onSuccess(
                      r -> {
                        sleep = Sleep.AWAKE;
                        metrics.sandboxTransition("running");
                        session.send(new ServerFrame.SandboxStateChanged("running"));
                      });
            });
    return lifecycle;
  }

  /** The sandbox was dropped: the next one starts awake, and nothing waits for the old one. */
  void reset() {
    sleep = Sleep.AWAKE;
    lifecycle = Future.succeededFuture(); // a failed resume of the old sandbox must not block wakes
    cancelTimer();
  }

  /** Stops the idle clock (the session ends, or work is about to run). */
  void cancelTimer() {
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
      idleTimer = -1;
    }
  }

  private Future<Void> logged(String what, Throwable e) {
    session
        .log(Level.WARN)
        .setCause(e)
        .log("session {}: sandbox {} failed; it stays as it was", session.id(), what);
    return Future.succeededFuture();
  }

  /** Lifecycle calls may write cgroup files or start processes: never on the event loop. */
  private Future<Void> blocking(Supplier<CompletionStage<Void>> call) {
    return vertx.executeBlocking(
        () -> {
          call.get().toCompletableFuture().join();
          return (Void) null;
        },
        false);
  }
}
