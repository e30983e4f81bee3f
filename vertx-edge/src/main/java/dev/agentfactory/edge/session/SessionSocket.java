package dev.agentfactory.edge.session;

import dev.agentfactory.edge.api.WebSocketProtocol;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.protocol.FrameCodec;
import dev.agentfactory.edge.protocol.ServerFrame;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import java.util.List;
import java.util.Optional;
import org.slf4j.event.Level;

/**
 * The client side of a {@link Session}: the WebSocket attached now (if any), the replay buffer that
 * outlives it, the resume grace after it drops, the slow-client clock while it is backed up, and
 * the agent loop waiting for it to drain. Every frame the session sends goes through {@link #send}.
 *
 * <p>Runs on the session's Vert.x context, as the session does: socket handlers hop onto it before
 * touching anything, and the session calls in from it.
 */
final class SessionSocket {

  static final int REPLAY_FRAMES = 4096;
  static final long REPLAY_CHARS = 4L << 20;

  private final Session session;
  private final Vertx vertx;
  private final FrameCodec codec;
  private final SessionSettings settings;
  private final EdgeMetrics metrics;
  private final ReplayBuffer replay = new ReplayBuffer(REPLAY_FRAMES, REPLAY_CHARS);

  private ServerWebSocket socket;
  private long graceTimer = -1;

  /** Runs while the attached socket is backed up; cut off at {@code slowClient}. -1 if none. */
  private long slowTimer = -1;

  /** The agent loop waits for the socket to drain; released by a drain, a close or the end. */
  private Runnable drainWaiter;

  SessionSocket(
      Session session,
      Vertx vertx,
      FrameCodec codec,
      SessionSettings settings,
      EdgeMetrics metrics) {
    this.session = session;
    this.vertx = vertx;
    this.codec = codec;
    this.settings = settings;
    this.metrics = metrics;
  }

  /** Whether a client is attached (its socket may be closing). */
  boolean attached() {
    return socket != null;
  }

  /**
   * A client reconnects after seeing frames up to {@code seenSeq}: it gets the frames it missed,
   * then the session carries on. A socket still attached is closed (the newest connection wins).
   */
  void resume(ServerWebSocket next, long seenSeq) {
    if (session.closed()) {
      next.close((short) 4404, "session_ended");
      return;
    }
    Optional<List<String>> missed = replay.after(seenSeq);
    if (missed.isEmpty()) {
      String message =
          seenSeq > replay.lastSeq()
              ? "last_seq " + seenSeq + " was never sent (last is " + replay.lastSeq() + ")"
              : "frames after " + seenSeq + " are no longer kept; the session cannot resume";
      next.writeTextMessage(
          codec.encode(0, new ServerFrame.Error(null, "resume_gap", message, "last_seq", true)));
      next.close((short) 4409, "resume_gap");
      return;
    }
    if (socket != null) {
      ServerWebSocket old = socket;
      socket = null;
      cancelSlowTimer();
      // The agent loop waiting for the old socket to drain keeps waiting: released now, its
      // paused model stream would send what it buffered while no socket is attached, and
      // those frames, newer than `missed`, would reach only the replay buffer.
      old.close((short) 4000, "resumed_elsewhere");
    }
    cancelGrace();
    attach(next);
    missed.get().forEach(next::writeTextMessage);
    // Now the loop may stream on, behind the missed frames; unless they filled the new
    // socket, whose drain handler then releases it.
    if (queueFull(next)) {
      checkSlowClient(next);
    } else {
      releaseDrainWaiter();
    }
  }

