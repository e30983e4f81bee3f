package dev.agentfactory.edge.session;

import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.protocol.ClientFrame;
import dev.agentfactory.edge.protocol.FrameCodec;
import dev.agentfactory.edge.protocol.FrameException;
import dev.agentfactory.edge.protocol.ServerFrame;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.OutputListener;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's session: a WebSocket bound to one leased sandbox. Commands run one after another in
 * arrival order; their output streams back as it is produced and each finished command is recorded
 * as an interaction event.
 *
 * <p>All fields are confined to the session's Vert.x context: sandbox callbacks hop onto it with
 * {@link Context#runOnContext} before touching anything.
 */
final class Session {

  private static final Logger LOG = LoggerFactory.getLogger(Session.class);
  static final String TEMPLATE = "shell";

  /** Commands a client may queue behind the running one before it is told to wait. */
  static final int MAX_PENDING = 16;

  /** How much of a command's output goes into its interaction event. */
  static final int MAX_RECORDED_CHARS = 64 * 1024;

  private final String id;
  private final Context context;
  private final ServerWebSocket socket;
  private final SandboxLeasing leasing;
  private final InteractionRecorder recorder;
  private final FrameCodec codec;
  private final int maxFrameBytes;
  private final Runnable onEnd;
  private final EdgeMetrics metrics;

  private long seq;
  private int turn;
  private int pending;
  private boolean closed;
  private LeasedSandbox leased;

  /** Completes when the previous command has finished; the next one chains on it. */
  private Future<LeasedSandbox> tail;

  Session(
      String id,
      Context context,
      ServerWebSocket socket,
      SandboxLeasing leasing,
      InteractionRecorder recorder,
      FrameCodec codec,
      int maxFrameBytes,
      EdgeMetrics metrics,
      Runnable onEnd) {
    this.id = id;
    this.context = context;
    this.socket = socket;
    this.leasing = leasing;
    this.recorder = recorder;
    this.codec = codec;
    this.maxFrameBytes = maxFrameBytes;
    this.onEnd = onEnd;
    this.metrics = metrics;
  }

  String id() {
    return id;
  }

  void start() {
    socket.textMessageHandler(this::onText);
    socket.binaryMessageHandler(this::onBinary);
    socket.closeHandler(v -> end());
    socket.exceptionHandler(e -> LOG.debug("session {}: socket error", id, e));
    metrics.sessionOpened();
    long leaseStart = System.nanoTime();
    tail =
        leasing
            .lease(id, TEMPLATE)
            .andThen(
                ar -> {
                  if (ar.failed()) {
                    send(
                        new ServerFrame.Error(
                            null,
                            "lease_failed",
                            "no sandbox could be leased: " + ar.cause().getMessage(),
                            null,
                            true));
                    socket.close((short) 1011, "lease_failed");
                  } else if (closed) {
                    leasing.release(ar.result());
                  } else {
                    metrics.leased(Duration.ofNanos(System.nanoTime() - leaseStart));
                    leased = ar.result();
                    send(
                        new ServerFrame.SessionReady(
                            id,
                            leased.sandbox().id(),
                            leased.leaseId(),
                            leased.fencingToken(),
                            leased.node(),
                            leased.isolation()));
                  }
                });
  }

  private void onBinary(Buffer buffer) {
    metrics.frameReceived("invalid");
    send(
        new ServerFrame.Error(
            null, "unsupported_frame", "binary frames are not part of the protocol", null, false));
  }

  private void onText(String text) {
    if (text.length() > maxFrameBytes
        || text.getBytes(StandardCharsets.UTF_8).length > maxFrameBytes) {
      metrics.frameReceived("invalid");
      send(
          new ServerFrame.Error(
              null,
              "frame_too_large",
              "frame exceeds the limit of " + maxFrameBytes + " bytes",
              null,
              false));
      return;
    }
    ClientFrame frame;
    try {
      frame = codec.parse(text);
    } catch (FrameException e) {
      metrics.frameReceived("invalid");
      send(e.toFrame());
      return;
    }
    metrics.frameReceived(frame instanceof ClientFrame.Exec ? "exec" : "ping");
    if (frame instanceof ClientFrame.Ping ping) {
      send(new ServerFrame.Pong(ping.id()));
    } else if (frame instanceof ClientFrame.Exec exec) {
      enqueue(exec);
    }
  }

  private void enqueue(ClientFrame.Exec exec) {
    if (pending >= MAX_PENDING) {
      send(
          new ServerFrame.Error(
              exec.id(),
              "too_many_pending",
              MAX_PENDING + " commands are already queued; wait for exec.exit frames",
              null,
              false));
      return;
    }
    pending++;
    tail =
        tail.transform(
            ar -> {
              if (ar.failed() || closed) {
                pending--;
                return Future.failedFuture(
                    ar.failed() ? ar.cause() : new IllegalStateException("closed"));
              }
              return run(ar.result(), exec).transform(done -> Future.succeededFuture(ar.result()));
            });
  }

  private Future<Void> run(LeasedSandbox sandbox, ClientFrame.Exec exec) {
    Promise<Void> done = Promise.promise();
    int thisTurn = ++turn;
    Instant startedAt = Instant.now();
    StringBuilder recorded = new StringBuilder();
    Map<OutputListener.Stream, Utf8Chunks> decoders = new EnumMap<>(OutputListener.Stream.class);
    OutputListener listener =
        (stream, chunk) ->
            context.runOnContext(
                v -> {
                  String text =
                      decoders.computeIfAbsent(stream, s -> new Utf8Chunks()).decode(chunk);
                  emitOutput(exec.id(), stream, text, recorded);
                });
    ExecRequest request =
        new ExecRequest(
            exec.argv(),
            Map.of(),
            exec.timeout().orElse(ExecRequest.DEFAULT_TIMEOUT),
            ExecRequest.DEFAULT_MAX_OUTPUT_BYTES);
    sandbox
        .sandbox()
        .exec(request, listener)
        .whenComplete(
            (result, error) ->
                context.runOnContext(
                    v -> {
                      decoders.forEach(
                          (stream, d) -> emitOutput(exec.id(), stream, d.finish(), recorded));
                      pending--;
                      if (error != null) {
                        send(
                            new ServerFrame.Error(
                                exec.id(),
                                "exec_failed",
                                String.valueOf(error.getMessage()),
                                null,
                                false));
                        done.complete();
                        return;
                      }
                      finish(exec, thisTurn, startedAt, recorded.toString(), result);
                      done.complete();
                    }));
    return done.future();
  }

  private void emitOutput(
      String execId, OutputListener.Stream stream, String text, StringBuilder recorded) {
    if (text.isEmpty()) {
      return;
    }
    send(new ServerFrame.ExecOutput(execId, stream.name().toLowerCase(Locale.ROOT), text));
    int room = MAX_RECORDED_CHARS - recorded.length();
    if (room > 0) {
      recorded.append(text, 0, Math.min(room, text.length()));
    }
  }

  private void finish(
      ClientFrame.Exec exec, int thisTurn, Instant startedAt, String output, ExecResult result) {
    String status = result.status().name().toLowerCase(Locale.ROOT);
    long durationMs = result.duration().toMillis();
    metrics.execFinished(status, result.duration());
    send(
        new ServerFrame.ExecExit(
            exec.id(), status, result.exitCode(), durationMs, result.truncated()));
    ExecRecord record =
        new ExecRecord(
            id,
            thisTurn,
            exec.id(),
            exec.argv(),
            output,
            status,
            result.exitCode(),
            durationMs,
            startedAt);
    recorder
        .record(record)
        .onSuccess(v -> metrics.eventPublished(true))
        .onFailure(
            e -> {
              metrics.eventPublished(false);
              LOG.warn("session {}: interaction of {} not recorded", id, exec.id(), e);
              send(
                  new ServerFrame.Error(
                      exec.id(),
                      "event_not_recorded",
                      "the command ran but its interaction event was not recorded: "
                          + e.getMessage(),
                      null,
                      false));
            });
  }

  private void send(ServerFrame frame) {
    if (closed) {
      return;
    }
    metrics.frameSent(frame.type());
    if (frame instanceof ServerFrame.Error error) {
      metrics.error(error.code());
    }
    socket
        .writeTextMessage(codec.encode(++seq, frame))
        .onFailure(e -> LOG.debug("session {}: frame {} not sent", id, frame.type(), e));
  }

  /**
   * Closes the socket (if open) and gives the sandbox back; callable from any thread, more than
   * once. Completes when the sandbox is released.
   */
  Future<Void> close(short code, String reason) {
    Promise<Void> released = Promise.promise();
    context.runOnContext(
        v -> {
          if (!closed && !socket.isClosed()) {
            socket.close(code, reason);
          }
          end().onComplete(released);
        });
    return released.future();
  }

  private Future<Void> end() {
    if (closed) {
      return Future.succeededFuture();
    }
    closed = true;
    metrics.sessionClosed();
    onEnd.run();
    if (leased == null) {
      return Future.succeededFuture();
    }
    LeasedSandbox held = leased;
    leased = null;
    return leasing
        .release(held)
        .onFailure(e -> LOG.warn("session {}: sandbox release failed", id, e));
  }
}
