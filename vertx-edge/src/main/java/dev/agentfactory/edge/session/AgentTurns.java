package dev.agentfactory.edge.session;

import dev.agentfactory.connectors.event.TurnOutcome;
import dev.agentfactory.edge.agent.AgentVersion;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.model.ModelProvider;
import dev.agentfactory.edge.protocol.ClientFrame;
import dev.agentfactory.edge.protocol.ServerFrame;
import dev.agentfactory.edge.tools.SessionTools;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The agent of a {@link Session} opened with one: its loop, the turns that the client's {@code
 * message} frames start, and the loop's view of the session ({@link AgentLoop.Io}): frames go out
 * through the session, the loop waits for the socket to drain, and its {@code sandbox.exec} tool
 * runs in the session's sandbox.
 *
 * <p>Runs on the session's Vert.x context, as the session does: timers and tool callbacks hop onto
 * it before touching anything.
 */
final class AgentTurns {

  private final Session session;
  private final Vertx vertx;
  private final EdgeMetrics metrics;
  private final AgentLoop agent;

  AgentTurns(
      Session session,
      Vertx vertx,
      Context context,
      EdgeMetrics metrics,
      AgentVersion agentVersion,
      ModelProvider provider) {
    this.session = session;
    this.vertx = vertx;
    this.metrics = metrics;
    this.agent =
        new AgentLoop(
            agentVersion,
            provider,
            new LoopIo(),
            new SessionTools(vertx, context, agentVersion.spec(), this::toolSandbox));
  }

  /** The agent loop the turns run in. */
  AgentLoop loop() {
    return agent;
  }

  /** Runs the turn {@code message} starts, once its queued {@code work} comes up. */
  Future<Void> runTurn(ClientFrame.Message message, Work work) {
    if (work.cancelled()) {
      // cancelled while its sandbox was woken: it never started, so nothing is recorded
      work.answerNeverRan();
      return Future.succeededFuture();
    }
    int thisTurn = session.nextTurn();
    Instant startedAt = Instant.now();
    work.onCancel(agent::cancelTurn);
    return agent
        .run(message.id(), message.content())
        .andThen(
            ar -> {
              if (ar.failed()) {
                String code = ar.cause() instanceof AgentTurnException e ? e.code() : "agent_error";
                session.send(
                    new ServerFrame.Error(
                        message.id(), code, String.valueOf(ar.cause().getMessage()), null, false));
                // Cut short, it is an interaction all the same: what it did and used so far
                TurnOutcome outcome = cutShort(code);
                if (ar.cause() instanceof AgentTurnException e
                    && e.soFar() != null
                    && outcome != null) {
                  record(message.id(), thisTurn, e.soFar(), startedAt, outcome);
                }
                return;
              }
              AgentLoop.Turn t = ar.result();
              session.send(
                  new ServerFrame.TurnCompleted(
                      message.id(),
                      t.lastResponse().finishReason().name().toLowerCase(Locale.ROOT),
                      t.lastResponse().model(),
                      t.lastResponse().scripted(),
                      t.modelCalls(),
                      // unknown is not 0: null, as the turn's event leaves its usage out
                      t.usage().known() ? t.usage().promptTokens() : null,
                      t.usage().known() ? t.usage().completionTokens() : null,
                      t.latencyMs()));
              record(message.id(), thisTurn, t, startedAt, TurnOutcome.COMPLETED);
            })
        .transform(ar -> Future.succeededFuture());
  }

  /** Records {@code turn}, finished or cut short, as the interaction of {@code requestId}. */
  private void record(
      String requestId, int thisTurn, AgentLoop.Turn turn, Instant startedAt, TurnOutcome outcome) {
    session
        .recording()
        .record(
            requestId,
            new AgentTurnRecord(
                session.tenant(),
                session.id(),
                thisTurn,
                agent.version().agent().name(),
                agent.version().label(),
                turn,
                startedAt,
                outcome));
  }