  void attach(ServerWebSocket ws) {
    socket = ws;
    // Vert.x gives the text first and the frame after; the frame says whether it was UTF-8
    Utf8TextMessages utf8 = new Utf8TextMessages();
    ws.textMessageHandler(utf8::joined);
    ws.frameHandler(
        frame -> {
          Utf8TextMessages.Message message = utf8.frame(frame);
          if (message == null) {
            return;
          }
          if (message.text() == null) {
            WebSocketProtocol.closeNotUtf8(ws);
            session.onContext(() -> onProtocolViolation(ws, "a text message that is not UTF-8"));
          } else {
            session.onContext(() -> onText(ws, message.text()));
          }
        });
    ws.binaryMessageHandler(buffer -> session.onContext(() -> onBinary(ws)));
    ws.closeHandler(v -> session.onContext(() -> onSocketClosed(ws)));
    // One drain handler for both users of it (a socket has one): the slow-client clock and the
    // agent loop waiting to stream on
    ws.drainHandler(v -> session.onContext(() -> onDrained(ws)));
    ws.exceptionHandler(
        e -> {
          if (WebSocketProtocol.closeOnViolation(ws, e)) {
            session.onContext(() -> onProtocolViolation(ws, String.valueOf(e.getMessage())));
          } else {
            session.log(Level.DEBUG).setCause(e).log("session {}: socket error", session.id());
          }
        });
  }

  private void onText(ServerWebSocket ws, String text) {
    if (ws != socket) {
      return;
    }
    session.onText(text);
  }

  private void onBinary(ServerWebSocket ws) {
    if (ws != socket) {
      return;
    }
    session.onBinary();
  }

  /**
   * The client broke the WebSocket protocol ({@code what}: a frame RFC 6455 forbids, a message over
   * the limit, a text message that is not UTF-8), and {@link WebSocketProtocol} closed its
   * connection with the status the RFC names (docs/protocol.md#websocket-protocol-errors). It ends
   * the connection, not the session: the client may resume. What the socket still delivers is
   * ignored.
   */
  private void onProtocolViolation(ServerWebSocket ws, String what) {
    if (ws != socket || session.closed()) {
      return;
    }
    session.log(Level.INFO).log(
        "session {}: the client broke the WebSocket protocol ({}); closed its connection",
        session.id(),
        what);
    metrics.frameReceived("invalid");
    detach();
  }

  private void onSocketClosed(ServerWebSocket ws) {
    if (ws != socket || session.closed()) {
      return; // an older socket, replaced by a resume
    }
    Short code = ws.closeStatusCode();
    if (code != null && (code == 1000 || code == 1001)) {
      socket = null;
      cancelSlowTimer();
      releaseDrainWaiter();
      session.end(); // the client said goodbye
      return;
    }
    detach();
  }

  /**
   * The connection is gone: keep the session (and its sandbox) for the client to resume; unless the
   * node drains, which ends it at once ({@link Session#endIfDetached}).
   */
  private void detach() {
    socket = null;
    cancelSlowTimer();
    releaseDrainWaiter();
    if (session.nodeDraining()) {
      session.log(Level.INFO).log(
          "session {}: client gone while the node drains; ending it", session.id());
      session.end();
      return;
    }
    graceTimer =
        vertx.setTimer(
            Math.max(1, settings.resumeGrace().toMillis()),
            t -> session.onContext(this::graceExpired));
  }

  private void graceExpired() {
    graceTimer = -1;
    if (socket == null && !session.closed()) {
      session.log(Level.INFO).log(
          "session {}: not resumed within {}; ending it", session.id(), settings.resumeGrace());
      session.end();
    }
  }

  private void cancelGrace() {
    if (graceTimer >= 0) {
      vertx.cancelTimer(graceTimer);
      graceTimer = -1;
    }
  }

  private void onDrained(ServerWebSocket ws) {
    if (ws != socket) {
      return;
    }
    cancelSlowTimer();
    releaseDrainWaiter();
  }

