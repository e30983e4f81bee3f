package dev.agentfactory.sandbox.daemon;

import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxState;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/leases/:id/exec} (one JSON result) and {@code GET /v1/leases/:id/exec/stream}
 * (WebSocket: the client sends the same JSON as its first message, the server streams {@code
 * stdout}/{@code stderr} frames as output arrives, then one {@code result} frame, then closes).
 */
final class ExecHandler {

  private static final Logger LOG = LoggerFactory.getLogger(ExecHandler.class);

  private final LeaseHandler leases;
  private final Replies replies;

  ExecHandler(LeaseHandler leases, Replies replies) {
    this.leases = leases;
    this.replies = replies;
  }

  /** {@code POST /v1/leases/:id/exec}. */
  void exec(RoutingContext ctx) {
    leases.withLease(
        ctx,
        lease -> {
          ExecCommand command;
          try {
            command = ExecCommand.parse(Bodies.object(ctx.body().buffer()));
          } catch (ApiException e) {
            Replies.error(ctx, e);
            return;
          }
          Collected out = new Collected();
          replies
              .onWorker(ctx, () -> run(lease.sandbox(), command, out, new Running()))
              .onSuccess(
                  result -> {
                    lease.renew();
                    Replies.json(ctx, 200, resultJson(result, out));
                  })
              .onFailure(e -> Replies.fail(ctx, e, null));
        });
  }

  /** {@code GET /v1/leases/:id/exec/stream}: the lease is checked before the upgrade. */
  void stream(RoutingContext ctx) {
    leases.withLease(
        ctx,
        lease ->
            ctx.request()
                .toWebSocket()
                .onSuccess(ws -> serve(ctx, lease, ws))
                .onFailure(
                    e ->
                        Replies.error(
                            ctx,
                            new ApiException(
                                400,
                                "websocket_expected",
                                "this endpoint streams over a WebSocket: send an upgrade request",
                                null))));
  }

  private void serve(RoutingContext ctx, Lease lease, ServerWebSocket ws) {
    Context context = ctx.vertx().getOrCreateContext();
    AtomicBoolean started = new AtomicBoolean();
    Running running = new Running();
    // The client went away (or we closed after the result: then the command has ended and this
    // changes nothing): nobody reads the output any more, so the command must not run on
    ws.closeHandler(
        v -> {
          if (running.cancel()) {
            LOG.info(
                "exec stream of lease {} closed by the client before its command ended: killed",
                lease.id());
          }
        });
    ws.textMessageHandler(
        text -> {
          if (!started.compareAndSet(false, true)) {
            sendError(ws, new ApiException(400, "already_running", "one command per stream", null));
            return;
          }
          ExecCommand command;
          try {
            command = ExecCommand.parse(Bodies.object(io.vertx.core.buffer.Buffer.buffer(text)));
          } catch (ApiException e) {
            sendError(ws, e);
            ws.close();
            return;
          }
          StreamedOutput out = new StreamedOutput(ws, context);
          replies
              .onWorker(ctx, () -> run(lease.sandbox(), command, out, running))
              .onComplete(
                  done -> {
                    lease.renew();
                    if (ws.isClosed()) {
                      return;
                    }
                    out.flush();
                    if (done.succeeded()) {
                      ws.writeTextMessage(
                          resultJson(done.result(), null).put("type", "result").encode());
                    } else {
                      sendError(ws, ApiException.from(done.cause(), null));
                    }
                    ws.close();
                  });
        });
    ws.binaryMessageHandler(
        b -> {
          sendError(
              ws, new ApiException(400, "text_expected", "send the command as JSON text", null));
          ws.close();
        });
    ws.exceptionHandler(e -> LOG.debug("exec stream of lease {} failed", lease.id(), e));
  }

  private static void sendError(ServerWebSocket ws, ApiException e) {
    if (!ws.isClosed()) {
      ws.writeTextMessage(e.toJson().put("type", "error").encode());
    }
  }

