package dev.agentfactory.edge.session;

import dev.agentfactory.connectors.event.TurnOutcome;
import dev.agentfactory.edge.agent.AgentVersion;
import dev.agentfactory.edge.api.OversizedMessages;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.model.ModelProvider;
import dev.agentfactory.edge.protocol.ClientFrame;
import dev.agentfactory.edge.protocol.FrameCodec;
import dev.agentfactory.edge.protocol.FrameException;
import dev.agentfactory.edge.protocol.ServerFrame;
import dev.agentfactory.edge.tools.SessionTools;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.OutputListener;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
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
 * <p>All fields are confined to the session's Vert.x context: socket handlers and sandbox callbacks
 * hop onto it before touching anything.
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
   * session, as the other lost-lease codes are, but a sandbox end like any other ({@link
   * #sandboxEnded}).
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

  static final int REPLAY_FRAMES = 4096;
  static final long REPLAY_CHARS = 4L << 20;

  private final String id;
  private final String tenant;

  /** The API key that opened the session; empty for the admin key and with auth off. */
  private final Optional<String> keyId;

  private final Vertx vertx;
  private final Context context;
  private final SandboxLeasing leases;
  private final InteractionRecorder recorder;
  private final FrameCodec codec;
  private final SessionSettings settings;
  private final EdgeMetrics metrics;
  private final Runnable onEnd;
  private final ReplayBuffer replay = new ReplayBuffer(REPLAY_FRAMES, REPLAY_CHARS);

  /** The session's agent, or null for a plain session that only runs commands. */
  private final AgentLoop agent;

  private ServerWebSocket socket;
  private long graceTimer = -1;

  /** Where the sandbox is while the session idles; changed only through {@link #lifecycle}. */
  private enum Sleep {
    AWAKE,
    PAUSED,
    HIBERNATED
  }

  private Sleep sleep = Sleep.AWAKE;

  /** Pause, hibernate and wake run one after another; work waits for the chain. */
  private Future<Void> lifecycle = Future.succeededFuture();

  private long idleTimer = -1;

  /** Runs while the attached socket is backed up; cut off at {@code slowClient}. -1 if none. */
  private long slowTimer = -1;

  private int turn;

  /** Requests queued and not yet answered, the running one included. */
  private int pending;

  /** Interaction events this session handed to the recorder that Kafka has not yet answered. */
  private int unacked;

  private boolean closed;
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

  /** Turns feedback can name, by request id; the most recent {@value #REMEMBERED_TURNS}. */
  private final Map<String, Future<SessionRecord>> recordedTurns =
      new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Future<SessionRecord>> eldest) {
          return size() > REMEMBERED_TURNS;
        }
      };

  /** Completes when the previous command has finished; the next one chains on it. */
  private Future<Void> tail = Future.succeededFuture();

  /** The execs and messages queued or running, in arrival order: what a cancel can name. */
  private final List<Work> open = new java.util.ArrayList<>();

  /** The exec or message that runs now; null while none does (or feedback runs). */
  private Work running;

  /** The lease in flight or done, shared by whatever needs the sandbox; null until first need. */
  private Future<LeasedSandbox> leasing;

  /** Set by {@link #end} while a lease is in flight: completes once that lease is given back. */
  private Promise<Void> lateRelease;

  /** The agent loop waits for the socket to drain; released by a drain, a close or the end. */
  private Runnable drainWaiter;

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
    this.vertx = vertx;
    this.context = context;
    this.leases = leasing;
    this.recorder = recorder;
    this.codec = codec;
    this.settings = settings;
    this.metrics = metrics;
    this.onEnd = onEnd;
    this.agent =
        agentVersion == null
            ? null
            : new AgentLoop(
                agentVersion,
                provider,
                new LoopIo(),
                new SessionTools(vertx, context, agentVersion.spec(), this::toolSandbox));
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

  /** Opens the session on its first socket; the sandbox comes with the first work that needs it. */
  void start(ServerWebSocket first) {
    onContext(
        () -> {
          metrics.sessionOpened();
          attach(first);
          send(
              new ServerFrame.SessionReady(
                  id,
                  leases.node(),
                  leases.isolation(),
                  agent == null ? null : agent.version().agent().name(),
                  agent == null ? null : agent.version().label()));
        });
  }

  /**
   * The session's sandbox, leased on first call; later calls share the same lease. A failed lease
   * is forgotten, so the next command tries again. A sandbox that ended under the session (the pool
   * ended it at its template's lifetime or idle limit, or it died) and was not dropped when it
   * ended ({@link #sandboxEnded}: a sandbox that cannot tell, or a race with this work) is dropped
   * first, and the client told: this work leases a fresh one.
   */
  private Future<LeasedSandbox> sandbox() {
    if (closed) {
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
                id,
                tenant,
                agent == null ? TEMPLATE : agent.version().spec().sandboxTemplate(),
                agent == null ? LeaseOptions.NONE : agent.version().spec().leaseOptions());
      } catch (RuntimeException e) {
        // e.g. lease options that cannot be built: a failed lease, never a stuck session
        lease = Future.failedFuture(e);
      }
      // A lease that fails at once completes here and resets `leasing`: return this attempt's
      // future, never the field (it would be null, and the command queue would stall).
      lease.onComplete(ar -> onContext(() -> leaseDone(ar, leaseStart, done)));
    }
    return current;
  }

  private void leaseDone(
      io.vertx.core.AsyncResult<LeasedSandbox> ar, long leaseStart, Promise<LeasedSandbox> done) {
    if (ar.failed()) {
      leasing = null;
      log(Level.WARN).setCause(ar.cause()).log("session {}: no sandbox could be leased", id);
      if (lateRelease != null) {
        lateRelease.tryComplete();
      }
      done.fail(ar.cause());
    } else if (closed) {
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
              onContext(
                  () -> {
                    if (leased == sandbox && !SANDBOX_HOST_LEFT.equals(code)) {
                      sendFatal(code, "the session's sandbox is lost: " + code, (short) 1011);
                    }
                  }));
      // The pool may end the sandbox while the session idles (lifetime or idle limit, a death):
      // the client is told then, not at its next command. Always a hop, never inline: a sandbox
      // that ended already completes this at once, and the work waiting for it runs first.
      sandbox
          .sandbox()
          .whenTerminated()
          .thenAccept(why -> context.runOnContext(v -> sandboxEnded(sandbox, why)));
      touch();
      send(
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
   * A client reconnects after seeing frames up to {@code seenSeq}: it gets the frames it missed,
   * then the session carries on. A socket still attached is closed (the newest connection wins).
   */
  void resume(ServerWebSocket next, long seenSeq) {
    onContext(
        () -> {
          if (closed) {
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
                codec.encode(
                    0, new ServerFrame.Error(null, "resume_gap", message, "last_seq", true)));
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
        });
  }

  private void attach(ServerWebSocket ws) {
    socket = ws;
    // Vert.x gives the text first and the frame after; the frame says whether it was UTF-8
    Utf8TextMessages utf8 = new Utf8TextMessages();
    ws.textMessageHandler(utf8::joined);
    ws.frameHandler(
        frame -> {
          Utf8TextMessages.Message message = utf8.frame(frame);
          if (message != null) {
            onContext(() -> onText(ws, message.text()));
          }
        });
    ws.binaryMessageHandler(buffer -> onContext(() -> onBinary(ws, buffer)));
    ws.closeHandler(v -> onContext(() -> onSocketClosed(ws)));
    // One drain handler for both users of it (a socket has one): the slow-client clock and the
    // agent loop waiting to stream on
    ws.drainHandler(v -> onContext(() -> onDrained(ws)));
    ws.exceptionHandler(
        e -> {
          if (OversizedMessages.closeIfOversized(ws, e)) {
            onContext(() -> onOversizedMessage(ws));
          } else {
            log(Level.DEBUG).setCause(e).log("session {}: socket error", id);
          }
        });
  }

  /**
   * The client sent a message over the WebSocket limit, which closes its connection with 1009
   * (docs/protocol.md#errors). It ends the connection, not the session: the client may resume. What
   * the socket still delivers (the rest of the message, frames behind it) is ignored.
   */
  private void onOversizedMessage(ServerWebSocket ws) {
    if (ws != socket || closed) {
      return;
    }
    log(Level.INFO).log("session {}: a message over the WebSocket limit; closing with 1009", id);
    metrics.frameReceived("invalid");
    detach();
  }

  private void onSocketClosed(ServerWebSocket ws) {
    if (ws != socket || closed) {
      return; // an older socket, replaced by a resume
    }
    Short code = ws.closeStatusCode();
    if (code != null && (code == 1000 || code == 1001)) {
      socket = null;
      cancelSlowTimer();
      releaseDrainWaiter();
      end(); // the client said goodbye
      return;
    }
    detach();
  }

  /**
   * The connection is gone: keep the session (and its sandbox) for the client to resume; unless the
   * node drains, which ends it at once ({@link #endIfDetached}).
   */
  private void detach() {
    socket = null;
    cancelSlowTimer();
    releaseDrainWaiter();
    if (leases.draining()) {
      log(Level.INFO).log("session {}: client gone while the node drains; ending it", id);
      end();
      return;
    }
    graceTimer =
        vertx.setTimer(
            Math.max(1, settings.resumeGrace().toMillis()), t -> onContext(this::graceExpired));
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
          if (socket == null && !closed) {
            log(Level.INFO).log("session {}: no client attached as the node drains; ending it", id);
            end();
          }
        });
  }

  private void graceExpired() {
    graceTimer = -1;
    if (socket == null && !closed) {
      log(Level.INFO)
          .log("session {}: not resumed within {}; ending it", id, settings.resumeGrace());
      end();
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

  private void onBinary(ServerWebSocket ws, Buffer buffer) {
    if (ws != socket) {
      return;
    }
    touch();
    metrics.frameReceived("invalid");
    send(
        new ServerFrame.Error(
            null, "unsupported_frame", "binary frames are not part of the protocol", null, false));
  }

  /** A text message; {@code text} is null when its bytes were not UTF-8. */
  private void onText(ServerWebSocket ws, String text) {
    if (ws != socket) {
      return;
    }
    touch();
    if (text == null) {
      metrics.frameReceived("invalid");
      send(
          new ServerFrame.Error(
              null,
              "malformed_json",
              "frame is not valid UTF-8 (a text message must be UTF-8)",
              null,
              false));
      return;
    }
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
      Work work =
          new Work(
              exec.id(),
              Work.Kind.EXEC,
              () -> send(new ServerFrame.ExecExit(exec.id(), CANCELLED, null, 0, false)));
      enqueue(work, () -> sandbox().transform(ar -> leased(exec, work, ar)));
    } else if (frame instanceof ClientFrame.Cancel cancel) {
      metrics.frameReceived("cancel");
      cancel(cancel);
    } else if (frame instanceof ClientFrame.Feedback feedback) {
      metrics.frameReceived("feedback");
      feedbackInOrder(feedback)
          .onComplete(
              done -> {
                if (done.succeeded()) {
                  send(feedbackRecorded(feedback, done.result()));
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
        enqueue(work, () -> runTurn(message, work));
      }
    }
  }

  /**
   * Records feedback behind the work queued before it, so feedback on a command or message sent
   * just before finds its turn; the frame and {@code POST /v1/sessions/{id}/feedback} alike. From
   * any thread. Fails as {@link #recordFeedback} does, or with {@code too_many_pending} when
   * {@value #MAX_PENDING} requests already wait.
   */
  Future<FeedbackRecord> feedbackInOrder(ClientFrame.Feedback feedback) {
    Promise<FeedbackRecord> result = Promise.promise();
    onContext(
        () -> {
          if (queueFull()) {
            result.fail(
                new FrameException(
                    "too_many_pending",
                    MAX_PENDING + " requests are already queued; wait for their answers",
                    null,
                    feedback.id()));
            return;
          }
          String backlog = recordingBacklog();
          if (backlog != null) {
            result.fail(new FrameException(RECORDING_BACKLOG, backlog, null, feedback.id()));
            return;
          }
          pending++;
          tail =
              tail.transform(
                  ar ->
                      recordFeedback(feedback)
                          .andThen(result)
                          .transform(
                              done -> {
                                pending--;
                                touch();
                                return Future.succeededFuture();
                              }));
        });
    return result.future();
  }

  /**
   * Whether {@value #MAX_PENDING} requests already wait behind the running one. {@code pending}
   * counts the running request too, so the queue is full only above the bound (it refused the 16th
   * waiting request before).
   */
  private boolean queueFull() {
    return pending > MAX_PENDING;
  }

  /**
   * Why new work must wait for the data plane, or null: this session already has {@link
   * SessionSettings#maxUnackedEvents()} events Kafka has not acknowledged, or the node's publisher
   * is backlogged. Back-pressure instead of more events the publisher might have to refuse.
   */
  private String recordingBacklog() {
    if (unacked >= settings.maxUnackedEvents()) {
      return unacked
          + " interaction events of this session are not yet acknowledged by Kafka (it is slow or"
          + " away); send the request again later";
    }
    if (recorder.backlogged()) {
      return "this node's interaction events wait for Kafka (it is slow or away); send the request"
          + " again later";
    }
    return null;
  }

  /**
   * A cancel frame: the earliest exec or message with the target's id that is not cancelled yet
   * stops (docs/protocol.md#cancelling). Not queued: it acts at once, ahead of the work it stops.
   */
  private void cancel(ClientFrame.Cancel cancel) {
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
        send(new ServerFrame.CancelAccepted(cancel.id(), cancel.target(), "running"));
        return;
      }
      send(
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
    log(Level.DEBUG).log("session {}: cancel {} of {} ({})", id, cancel.id(), target.id(), state);
    send(new ServerFrame.CancelAccepted(cancel.id(), cancel.target(), state));
    if (!target.started()) {
      // It never runs: out of the queue now, its slot free; its chain step finds it cancelled
      open.remove(target);
      pending--;
      target.cancel();
      touch();
    } else {
      target.cancel();
    }
  }

  /** Queues work behind whatever runs now, unless the queue or the data plane is full. */
  private void enqueue(Work work, Supplier<Future<Void>> job) {
    String requestId = work.id();
    if (queueFull()) {
      send(
          new ServerFrame.Error(
              requestId,
              "too_many_pending",
              MAX_PENDING + " commands are already queued; wait for exec.exit frames",
              null,
              false));
      return;
    }
    String backlog = recordingBacklog();
    if (backlog != null) {
      send(new ServerFrame.Error(requestId, RECORDING_BACKLOG, backlog, null, false));
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
              if (ar.failed() || closed) {
                pending--;
                open.remove(work);
                return Future.failedFuture(
                    ar.failed() ? ar.cause() : new IllegalStateException("closed"));
              }
              work.start();
              running = work;
              LeasedSandbox held = leased;
              return wake()
                  .transform(
                      awake ->
                          awake.failed()
                              ? wakeFailed(held, awake.cause())
                              : Future.<Void>succeededFuture())
                  .compose(v -> job.get())
                  .transform(
                      done -> {
                        pending--;
                        open.remove(work);
                        running = null;
                        touch();
                        return Future.succeededFuture();
                      });
            });
  }

  /** Runs a command once its sandbox is leased, or says why there is none (the session lives). */
  private Future<Void> leased(
      ClientFrame.Exec exec, Work work, io.vertx.core.AsyncResult<LeasedSandbox> ar) {
    if (work.cancelled()) {
      // cancelled while its sandbox was leased or woken: it never ran, so nothing is recorded
      work.answerNeverRan();
      return Future.succeededFuture();
    }
    if (ar.failed()) {
      send(
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
    int thisTurn = ++turn;
    Instant startedAt = Instant.now();
    long startNanos = System.nanoTime();
    StringBuilder recorded = new StringBuilder();
    return execInSandbox(
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
                    CANCELLED,
                    null,
                    Duration.ofNanos(System.nanoTime() - startNanos),
                    false);
                return;
              }
              if (ar.failed() && lost(sandbox, exec.id(), ar.cause())) {
                return; // the client was told sandbox_lost, with this command's id
              }
              if (ar.failed()) {
                send(
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

  /**
   * Runs a command in the leased sandbox for {@code owner}; {@code onText} gets its output decoded
   * as UTF-8, on the session's context, in order. Cancelling {@code owner} kills the command (the
   * local sandbox kills its process group): the future then fails with a {@link
   * java.util.concurrent.CancellationException} at once, and output still on its way is dropped.
   */
  private Future<ExecResult> execInSandbox(
      LeasedSandbox sandbox,
      List<String> argv,
      Duration timeout,
      BiConsumer<OutputListener.Stream, String> onText,
      Work owner) {
    if (owner != null && owner.cancelled()) {
      return Future.failedFuture(
          new java.util.concurrent.CancellationException("cancelled before it started"));
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
    java.util.concurrent.CompletionStage<ExecResult> running =
        sandbox.sandbox().exec(request, listener);
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
                        error instanceof java.util.concurrent.CompletionException
                                && error.getCause() != null
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
    if (closed || leased != sandbox) {
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

  private Future<Void> runTurn(ClientFrame.Message message, Work work) {
    if (work.cancelled()) {
      // cancelled while its sandbox was woken: it never started, so nothing is recorded
      work.answerNeverRan();
      return Future.succeededFuture();
    }
    int thisTurn = ++turn;
    Instant startedAt = Instant.now();
    work.onCancel(agent::cancelTurn);
    return agent
        .run(message.id(), message.content())
        .andThen(
            ar -> {
              if (ar.failed()) {
                String code =
                    ar.cause() instanceof AgentLoop.AgentTurnException e ? e.code() : "agent_error";
                send(
                    new ServerFrame.Error(
                        message.id(), code, String.valueOf(ar.cause().getMessage()), null, false));
                // Cut short, it is an interaction all the same: what it did and used so far
                TurnOutcome outcome = cutShort(code);
                if (ar.cause() instanceof AgentLoop.AgentTurnException e
                    && e.soFar() != null
                    && outcome != null) {
                  record(
                      message.id(),
                      new AgentTurnRecord(
                          tenant,
                          id,
                          thisTurn,
                          agent.version().agent().name(),
                          agent.version().label(),
                          e.soFar(),
                          startedAt,
                          outcome));
                }
                return;
              }
              AgentLoop.Turn t = ar.result();
              send(
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
              record(
                  message.id(),
                  new AgentTurnRecord(
                      tenant,
                      id,
                      thisTurn,
                      agent.version().agent().name(),
                      agent.version().label(),
                      t,
                      startedAt,
                      TurnOutcome.COMPLETED));
            })
        .transform(ar -> Future.succeededFuture());
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
    onContext(() -> sandbox().map(LeasedSandbox::sandbox).onComplete(tool));
    return tool.future();
  }

  /** The agent loop's view of this session. */
  private final class LoopIo implements AgentLoop.Io {
    @Override
    public void send(ServerFrame frame) {
      Session.this.send(frame);
    }

    @Override
    public boolean writeQueueFull() {
      return queueFull(socket);
    }

    @Override
    public void onDrain(Runnable resume) {
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

    @Override
    public Runnable schedule(Duration delay, Runnable action) {
      long timer =
          vertx.setTimer(Math.max(1, delay.toMillis()), t -> onContext(() -> action.run()));
      return () -> vertx.cancelTimer(timer);
    }

    @Override
    public Future<AgentLoop.ToolRun> exec(
        String requestId, String callId, String command, Duration timeout) {
      StringBuilder out = new StringBuilder();
      StringBuilder err = new StringBuilder();
      Work owner = running; // the message whose turn calls the tool: a cancel of it kills this
      return sandbox()
          .transform(
              leased -> {
                if (leased.failed()) {
                  // Nothing ran: no exit code, and a status that says so
                  return Future.succeededFuture(
                      AgentLoop.ToolRun.commandNotRun(
                          "no sandbox could be leased: " + leased.cause().getMessage()));
                }
                LeasedSandbox sandbox = leased.result();
                long started = System.nanoTime();
                return execInSandbox(
                        sandbox,
                        List.of("/bin/sh", "-c", command),
                        timeout,
                        (stream, text) -> {
                          if (text.isEmpty()) {
                            return;
                          }
                          Session.this.send(
                              new ServerFrame.ToolOutput(
                                  requestId, callId, stream.name().toLowerCase(Locale.ROOT), text));
                          StringBuilder target = stream == OutputListener.Stream.STDOUT ? out : err;
                          if (target.length() < MAX_RECORDED_CHARS) {
                            target.append(
                                text,
                                0,
                                Math.min(text.length(), MAX_RECORDED_CHARS - target.length()));
                          }
                        },
                        owner)
                    .onFailure(e -> lost(sandbox, requestId, e))
                    .map(
                        result -> {
                          String status = result.status().name().toLowerCase(Locale.ROOT);
                          metrics.execFinished(status, result.duration());
                          return new AgentLoop.ToolRun(
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
                          metrics.execFinished(CANCELLED, took);
                          return Future.succeededFuture(
                              AgentLoop.ToolRun.commandCancelled(
                                  out.toString(), err.toString(), took.toMillis()));
                        });
              })
          // The run failed (or could not start) before the sandbox reported an exit code: none
          // is made up
          .otherwise(e -> AgentLoop.ToolRun.commandFailed(String.valueOf(e.getMessage())));
    }
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
    send(new ServerFrame.ExecExit(exec.id(), status, exitCode, durationMs, truncated));
    ExecRecord record =
        new ExecRecord(
            tenant, id, thisTurn, exec.argv(), output, status, exitCode, durationMs, startedAt);
    record(exec.id(), record);
  }

  /**
   * Records feedback on an earlier turn of this session as an amending interaction event; completes
   * once Kafka has it. Fails with a {@link FrameException}: {@code unknown_turn} (field {@code
   * turn_id}) if the session has no recorded turn with that id, {@code turn_not_recorded} if that
   * turn's own event never reached Kafka, {@code event_not_recorded} if the feedback's did not.
   */
  private Future<FeedbackRecord> recordFeedback(ClientFrame.Feedback feedback) {
    Promise<FeedbackRecord> result = Promise.promise();
    onContext(
        () -> {
          Future<SessionRecord> turn = recordedTurns.get(feedback.turnId());
          if (turn == null) {
            result.fail(
                new FrameException(
                    "unknown_turn",
                    "this session has no finished turn with id '"
                        + feedback.turnId()
                        + "' (the last "
                        + REMEMBERED_TURNS
                        + " are kept)",
                    "turn_id",
                    feedback.id()));
            return;
          }
          turn.transform(
                  ar -> {
                    if (ar.failed()) {
                      return Future.<FeedbackRecord>failedFuture(
                          new FrameException(
                              "turn_not_recorded",
                              "turn '"
                                  + feedback.turnId()
                                  + "' was not recorded, so there is no event to amend",
                              "turn_id",
                              feedback.id()));
                    }
                    FeedbackRecord record =
                        FeedbackRecord.of(ar.result(), feedback.feedback(), feedback.reference());
                    return recorder
                        .record(record)
                        .transform(
                            sent -> {
                              metrics.eventPublished(sent.succeeded());
                              return sent.succeeded()
                                  ? Future.succeededFuture(record)
                                  : Future.<FeedbackRecord>failedFuture(
                                      new FrameException(
                                          "event_not_recorded",
                                          "the feedback's event was not recorded: "
                                              + sent.cause().getMessage(),
                                          null,
                                          feedback.id()));
                            });
                  })
              .onComplete(
                  ar ->
                      onContext(
                          () -> {
                            if (ar.succeeded()) {
                              result.complete(ar.result());
                            } else {
                              result.fail(ar.cause());
                            }
                          }));
        });
    return result.future();
  }

  private static ServerFrame.FeedbackRecorded feedbackRecorded(
      ClientFrame.Feedback feedback, FeedbackRecord record) {
    return new ServerFrame.FeedbackRecorded(
        feedback.id(),
        feedback.turnId(),
        record.eventId().toString(),
        record.turn().eventId().toString());
  }

  private void record(String requestId, SessionRecord record) {
    Promise<SessionRecord> recorded = Promise.promise();
    recordedTurns.remove(requestId); // a reused id names the newest turn
    recordedTurns.put(requestId, recorded.future());
    unacked++;
    recorder
        .recordTurn(requestId, record)
        .andThen(
            ar -> {
              if (ar.succeeded()) {
                recorded.complete(record);
              } else {
                recorded.fail(ar.cause());
              }
            })
        .onComplete(
            ar ->
                onContext(
                    () -> {
                      unacked--;
                      metrics.eventPublished(ar.succeeded());
                      if (ar.failed()) {
                        log(Level.WARN)
                            .setCause(ar.cause())
                            .log("session {}: interaction of {} not recorded", id, requestId);
                        send(
                            new ServerFrame.Error(
                                requestId,
                                "event_not_recorded",
                                "the work was done but its interaction event was not recorded: "
                                    + ar.cause().getMessage(),
                                null,
                                false));
                      }
                    }));
  }

  /** Client activity or finished work: the idle clock starts again. */
  private void touch() {
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
      idleTimer = -1;
    }
    if (closed || leased == null || pending > 0 || sleep != Sleep.AWAKE) {
      return;
    }
    long pauseMs = settings.idlePause().toMillis();
    if (pauseMs > 0) {
      idleTimer = vertx.setTimer(pauseMs, t -> onContext(this::idlePause));
    }
  }

  private void idlePause() {
    idleTimer = -1;
    if (closed || leased == null || pending > 0 || sleep != Sleep.AWAKE) {
      return;
    }
    LeasedSandbox held = leased;
    lifecycle =
        lifecycle
            .compose(v -> blocking(() -> held.sandbox().pause()))
            .onSuccess(
                v -> {
                  if (leased != held) {
                    return; // dropped meanwhile (it ended): the next sandbox starts awake
                  }
                  sleep = Sleep.PAUSED;
                  metrics.sandboxTransition("paused");
                  send(new ServerFrame.SandboxStateChanged("paused"));
                  long rest = settings.idleHibernate().toMillis() - settings.idlePause().toMillis();
                  if (settings.idleHibernate().toMillis() > 0) {
                    idleTimer =
                        vertx.setTimer(Math.max(1, rest), t -> onContext(this::idleHibernate));
                  }
                })
            .recover(e -> logged("pause", e));
  }

  private void idleHibernate() {
    idleTimer = -1;
    if (closed || leased == null || pending > 0 || sleep != Sleep.PAUSED) {
      return;
    }
    LeasedSandbox held = leased;
    lifecycle =
        lifecycle
            .compose(v -> blocking(() -> held.sandbox().hibernate()))
            .onSuccess(
                v -> {
                  if (leased != held) {
                    return;
                  }
                  sleep = Sleep.HIBERNATED;
                  metrics.sandboxTransition("hibernated");
                  send(new ServerFrame.SandboxStateChanged("hibernated"));
                })
            .recover(e -> logged("hibernate", e));
  }

  /** Wakes a paused or hibernated sandbox before work runs in it. */
  private Future<Void> wake() {
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
      idleTimer = -1;
    }
    LeasedSandbox held = leased;
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
                        send(new ServerFrame.SandboxStateChanged("running"));
                      });
            });
    return lifecycle;
  }

  /**
   * A sandbox that cannot be woken is as good as gone: it is dropped like one that ended (the
   * client told {@code sandbox_lost}), and the work that woke it leases a fresh one.
   */
  private Future<Void> wakeFailed(LeasedSandbox held, Throwable e) {
    log(Level.WARN).setCause(e).log("session {}: sandbox could not be woken", id);
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
  private boolean lost(LeasedSandbox held, String requestId, Throwable failure) {
    if (held.sandbox().isAlive()
        && !(failure instanceof SandboxException e && SANDBOX_LOST.equals(e.code()))) {
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
    if (leased != held || closed) {
      return;
    }
    leased = null;
    leasing = null;
    endedUnderWork = null;
    sleep = Sleep.AWAKE;
    lifecycle = Future.succeededFuture(); // a failed resume of the old sandbox must not block wakes
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
      idleTimer = -1;
    }
    log(Level.INFO).log("session {}: sandbox {} lost: {}", id, held.sandbox().id(), why);
    releaseQuietly(held);
    send(
        new ServerFrame.Error(
            requestId,
            SANDBOX_LOST,
            "the session's sandbox "
                + held.sandbox().id()
                + " ended ("
                + why
                + "); its files are gone. The next command or tool call leases a new sandbox",
            null,
            false));
  }

  private Future<Void> logged(String what, Throwable e) {
    log(Level.WARN).setCause(e).log("session {}: sandbox {} failed; it stays as it was", id, what);
    return Future.succeededFuture();
  }

  /** Lifecycle calls may write cgroup files or start processes: never on the event loop. */
  private Future<Void> blocking(
      java.util.function.Supplier<java.util.concurrent.CompletionStage<Void>> call) {
    return vertx.executeBlocking(
        () -> {
          call.get().toCompletableFuture().join();
          return (Void) null;
        },
        false);
  }

  /** Numbers the frame, keeps it for a resume, and writes it if a socket is attached. */
  private void send(ServerFrame frame) {
    if (closed) {
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
                  log(Level.DEBUG)
                      .setCause(e)
                      .log("session {}: frame {} not sent", id, frame.type()));
      checkSlowClient(current);
    } catch (IllegalStateException e) {
      // closed on its own event loop between the check and the write
      log(Level.DEBUG).setCause(e).log("session {}: frame {} not sent", id, frame.type());
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

  private void releaseDrainWaiter() {
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
            t -> onContext(() -> slowClientTimedOut(current)));
  }

  private void slowClientTimedOut(ServerWebSocket ws) {
    slowTimer = -1;
    if (ws != socket || closed || !queueFull(ws)) {
      return;
    }
    log(Level.INFO)
        .log("session {}: client too slow for {}; disconnecting it", id, settings.slowClient());
    metrics.error("slow_consumer");
    ws.close((short) 4008, "slow_consumer");
  }

  private void cancelSlowTimer() {
    if (slowTimer >= 0) {
      vertx.cancelTimer(slowTimer);
      slowTimer = -1;
    }
  }

  private void sendFatal(String code, String message, short closeCode) {
    send(new ServerFrame.Error(null, code, message, null, true));
    if (open(socket)) {
      socket.close(closeCode, code);
    }
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
              if (open(socket)) {
                socket.close(closeCode, code);
              }
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
  private Future<Void> end() {
    if (closed) {
      return Future.succeededFuture();
    }
    closed = true;
    cancelGrace();
    cancelSlowTimer();
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
      idleTimer = -1;
    }
    if (agent != null) {
      // First: the running turn must not stream on when released below, nor start more model or
      // tool calls; its command ends with the sandbox, released below. It is recorded as cancelled
      agent.cancel();
    }
    releaseDrainWaiter();
    try {
      metrics.sessionClosed();
      onEnd.run();
      if (agent != null) {
        agent.close();
      }
    } catch (RuntimeException e) {
      log(Level.WARN).setCause(e).log("session {}: ending it failed in part", id);
    }
    Future<Void> release;
    if (leased != null) {
      LeasedSandbox held = leased;
      leased = null;
      release = releaseQuietly(held);
    } else if (leasing != null) {
      // leaseDone sees `closed` and releases what arrives; wait for that, within the bound
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
            log(Level.WARN).setCause(ar.cause()).log("session {}: sandbox release failed", id);
          }
          return Future.<Void>succeededFuture();
        });
  }

  /** {@code release}, or success after {@link #RELEASE_WAIT} if it has not completed by then. */
  private Future<Void> bounded(Future<Void> release) {
    Promise<Void> done = Promise.promise();
    long timer =
        vertx.setTimer(
            RELEASE_WAIT.toMillis(),
            t -> {
              if (done.tryComplete()) {
                log(Level.WARN)
                    .log(
                        "session {}: sandbox not released within {}; the session ends anyway and"
                            + " the release goes on",
                        id,
                        RELEASE_WAIT);
              }
            });
    release.onComplete(
        ar -> {
          vertx.cancelTimer(timer);
          done.tryComplete();
        });
    return done.future();
  }

  /**
   * A log event that carries the session id and tenant as fields (log4j's ThreadContext while it is
   * written: {@code log.format=json} shows them as {@code session_id} and {@code tenant}).
   */
  private LoggingEventBuilder log(Level level) {
    return LOG.atLevel(level).addKeyValue("session_id", id).addKeyValue("tenant", tenant);
  }

  private void onContext(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }
}