  /** Numbers the frame, keeps it for a resume, and writes it if a socket is attached. */
  void send(ServerFrame frame) {
    if (session.closed()) {
      return;
    }
    metrics.frameSent(frame.type());
    if (frame instanceof ServerFrame.Error error) {
      metrics.error(error.code());
    }
    long seq = replay.lastSeq() + 1;
    String text = codec.encode(seq, frame);
    replay.add(seq, text);
    ServerWebSocket current = socket;
    if (!open(current)) {
      // No socket, or one that is closing (a close frame came in, its close handler has not run
      // yet): the frame stays in the replay buffer for a resume. Writing to it would throw.
      return;
    }
    try {
      current
          .writeTextMessage(text)
          .onFailure(
              e ->
                  session
                      .log(Level.DEBUG)
                      .setCause(e)
                      .log("session {}: frame {} not sent", session.id(), frame.type()));
      checkSlowClient(current);
    } catch (IllegalStateException e) {
      // closed on its own event loop between the check and the write
      session
          .log(Level.DEBUG)
          .setCause(e)
          .log("session {}: frame {} not sent", session.id(), frame.type());
    }
  }

  /** Closes the attached socket with {@code code}, if it is still open. */
  void close(short code, String reason) {
    if (open(socket)) {
      socket.close(code, reason);
    }
  }

  /** Whether the attached socket is backed up: the agent loop then waits for {@link #onDrain}. */
  boolean writeQueueFull() {
    return queueFull(socket);
  }

  /** Runs {@code resume} once the attached socket has drained (at once if none is attached). */
  void onDrain(Runnable resume) {
    ServerWebSocket current = socket;
    if (!open(current)) {
      resume.run();
      return;
    }
    // Released by the socket's drain handler (see attach), or, for a socket that closes or is
    // replaced by a resume before it drains, by onSocketClosed, resume or end: never left stuck.
    drainWaiter = resume;
    if (!queueFull(current)) {
      releaseDrainWaiter();
    }
  }

  /** Whether frames can be written to {@code ws}: attached and not closed or closing. */
  private static boolean open(ServerWebSocket ws) {
    return ws != null && !ws.isClosed();
  }

  /**
   * Whether {@code ws} is backed up; a closed socket throws on the question, so it is asked first.
   */
  private static boolean queueFull(ServerWebSocket ws) {
    try {
      return open(ws) && ws.writeQueueFull();
    } catch (IllegalStateException e) {
      return false; // closed meanwhile: nothing to wait for
    }
  }

  void releaseDrainWaiter() {
    Runnable waiter = drainWaiter;
    drainWaiter = null;
    if (waiter != null) {
      waiter.run();
    }
  }

  /**
   * A socket that stays backed up for {@code slowClient} is closed (4008 slow_consumer). The
   * session lives on for the resume grace period: the client can reconnect and catch up from the
   * replay buffer, which is bounded, unlike a socket's write queue.
   *
   * <p>A timer, not a check on the next send: once the queue is full an agent session pauses its
   * model stream until the socket drains, and a session whose work has ended sends nothing more, so
   * a next send may never come. The drain handler cancels it (see attach).
   */
  private void checkSlowClient(ServerWebSocket current) {
    if (slowTimer >= 0 || !queueFull(current)) {
      return;
    }
    slowTimer =
        vertx.setTimer(
            Math.max(1, settings.slowClient().toMillis()),
            t -> session.onContext(() -> slowClientTimedOut(current)));
  }

  private void slowClientTimedOut(ServerWebSocket ws) {
    slowTimer = -1;
    if (ws != socket || session.closed() || !queueFull(ws)) {
      return;
    }
    session.log(Level.INFO).log(
        "session {}: client too slow for {}; disconnecting it",
        session.id(),
        settings.slowClient());
    metrics.error("slow_consumer");
    ws.close((short) 4008, "slow_consumer");
  }

  private void cancelSlowTimer() {
    if (slowTimer >= 0) {
      vertx.cancelTimer(slowTimer);
      slowTimer = -1;
    }
  }

  /** The session ends: no grace or slow-client timer fires after it. */
  void cancelTimers() {
    cancelGrace();
    cancelSlowTimer();
  }
}