  /**
   * Runs the command on a worker. Stdin is staged as a hidden file in the workspace first (the
   * sandbox's init gives commands {@code /dev/null}); the command's shell deletes it before exec.
   */
  private static CompletionStage<ExecResult> run(
      Sandbox sandbox, ExecCommand command, OutputListener out, Running running) {
    SandboxState state = sandbox.state();
    if (command.stdin() == null
        || state == SandboxState.PAUSED
        || state == SandboxState.HIBERNATED
        || state == SandboxState.TERMINATED) {
      // without stdin, or when exec will refuse anyway: nothing to stage
      return running.started(sandbox.exec(command.toRequest(null), out));
    }
    String staged = ".af-stdin-" + UUID.randomUUID();
    return sandbox
        .writeFile(staged, command.stdin())
        .thenCompose(v -> running.started(sandbox.exec(command.toRequest(staged), out)));
  }

  /**
   * The command of one stream, which the stream's end cancels: the sandbox then kills it (or never
   * starts it, if it still waits behind another command of the sandbox).
   */
  private static final class Running {
    private volatile boolean cancelled;
    private volatile CompletableFuture<ExecResult> exec;

    CompletionStage<ExecResult> started(CompletionStage<ExecResult> stage) {
      CompletableFuture<ExecResult> f = stage.toCompletableFuture();
      exec = f;
      if (cancelled) {
        f.cancel(true);
      }
      return f;
    }

    /** True when a command was still running (or about to) and is now being killed. */
    boolean cancel() {
      cancelled = true;
      CompletableFuture<ExecResult> f = exec;
      return f != null && f.cancel(true);
    }
  }

  private static JsonObject resultJson(ExecResult result, Collected out) {
    JsonObject json =
        new JsonObject()
            .put("status", result.status().name().toLowerCase(Locale.ROOT))
            .put("exit_code", result.exitCode())
            .put("timed_out", result.status() == ExecResult.Status.TIMEOUT)
            .put("truncated", result.truncated())
            .put("duration_ms", result.duration().toMillis());
    if (out != null) {
      json.put("stdout", out.text(OutputListener.Stream.STDOUT));
      json.put("stderr", out.text(OutputListener.Stream.STDERR));
    }
    return json;
  }

  /** Output kept whole for the one-shot answer; the sandbox caps its size. */
  private static final class Collected implements OutputListener {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    @Override
    public synchronized void onOutput(Stream stream, byte[] chunk) {
      (stream == Stream.STDOUT ? stdout : stderr).writeBytes(chunk);
    }

    synchronized String text(Stream stream) {
      return (stream == Stream.STDOUT ? stdout : stderr).toString(StandardCharsets.UTF_8);
    }
  }

  /**
   * Output sent as it arrives, one frame per chunk, on the socket's context so frames keep their
   * order. A chunk may end inside a UTF-8 character: its tail waits for the next chunk.
   */
  private static final class StreamedOutput implements OutputListener {
    private final ServerWebSocket ws;
    private final Context context;
    private final Utf8Chunks stdout = new Utf8Chunks();
    private final Utf8Chunks stderr = new Utf8Chunks();

    StreamedOutput(ServerWebSocket ws, Context context) {
      this.ws = ws;
      this.context = context;
    }

    @Override
    public void onOutput(Stream stream, byte[] chunk) {
      String text;
      synchronized (this) {
        text = (stream == Stream.STDOUT ? stdout : stderr).decode(chunk);
      }
      if (!text.isEmpty()) {
        send(stream, text);
      }
    }

    /** What is left of a cut character at the end; on the socket's context. */
    void flush() {
      String out;
      String err;
      synchronized (this) {
        out = stdout.finish();
        err = stderr.finish();
      }
      if (!out.isEmpty()) {
        write(Stream.STDOUT, out);
      }
      if (!err.isEmpty()) {
        write(Stream.STDERR, err);
      }
    }

    private void send(Stream stream, String text) {
      context.runOnContext(v -> write(stream, text));
    }

    private void write(Stream stream, String text) {
      if (!ws.isClosed()) {
        ws.writeTextMessage(
            new JsonObject()
                .put("type", stream.name().toLowerCase(Locale.ROOT))
                .put("data", text)
                .encode());
      }
    }
  }
}
