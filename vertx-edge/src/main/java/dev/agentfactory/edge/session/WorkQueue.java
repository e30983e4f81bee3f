package dev.agentfactory.edge.session;

import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.protocol.ClientFrame;
import dev.agentfactory.edge.protocol.FrameException;
import dev.agentfactory.edge.protocol.ServerFrame;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.event.Level;

/**
 * A {@link Session}'s requests in arrival order: execs, messages and feedback run one after
 * another, at most {@value Session#MAX_PENDING} wait behind the running one, and a {@code cancel}
 * frame stops the exec or message it names, waiting or running.
 *
 * <p>Runs on the session's Vert.x context, as the session does; {@link #feedbackInOrder} hops onto
 * it.
 */
final class WorkQueue {

  private final Session session;
  private final EdgeMetrics metrics;

  /** Requests queued and not yet answered, the running one included. */
  private int pending;

  /** Completes when the previous command has finished; the next one chains on it. */
  private Future<Void> tail = Future.succeededFuture();

  /** The execs and messages queued or running, in arrival order: what a cancel can name. */
  private final List<Work> open = new ArrayList<>();

  /** The exec or message that runs now; null while none does (or feedback runs). */
  private Work running;

  WorkQueue(Session session, EdgeMetrics metrics) {
    this.session = session;
    this.metrics = metrics;
  }

  /** Whether a request waits or runs. */
  boolean busy() {
    return pending > 0;
  }

  /** The exec or message that runs now; null while none does (or feedback runs). */
  Work running() {
    return running;
  }

  /**
   * Records feedback behind the work queued before it, so feedback on a command or message sent
   * just before finds its turn; the frame and {@code POST /v1/sessions/{id}/feedback} alike. From
   * any thread. Fails as {@link TurnRecording#recordFeedback} does, or with {@code
   * too_many_pending} when {@value Session#MAX_PENDING} requests already wait.
   */
  Future<FeedbackRecord> feedbackInOrder(ClientFrame.Feedback feedback) {
    Promise<FeedbackRecord> result = Promise.promise();
    session.onContext(
        () -> {
          if (full()) {
            result.fail(
                new FrameException(
                    "too_many_pending",
                    Session.MAX_PENDING + " requests are already queued; wait for their answers",
                    null,
                    feedback.id()));
            return;
          }
          String backlog = session.recording().backlog();
          if (backlog != null) {
            result.fail(
                new FrameException(Session.RECORDING_BACKLOG, backlog, null, feedback.id()));
            return;
          }
          pending++;
          tail =
              tail.transform(
                  ar ->
                      session
                          .recording()
                          .recordFeedback(feedback)
                          .andThen(result)
                          .transform(
                              done -> {
                                pending--;
                                session.touch();
                                return Future.succeededFuture();
                              }));
        });
    return result.future();
  }

  /**
   * Whether {@value Session#MAX_PENDING} requests already wait behind the running one. {@code
   * pending} counts the running request too, so the queue is full only above the bound (it refused
   * the 16th waiting request before).
   */
  private boolean full() {
    return pending > Session.MAX_PENDING;
  }

  /**
   * A cancel frame: the earliest exec or message with the target's id that is not cancelled yet
   * stops (docs/protocol.md#cancelling). Not queued: it acts at once, ahead of the work it stops.
   */
  void cancel(ClientFrame.Cancel cancel) {
    Work target = null;
    boolean ending = false;
    for (Work work : open) {
      if (work.id().equals(cancel.target())) {
        if (!work.cancelled()) {
          target = work;
          break;
        }
        ending = true;
      }
    }
    if (target == null) {
      if (ending) {
        // cancelled already and still stopping: a repeated cancel (e.g. after a resume) changes
        // nothing, and is told so rather than that the work is unknown
        session.send(new ServerFrame.CancelAccepted(cancel.id(), cancel.target(), "running"));
        return;
      }
      session.send(
          new ServerFrame.Error(
              cancel.id(),
              "unknown_target",
              "no exec or message with id '"
                  + cancel.target()
                  + "' is running or waiting in this session (it has ended, or was never sent)",
              "target",
              false));
      return;
    }
    String state = target.started() ? "running" : "queued";
    metrics.cancelled(target.kind().name().toLowerCase(Locale.ROOT), state);
    session.log(Level.DEBUG).log(
        "session {}: cancel {} of {} ({})", session.id(), cancel.id(), target.id(), state);
    session.send(new ServerFrame.CancelAccepted(cancel.id(), cancel.target(), state));
    if (!target.started()) {
      // It never runs: out of the queue now, its slot free; its chain step finds it cancelled
      open.remove(target);
      pending--;
      target.cancel();
      session.touch();
    } else {
      target.cancel();
    }
  }

  /** Queues work behind whatever runs now, unless the queue or the data plane is full. */
  void enqueue(Work work, Supplier<Future<Void>> job) {
    String requestId = work.id();
    if (full()) {
      session.send(
          new ServerFrame.Error(
              requestId,
              "too_many_pending",
              Session.MAX_PENDING + " commands are already queued; wait for exec.exit frames",
              null,
              false));
      return;
    }
    String backlog = session.recording().backlog();
    if (backlog != null) {
      session.send(
          new ServerFrame.Error(requestId, Session.RECORDING_BACKLOG, backlog, null, false));
      return;
    }
    pending++;
    open.add(work);
    tail =
        tail.transform(
            ar -> {
              if (work.cancelled()) {
                // cancelled while it waited: answered, counted off and dropped then
                return Future.succeededFuture();
              }
              if (ar.failed() || session.closed()) {
                pending--;
                open.remove(work);
                return Future.failedFuture(
                    ar.failed() ? ar.cause() : new IllegalStateException("closed"));
              }
              work.start();
              running = work;
              LeasedSandbox held = session.sandbox().held();
              return session
                  .idle()
                  .wake()
                  .transform(
                      awake ->
                          awake.failed()
                              ? session.sandbox().wakeFailed(held, awake.cause())
                              : Future.<Void>succeededFuture())
                  .compose(v -> job.get())
                  .transform(
                      done -> {
                        pending--;
                        open.remove(work);
                        running = null;
                        session.touch();
                        return Future.succeededFuture();
                      });
            });
  }
}
