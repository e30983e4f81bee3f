package dev.agentfactory.edge.session;

import dev.agentfactory.edge.agent.AgentVersion;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.model.ModelProvider;
import dev.agentfactory.edge.protocol.ClientFrame;
import dev.agentfactory.edge.protocol.FrameCodec;
import dev.agentfactory.edge.protocol.FrameException;
import dev.agentfactory.edge.protocol.ServerFrame;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One client's session: the frames exchanged with it and, once work needs one, a leased sandbox.
 * Commands run one after another in arrival order; their output streams back as it is produced and
 * each finished command is recorded as an interaction event.
 *
 * <p>The sandbox is leased lazily, by the first command or tool call, not at open: an idle session
 * holds a socket, a replay buffer and a few objects, so one node can keep many thousands of them.
 *
 * <p>A session outlives its WebSocket: when the connection drops without a close frame, the session
 * waits {@code resumeGrace} for the client to reconnect with the last {@code seq} it saw, then
 * replays exactly the frames it missed. A close frame from the client, the grace running out, a
 * drain of the node while no client is attached, or the revocation of the API key that opened it
 * ({@link #keyRevoked}) ends the session and terminates its sandbox.
 *
 * <p>The session is the hub of its parts, each a class of this package: the client's socket and
 * replay buffer ({@link SessionSocket}), the sandbox ({@link SessionSandbox}) and what it does
 * while the session idles ({@link IdleLifecycle}), the request queue ({@link WorkQueue}), the
 * commands ({@link ExecCommands}), the agent's turns ({@link AgentTurns}) and the interaction
 * events ({@link TurnRecording}). All their fields are confined to the session's Vert.x context:
 * socket handlers and sandbox callbacks hop onto it ({@link #onContext}) before touching anything.
 */
final class Session {

  private static final Logger LOG = LoggerFactory.getLogger(Session.class);
  static final String TEMPLATE = "shell";

  /** Commands a client may queue behind the running one before it is told to wait. */
  static final int MAX_PENDING = 16;

  /** The status of a command, and the error code of a turn, that a cancel frame stopped. */
  static final String CANCELLED = "cancelled";

  /** The non-fatal error of work whose sandbox ended under it; the session leases a new one. */
  static final String SANDBOX_LOST = "sandbox_lost";

  /**
   * The lost-lease code of a borrowed sandbox whose host left the cluster: not fatal to the
   * session, as the other lost-lease codes are, but a sandbox end like any other (see {@link
   * SessionSandbox}).
   */
  static final String SANDBOX_HOST_LEFT = "sandbox_host_left";

  /** The fatal error, and close reason, of a session whose API key was revoked. */
  static final String KEY_REVOKED = "key_revoked";

  /** The close status of a session whose API key was revoked: 4000 + HTTP 401, not resumable. */
  static final short KEY_REVOKED_CLOSE = 4401;

  /** The error code of work refused while the session's events wait for Kafka. */
  static final String RECORDING_BACKLOG = "recording_backlog";

  /** How much of a command's output goes into its interaction event. */
  static final int MAX_RECORDED_CHARS = 64 * 1024;

  /** How many recent turns feedback can refer to. */
  static final int REMEMBERED_TURNS = 256;

  /**
   * How long ending a session waits for its sandbox to be released (or for a lease in flight to
   * arrive and be released) before it reports itself ended anyway: a shutdown must finish even when
   * the pool or the cluster does not answer. The release goes on in the background.
   */
  static final Duration RELEASE_WAIT = Duration.ofSeconds(10);

  private final String id;
  private final String tenant;

  /** The API key that opened the session; empty for the admin key and with auth off. */
  private final Optional<String> keyId;

  private final Context context;
  private final SandboxLeasing leases;
  private final FrameCodec codec;
  private final SessionSettings settings;
  private final EdgeMetrics metrics;
  private final Runnable onEnd;

  private final SessionSocket socket;
  private final SessionSandbox sandbox;
  private final IdleLifecycle idle;
  private final WorkQueue queue;
  private final TurnRecording recording;
  private final ExecCommands execs;

  /** The session's agent, or null for a plain session that only runs commands. */
  private final AgentTurns agent;

  private int turn;

  private boolean closed;

  Session(
      String id,
      String tenant,
      Optional<String> keyId,
      Vertx vertx,
      Context context,
      SandboxLeasing leasing,
      InteractionRecorder recorder,
      FrameCodec codec,
      SessionSettings settings,
      EdgeMetrics metrics,
      AgentVersion agentVersion,
      ModelProvider provider,
      Runnable onEnd) {
    this.id = id;
    this.tenant = tenant;
    this.keyId = keyId;
    this.context = context;
    this.leases = leasing;
    this.codec = codec;
    this.settings = settings;
    this.metrics = metrics;
    this.onEnd = onEnd;
    this.socket = new SessionSocket(this, vertx, codec, settings, metrics);
    this.sandbox = new SessionSandbox(this, vertx, context, leasing, metrics, agentVersion);
    this.idle = new IdleLifecycle(this, vertx, settings, metrics);
    this.queue = new WorkQueue(this, metrics);
    this.recording = new TurnRecording(this, recorder, settings, metrics);
    this.execs = new ExecCommands(this, metrics);
    this.agent =
        agentVersion == null
            ? null
            : new AgentTurns(this, vertx, context, metrics, agentVersion, provider);
  }

  String id() {
    return id;
  }

  String tenant() {
    return tenant;
  }

  Optional<String> keyId() {
    return keyId;
  }

  /** Whether the session has ended; nothing is sent, leased or queued after that. */
  boolean closed() {
    return closed;
  }

  /** Whether the node drains: a session whose client leaves then ends at once. */
  boolean nodeDraining() {
    return leases.draining();
  }

  /** The number of the next turn (a command or an agent turn) of this session. */
  int nextTurn() {
    return ++turn;
  }

  SessionSocket socket() {
    return socket;
  }

  SessionSandbox sandbox() {
    return sandbox;
  }

  IdleLifecycle idle() {
    return idle;
  }

  WorkQueue queue() {
    return queue;
  }

  TurnRecording recording() {
    return recording;
  }

  /** Opens the session on its first socket; the sandbox comes with the first work that needs it. */
  void start(ServerWebSocket first) {
    onContext(
        () -> {
          metrics.sessionOpened();
          socket.attach(first);
          send(
              new ServerFrame.SessionReady(
                  id,
                  leases.node(),
                  leases.isolation(),
                  agent == null ? null : agent.loop().version().agent().name(),
                  agent == null ? null : agent.loop().version().label()));
        });
  }

  /**
   * A client reconnects after seeing frames up to {@code seenSeq}: it gets the frames it missed,
   * then the session carries on. A socket still attached is closed (the newest connection wins).
   */
  void resume(ServerWebSocket next, long seenSeq) {
    onContext(() -> socket.resume(next, seenSeq));
  }

  /**
   * The node drains: a session with no client attached ends now, its sandbox released, instead of
   * at the end of its resume grace. Waiting would hold its lease, and so the drain, for the whole
   * grace (by default as long as the drain timeout), for a resume that buys little: the client
   * opens its next session on another node anyway. A session with a client attached carries on.
   */
  void endIfDetached() {
    onContext(
        () -> {
          if (!socket.attached() && !closed) {
            log(Level.INFO).log("session {}: no client attached as the node drains; ending it", id);
            end();
          }
        });
  }

  /** A binary message from the attached client. */
  void onBinary() {
    touch();
    metrics.frameReceived("invalid");
    send(
        new ServerFrame.Error(
            null, "unsupported_frame", "binary frames are not part of the protocol", null, false));
  }

  /**
   * A text message from the attached client, UTF-8 (one that is not closes its connection, 1007:
   * {@link SessionSocket}).
   */
  void onText(String text) {
    touch();
    if (text.length() > settings.maxFrameBytes()
        || text.getBytes(StandardCharsets.UTF_8).length > settings.maxFrameBytes()) {
      metrics.frameReceived("invalid");
      send(
          new ServerFrame.Error(
              null,
              "frame_too_large",
              "frame exceeds the limit of " + settings.maxFrameBytes() + " bytes",
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
    if (frame instanceof ClientFrame.Ping ping) {
      metrics.frameReceived("ping");
      send(new ServerFrame.Pong(ping.id()));
    } else if (frame instanceof ClientFrame.Exec exec) {
      metrics.frameReceived("exec");
      execs.enqueue(exec);
    } else if (frame instanceof ClientFrame.Cancel cancel) {
      metrics.frameReceived("cancel");
      queue.cancel(cancel);
    } else if (frame instanceof ClientFrame.Feedback feedback) {
      metrics.frameReceived("feedback");
      feedbackInOrder(feedback)
          .onComplete(
              done -> {
                if (done.succeeded()) {
                  send(TurnRecording.feedbackRecorded(feedback, done.result()));
                } else if (done.cause() instanceof FrameException e) {
                  send(e.toFrame());
                } else {
                  send(
                      new ServerFrame.Error(
                          feedback.id(),
                          "event_not_recorded",
                          String.valueOf(done.cause().getMessage()),
                          null,
                          false));
                }
              });
    } else if (frame instanceof ClientFrame.Message message) {
      metrics.frameReceived("message");
      if (agent == null) {
        send(
            new ServerFrame.Error(
                message.id(),
                "no_agent",
                "this session has no agent: open it with /v1/sessions?agent=NAME",
                null,
                false));
      } else {
        Work work =
            new Work(
                message.id(),
                Work.Kind.MESSAGE,
                () ->
                    send(
                        new ServerFrame.Error(
                            message.id(),
                            CANCELLED,
                            "the message was cancelled before its turn started",
                            null,
                            false)));
        queue.enqueue(work, () -> agent.runTurn(message, work));
      }
    }
  }

  /**
   * Records feedback behind the work queued before it, so feedback on a command or message sent
   * just before finds its turn; the frame and {@code POST /v1/sessions/{id}/feedback} alike. From
   * any thread. Fails as {@link TurnRecording#recordFeedback} does, or with {@code
   * too_many_pending} when {@value #MAX_PENDING} requests already wait.
   */
  Future<FeedbackRecord> feedbackInOrder(ClientFrame.Feedback feedback) {
    return queue.feedbackInOrder(feedback);
  }

  /** Client activity or finished work: the idle clock starts again. */
  void touch() {
    idle.touch();
  }

  /** Numbers the frame, keeps it for a resume, and writes it if a socket is attached. */
  void send(ServerFrame frame) {
    socket.send(frame);
  }

  void sendFatal(String code, String message, short closeCode) {
    send(new ServerFrame.Error(null, code, message, null, true));
    socket.close(closeCode, code);
    end();
  }

  /**
   * The node is stopping: tells the client (a fatal {@code shutting_down} error, then close 1001),
   * and gives the sandbox back; callable from any thread, more than once. Completes when the
   * sandbox is released.
   */
  Future<Void> shutdown() {
    return endFor(
        "shutting_down",
        "the node is shutting down; open a new session (on another node)",
        (short) 1001);
  }

  /**
   * The API key that opened the session was revoked: ends it as {@link #shutdown} does, with a
   * fatal {@code key_revoked} error and close 4401, whether or not a client is attached (a session
   * waiting for a resume ends too). Work still running is cut short as at any end.
   */
  Future<Void> keyRevoked() {
    log(Level.INFO).log("session {}: its API key {} was revoked; ending it", id, keyId.orElse(""));
    return endFor(
        KEY_REVOKED,
        "the API key that opened this session ("
            + keyId.orElse("")
            + ") was revoked; the session ended and cannot be resumed",
        KEY_REVOKED_CLOSE);
  }

  /**
   * Tells the client why the session ends (a fatal error {@code code}, then close {@code
   * closeCode}) and ends it; from any thread, more than once. Completes when the sandbox is
   * released.
   */
  private Future<Void> endFor(String code, String message, short closeCode) {
    Promise<Void> released = Promise.promise();
    onContext(
        () -> {
          try {
            if (!closed) {
              send(new ServerFrame.Error(null, code, message, null, true));
              socket.close(closeCode, code);
            }
          } catch (RuntimeException e) {
            // Telling the client is a courtesy; ending the session and releasing its sandbox is not
            log(Level.WARN).setCause(e).log("session {}: {} frame not sent", id, code);
          } finally {
            end().onComplete(released);
          }
        });
    return released.future();
  }

  /**
   * Ends the session and gives its sandbox back. Never fails, and completes within {@link
   * #RELEASE_WAIT}: once the sandbox is released, once a lease still in flight has arrived and been
   * released, or when the wait runs out (the release then goes on in the background).
   */
  Future<Void> end() {
    if (closed) {
      return Future.succeededFuture();
    }
    closed = true;
    socket.cancelTimers();
    idle.cancelTimer();
    if (agent != null) {
      // First: the running turn must not stream on when released below, nor start more model or
      // tool calls; its command ends with the sandbox, released below. It is recorded as cancelled
      agent.loop().cancel();
    }
    socket.releaseDrainWaiter();
    try {
      metrics.sessionClosed();
      onEnd.run();
      if (agent != null) {
        agent.loop().close();
      }
    } catch (RuntimeException e) {
      log(Level.WARN).setCause(e).log("session {}: ending it failed in part", id);
    }
    return sandbox.release();
  }

  /**
   * A log event that carries the session id and tenant as fields (log4j's ThreadContext while it is
   * written: {@code log.format=json} shows them as {@code session_id} and {@code tenant}). Every
   * part of the session logs through it, under this class's logger.
   */
  LoggingEventBuilder log(Level level) {
    return LOG.atLevel(level).addKeyValue("session_id", id).addKeyValue("tenant", tenant);
  }

  /**
   * Runs {@code action} on the session's context: at once if already there, else hopping onto it.
   */
  void onContext(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }
}
