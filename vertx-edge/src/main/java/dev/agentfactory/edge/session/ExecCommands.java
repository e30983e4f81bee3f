package dev.agentfactory.edge.session;

import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.protocol.ClientFrame;
import dev.agentfactory.edge.protocol.ServerFrame;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * The client's {@code exec} frames of a {@link Session}: each command runs in the session's sandbox
 * once its turn in the queue comes, streams its output as {@code exec.output} frames, ends with an
 * {@code exec.exit} frame and is recorded as an interaction event.
 *
 * <p>Runs on the session's Vert.x context, as the session does.
 */
final class ExecCommands {

  private final Session session;
  private final EdgeMetrics metrics;

  ExecCommands(Session session, EdgeMetrics metrics) {
    this.session = session;
    this.metrics = metrics;
  }

  /** Queues {@code exec}: it runs once the work before it has finished and a sandbox is leased. */
  void enqueue(ClientFrame.Exec exec) {
    Work work =
        new Work(
            exec.id(),
            Work.Kind.EXEC,
            () ->
                session.send(
                    new ServerFrame.ExecExit(exec.id(), Session.CANCELLED, null, 0, false)));
    session
        .queue()
        .enqueue(work, () -> session.sandbox().lease().transform(ar -> leased(exec, work, ar)));
  }

  /** Runs a command once its sandbox is leased, or says why there is none (the session lives). */
  private Future<Void> leased(ClientFrame.Exec exec, Work work, AsyncResult<LeasedSandbox> ar) {
    if (work.cancelled()) {
      // cancelled while its sandbox was leased or woken: it never ran, so nothing is recorded
      work.answerNeverRan();
      return Future.succeededFuture();
    }
    if (ar.failed()) {
      session.send(
          new ServerFrame.Error(
              exec.id(),
              "lease_failed",
              "no sandbox could be leased: " + ar.cause().getMessage(),
              null,
              false));
      return Future.succeededFuture();
    }
    return run(ar.result(), exec, work);
  }

  private Future<Void> run(LeasedSandbox sandbox, ClientFrame.Exec exec, Work work) {
    int thisTurn = session.nextTurn();
    Instant startedAt = Instant.now();
    long startNanos = System.nanoTime();
    StringBuilder recorded = new StringBuilder();
    return session
        .sandbox()
        .exec(
            sandbox,
            exec.argv(),
            exec.timeout().orElse(ExecRequest.DEFAULT_TIMEOUT),
            (stream, text) -> emitOutput(exec.id(), stream, text, recorded),
            work)
        .andThen(
            ar -> {
              if (ar.failed() && work.cancelled()) {
                // Stopped by a cancel frame: the sandbox kills its process group, and what it
                // printed until then is the command's output; no exit code, as the session does
                // not wait for it. A command that ended on its own before the cancel reached it
                // keeps its own result (below).
                finish(
                    exec,
                    thisTurn,
                    startedAt,
                    recorded.toString(),
                    Session.CANCELLED,
                    null,
                    Duration.ofNanos(System.nanoTime() - startNanos),
                    false);
                return;
              }
              if (ar.failed() && session.sandbox().lost(sandbox, exec.id(), ar.cause())) {
                return; // the client was told sandbox_lost, with this command's id
              }
              if (ar.failed()) {
                session.send(
                    new ServerFrame.Error(
                        exec.id(),
                        "exec_failed",
                        String.valueOf(ar.cause().getMessage()),
                        null,
                        false));
              } else {
                ExecResult result = ar.result();
                finish(
                    exec,
                    thisTurn,
                    startedAt,
                    recorded.toString(),
                    result.status().name().toLowerCase(Locale.ROOT),
                    result.exitCode(),
                    result.duration(),
                    result.truncated());
              }
            })
        .transform(ar -> Future.succeededFuture());
  }

  private void emitOutput(
      String execId, OutputListener.Stream stream, String text, StringBuilder recorded) {
    if (text.isEmpty()) {
      return;
    }
    session.send(new ServerFrame.ExecOutput(execId, stream.name().toLowerCase(Locale.ROOT), text));
    int room = Session.MAX_RECORDED_CHARS - recorded.length();
    if (room > 0) {
      recorded.append(text, 0, Math.min(room, text.length()));
    }
  }

  private void finish(
      ClientFrame.Exec exec,
      int thisTurn,
      Instant startedAt,
      String output,
      String status,
      Integer exitCode,
      Duration duration,
      boolean truncated) {
    long durationMs = duration.toMillis();
    metrics.execFinished(status, duration);
    session.send(new ServerFrame.ExecExit(exec.id(), status, exitCode, durationMs, truncated));
    ExecRecord record =
        new ExecRecord(
            session.tenant(),
            session.id(),
            thisTurn,
            exec.argv(),
            output,
            status,
            exitCode,
            durationMs,
            startedAt);
    session.recording().record(exec.id(), record);
  }
}