  /** The event outcome of a turn that failed with {@code code}; null for an unexpected failure. */
  private static TurnOutcome cutShort(String code) {
    return switch (code) {
      case "limit_exceeded" -> TurnOutcome.LIMIT_EXCEEDED;
      case "model_error" -> TurnOutcome.MODEL_ERROR;
      case "tool_unavailable" -> TurnOutcome.TOOL_UNAVAILABLE;
      case "cancelled" -> TurnOutcome.CANCELLED;
      default -> null;
    };
  }

  /** The sandbox the agent's tools work in (file tools, http.fetch, stdio MCP servers). */
  private Future<Sandbox> toolSandbox() {
    // Leased on first need, like an exec; on the session's context, which owns the lease state.
    Promise<Sandbox> tool = Promise.promise();
    session.onContext(() -> session.sandbox().lease().map(LeasedSandbox::sandbox).onComplete(tool));
    return tool.future();
  }

  /** The agent loop's view of this session. */
  private final class LoopIo implements AgentLoop.Io {
    @Override
    public void send(ServerFrame frame) {
      session.send(frame);
    }

    @Override
    public boolean writeQueueFull() {
      return session.socket().writeQueueFull();
    }

    @Override
    public void onDrain(Runnable resume) {
      session.socket().onDrain(resume);
    }

    @Override
    public Runnable schedule(Duration delay, Runnable action) {
      long timer =
          vertx.setTimer(Math.max(1, delay.toMillis()), t -> session.onContext(() -> action.run()));
      return () -> vertx.cancelTimer(timer);
    }

    @Override
    public Future<ToolRun> exec(String requestId, String callId, String command, Duration timeout) {
      StringBuilder out = new StringBuilder();
      StringBuilder err = new StringBuilder();
      // the message whose turn calls the tool: a cancel of it kills this
      Work owner = session.queue().running();
      SessionSandbox sandboxes = session.sandbox();
      return sandboxes
          .lease()
          .transform(
              leased -> {
                if (leased.failed()) {
                  // Nothing ran: no exit code, and a status that says so
                  return Future.succeededFuture(ToolRun.commandNotLeased(leased.cause()));
                }
                LeasedSandbox sandbox = leased.result();
                long started = System.nanoTime();
                return sandboxes
                    .exec(
                        sandbox,
                        List.of("/bin/sh", "-c", command),
                        timeout,
                        (stream, text) -> {
                          if (text.isEmpty()) {
                            return;
                          }
                          session.send(
                              new ServerFrame.ToolOutput(
                                  requestId, callId, stream.name().toLowerCase(Locale.ROOT), text));
                          StringBuilder target = stream == OutputListener.Stream.STDOUT ? out : err;
                          if (target.length() < Session.MAX_RECORDED_CHARS) {
                            target.append(
                                text,
                                0,
                                Math.min(
                                    text.length(), Session.MAX_RECORDED_CHARS - target.length()));
                          }
                        },
                        owner)
                    .onFailure(e -> sandboxes.lost(sandbox, requestId, e))
                    .map(
                        result -> {
                          String status = result.status().name().toLowerCase(Locale.ROOT);
                          metrics.execFinished(status, result.duration());
                          return new ToolRun(
                              status,
                              result.exitCode(),
                              out.toString(),
                              err.toString(),
                              result.duration().toMillis());
                        })
                    .recover(
                        e -> {
                          if (owner == null || !owner.cancelled()) {
                            return Future.failedFuture(e);
                          }
                          // killed by the turn's cancel: what it printed until then, no exit code
                          Duration took = Duration.ofNanos(System.nanoTime() - started);
                          metrics.execFinished(Session.CANCELLED, took);
                          return Future.succeededFuture(
                              ToolRun.commandCancelled(
                                  out.toString(), err.toString(), took.toMillis()));
                        });
              })
          // The run failed (or could not start) before the sandbox reported an exit code: none
          // is made up
          .otherwise(ToolRun::commandFailed);
    }
  }
}
