package dev.agentfactory.edge.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentfactory.edge.agent.AgentException;
import dev.agentfactory.edge.agent.AgentRef;
import dev.agentfactory.edge.agent.AgentRegistry;
import dev.agentfactory.edge.agent.AgentVersion;
import dev.agentfactory.edge.agent.ModelProviders;
import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.auth.Auth;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.protocol.ClientFrame;
import dev.agentfactory.edge.protocol.FeedbackFrames;
import dev.agentfactory.edge.protocol.FrameCodec;
import dev.agentfactory.edge.protocol.FrameException;
import dev.agentfactory.edge.protocol.RepeatedFields;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket endpoints of sessions: {@code GET /v1/sessions} opens a new one, {@code GET
 * /v1/sessions/{id}?last_seq=N} resumes one whose connection dropped. Keeps the live sessions so a
 * shutdown can close them all.
 */
public final class SessionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(SessionHandler.class);

  private final Vertx vertx;
  private final SandboxLeasing leasing;
  private final InteractionRecorder recorder;
  private final TurnStore turns;
  private final SessionSettings settings;
  private final int maxPerTenant;
  private final EdgeMetrics metrics;
  private final AgentRegistry agents;
  private final ModelProviders providers;
  private final FrameCodec codec = new FrameCodec();
  private final Map<String, Session> live = new ConcurrentHashMap<>();

  /** Live sessions per tenant, for the quota without a scan of every session per open. */
  private final Map<String, Integer> perTenant = new ConcurrentHashMap<>();

  private volatile boolean accepting = true;

  /** Which API keys may no longer hold sessions, by id ({@link #keysChanged}); none until told. */
  private volatile Predicate<String> revokedKeys = keyId -> false;

  /** Without a turn store: feedback reaches only the live sessions of this node. */
  public SessionHandler(
      Vertx vertx,
      SandboxLeasing leasing,
      InteractionRecorder recorder,
      SessionSettings settings,
      int maxPerTenant,
      EdgeMetrics metrics,
      AgentRegistry agents,
      ModelProviders providers) {
    this(
        vertx,
        leasing,
        recorder,
        settings,
        maxPerTenant,
        metrics,
        agents,
        providers,
        TurnStore.NONE);
  }

  /**
   * {@code recorder} should keep turns in {@code turns} ({@link TurnStoreRecorder}) for feedback on
   * sessions that ended or live on another node.
   */
  public SessionHandler(
      Vertx vertx,
      SandboxLeasing leasing,
      InteractionRecorder recorder,
      SessionSettings settings,
      int maxPerTenant,
      EdgeMetrics metrics,
      AgentRegistry agents,
      ModelProviders providers,
      TurnStore turns) {
    this.vertx = vertx;
    this.turns = turns;
    this.leasing = leasing;
    this.recorder = recorder;
    this.settings = settings;
    this.maxPerTenant = maxPerTenant;
    this.metrics = metrics;
    this.agents = agents;
    this.providers = providers;
  }

  /** {@code GET /v1/sessions}: a new session. */
  public void open(RoutingContext ctx) {
    if (!accepting) {
      ApiErrors.send(ctx, 503, "shutting_down", "node is shutting down", null);
      return;
    }
    if (leasing.draining()) {
      // Its pool leases nothing while it drains: a session opened here could never run a command
      ApiErrors.send(
          ctx,
          503,
          "node_draining",
          "node " + leasing.node() + " is draining: open the session on another node",
          null);
      return;
    }
    String tenant = Auth.tenant(ctx);
    Optional<String> keyId = Auth.keyId(ctx);
    // The slot is taken now, before the async agent lookup and upgrade, so opens racing each other
    // cannot all pass the check; every path that does not start the session gives it back.
    int[] held = {0};
    perTenant.compute(
        tenant,
        (t, n) -> {
          held[0] = n == null ? 0 : n;
          return held[0] < maxPerTenant ? held[0] + 1 : n;
        });
    if (held[0] >= maxPerTenant) {
      ApiErrors.tooMany(
          ctx,
          "session_quota",
          "tenant " + tenant + " already holds " + held[0] + " sessions on this node",
          1000);
      return;
    }
    String id = UUID.randomUUID().toString();
    String agentName = ctx.queryParams().get("agent");
    Future<AgentVersion> agent;
    try {
      agent =
          agentName == null
              ? Future.succeededFuture(null)
              : agents.resolve(new AgentRef(tenant, agentName), id);
    } catch (RuntimeException e) {
      agent = Future.failedFuture(e);
    }
    ctx.request().pause();
    agent
        .onFailure(
            e -> {
              unreserve(tenant);
              if (e instanceof AgentException ae && ae.code() == AgentException.Code.NOT_FOUND) {
                ApiErrors.send(ctx, 404, "unknown_agent", "no agent " + agentName, "agent");
              } else {
                ApiErrors.unavailable(
                    ctx, "agent_unavailable", String.valueOf(e.getMessage()), "agent");
              }
            })
        .onSuccess(
            version -> {
              if (ApiErrors.notAnUpgrade(ctx)) {
                unreserve(tenant);
                return;
              }
              // The upgrade may happen after an async step as long as the request stayed paused.
              ctx.request()
                  .toWebSocket()
                  .onSuccess(socket -> start(id, tenant, keyId, version, socket))
                  .onFailure(
                      e -> {
                        unreserve(tenant);
                        LOG.debug("WebSocket upgrade failed", e);
                      });
            });
  }

  /** Gives back a slot {@link #open} reserved for a session that did not start. */
  private void unreserve(String tenant) {
    perTenant.computeIfPresent(tenant, (t, n) -> n <= 1 ? null : n - 1);
  }

  /** Starts a session whose slot {@link #open} reserved; one that cannot start gives it back. */
  private void start(
      String id,
      String tenant,
      Optional<String> keyId,
      AgentVersion version,
      ServerWebSocket socket) {
    Session session;
    try {
      session =
          new Session(
              id,
              tenant,
              keyId,
              vertx,
              vertx.getOrCreateContext(),
              leasing,
              recorder,
              codec,
              settings,
              metrics,
              version,
              version == null ? null : providers.forSpec(tenant, version.spec().model()),
              () -> {
                if (live.remove(id) != null) {
                  unreserve(tenant);
                }
              });
    } catch (RuntimeException e) {
      unreserve(tenant);
      LOG.warn("session {} could not start", id, e);
      socket.close((short) 1011, "internal_error");
      return;
    }
    live.put(id, session);
    session.start(socket);
    // A key revoked while this open was on its way: keysChanged ran before the session was live
    endIfKeyRevoked(session);
  }

  /** {@code GET /v1/sessions/{id}?last_seq=N}: resume a session after a dropped connection. */
  public void resume(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    Session session = live.get(id);
    // Another tenant's session is answered exactly like one that does not exist.
    if (session == null || !session.tenant().equals(Auth.tenant(ctx))) {
      ApiErrors.send(ctx, 404, "unknown_session", "no live session " + id + " on this node", "id");
      return;
    }
    long seen;
    try {
      seen = Long.parseLong(ctx.queryParams().get("last_seq"));
      if (seen < 0) {
        throw new NumberFormatException("negative");
      }
    } catch (NumberFormatException | NullPointerException e) {
      ApiErrors.send(
          ctx, 400, "invalid_field", "last_seq must be the last seq received, e.g. 0", "last_seq");
      return;
    }
    if (ApiErrors.notAnUpgrade(ctx)) {
      return;
    }
    ctx.request()
        .toWebSocket()
        .onSuccess(socket -> session.resume(socket, seen))
        .onFailure(e -> LOG.debug("WebSocket upgrade failed", e));
  }

  /**
   * {@code POST /v1/sessions/{id}/feedback}: the {@code feedback} frame's fields as a JSON body
   * (docs/protocol.md); 201 with the amending event's id once it is on Kafka. A live session of
   * this node answers from memory, in order behind its queued work; a session that ended, lives on
   * another node or whose turn memory no longer holds the turn answers from the {@link TurnStore}.
   */
  public void feedback(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    String tenant = Auth.tenant(ctx);
    Session session = live.get(id);
    // Another tenant's session is answered exactly like one that does not exist.
    if (session == null || !session.tenant().equals(tenant)) {
      // As for a live session, an unknown session is answered before the body is validated.
      String turnId = "";
      try {
        JsonNode root = FEEDBACK_JSON.readTree(ctx.body().asString());
        turnId = root == null ? "" : root.path("turn_id").asText("");
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        // parse() below answers malformed_json if the session exists
      }
      turns
          .find(tenant, id, turnId)
          .onFailure(e -> storeFailed(ctx, id, e))
          .onSuccess(
              lookup -> {
                if (lookup instanceof TurnStore.Lookup.UnknownSession) {
                  unknownSession(ctx, id);
                } else {
                  ClientFrame.Feedback feedback = parse(ctx);
                  if (feedback != null) {
                    fromLookup(ctx, id, feedback, lookup);
                  }
                }
              });
      return;
    }
    ClientFrame.Feedback feedback = parse(ctx);
    if (feedback == null) {
      return;
    }
    session
        .feedbackInOrder(feedback)
        .onSuccess(record -> recorded(ctx, feedback, record))
        .onFailure(
            e -> {
              if (e instanceof FrameException f && f.code().equals("unknown_turn")) {
                // older than the session's turn memory: the store may still have it
                turns
                    .find(tenant, id, feedback.turnId())
                    .onFailure(err -> storeFailed(ctx, id, err))
                    .onSuccess(
                        lookup ->
                            fromLookup(
                                ctx,
                                id,
                                feedback,
                                // the session is live here: what is missing is the turn
                                lookup instanceof TurnStore.Lookup.Found
                                    ? lookup
                                    : new TurnStore.Lookup.UnknownTurn()));
              } else {
                feedbackFailed(ctx, e);
              }
            });
  }

  /** The feedback of the request body, or null after answering 400. */
  private static ClientFrame.Feedback parse(RoutingContext ctx) {
    try {
      JsonNode root = FEEDBACK_JSON.readTree(ctx.body().asString());
      if (root == null || !root.isObject()) {
        ApiErrors.send(ctx, 400, "malformed_json", "the body must be a JSON object", null);
        return null;
      }
      // as a feedback frame is: a comment with half a surrogate pair would reach Kafka as '?'
      FrameCodec.requireNoLoneSurrogate(root, "http");
      return FeedbackFrames.parse(root, "http");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      String repeated = RepeatedFields.fieldOf(e);
      if (repeated != null) {
        ApiErrors.send(ctx, 400, "invalid_field", repeated + " is given more than once", repeated);
        return null;
      }
      ApiErrors.send(ctx, 400, "malformed_json", "body: " + e.getOriginalMessage(), null);
    } catch (FrameException e) {
      ApiErrors.send(ctx, 400, e.code(), e.getMessage(), e.field());
    }
    return null;
  }

  private static void storeFailed(RoutingContext ctx, String sessionId, Throwable e) {
    if (e instanceof UnreadableTurnException unreadable) {
      // Not retriable: the row stays unreadable until the node has the key that sealed it.
      LOG.error("session {}: {}", sessionId, unreadable.getMessage());
      ApiErrors.send(
          ctx,
          500,
          "turn_unreadable",
          unreadable.getMessage()
              + "; the node's session.store.key must include the key that stored it",
          "turn_id");
      return;
    }
    LOG.warn("session {}: the turn store failed a lookup", sessionId, e);
    ApiErrors.unavailable(
        ctx,
        "store_unavailable",
        "the session turn store did not answer; send the feedback again",
        null);
  }

  private static void unknownSession(RoutingContext ctx, String sessionId) {
    ApiErrors.send(
        ctx,
        404,
        "unknown_session",
        "no session "
            + sessionId
            + " with a recorded turn (live on this node or kept for the session turn retention)",
        "id");
  }

  private void fromLookup(
      RoutingContext ctx,
      String sessionId,
      ClientFrame.Feedback feedback,
      TurnStore.Lookup lookup) {
    if (lookup instanceof TurnStore.Lookup.Found found
        && found.event().sessionId().equals(sessionId)) {
      if (recorder.backlogged()) {
        // The back-pressure a live session applies (TurnRecording#backlog): without it the
        // event would fill the publisher's last slots and fail as event_not_recorded.
        ApiErrors.unavailable(
            ctx,
            Session.RECORDING_BACKLOG,
            "this node's interaction events wait for Kafka (it is slow or away); send the request"
                + " again later",
            null);
        return;
      }
      FeedbackRecord record =
          FeedbackRecord.of(
              new StoredTurnRecord(found.event()), feedback.feedback(), feedback.reference());
      recorder
          .record(record)
          .onComplete(
              sent -> {
                metrics.eventPublished(sent.succeeded());
                if (sent.succeeded()) {
                  recorded(ctx, feedback, record);
                } else {
                  ApiErrors.unavailable(
                      ctx,
                      "event_not_recorded",
                      "the feedback's event was not recorded: " + sent.cause().getMessage(),
                      null);
                }
              });
    } else if (lookup instanceof TurnStore.Lookup.UnknownSession) {
      unknownSession(ctx, sessionId);
    } else {
      ApiErrors.send(
          ctx,
          404,
          "unknown_turn",
          "session "
              + sessionId
              + " has no recorded turn with id '"
              + feedback.turnId()
              + "' (kept for the session turn retention)",
          "turn_id");
    }
  }

  private static void recorded(
      RoutingContext ctx, ClientFrame.Feedback feedback, FeedbackRecord record) {
    ctx.response()
        .setStatusCode(201)
        .putHeader("content-type", "application/json")
        .end(
            new io.vertx.core.json.JsonObject()
                .put("turn_id", feedback.turnId())
                .put("event_id", record.eventId().toString())
                .put("amends_event_id", record.turn().eventId().toString())
                .encode());
  }

  private static void feedbackFailed(RoutingContext ctx, Throwable e) {
    if (e instanceof FrameException f && f.code().equals("too_many_pending")) {
      ApiErrors.tooMany(ctx, f.code(), f.getMessage(), 1000);
    } else if (e instanceof FrameException f) {
      switch (f.code()) {
        case "unknown_turn" -> ApiErrors.send(ctx, 404, f.code(), f.getMessage(), f.field());
        case "turn_not_recorded" -> ApiErrors.send(ctx, 409, f.code(), f.getMessage(), f.field());
        // recording_backlog, event_not_recorded: retriable
        default -> ApiErrors.unavailable(ctx, f.code(), f.getMessage(), f.field());
      }
    } else {
      ctx.fail(e);
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper FEEDBACK_JSON =
      RepeatedFields.strictMapper();

  /**
   * This node's copy of the API keys changed: ends every session opened with a key that {@code
   * revoked} now names, with a fatal {@code key_revoked} and close 4401 ({@link
   * Session#keyRevoked}), and from now on asks {@code revoked} about each session that starts.
   * Sessions of the admin key, and all sessions with auth off, carry no key id and never end this
   * way. From any thread.
   */
  public void keysChanged(Predicate<String> revoked) {
    revokedKeys = revoked;
    live.values().forEach(this::endIfKeyRevoked);
  }

  private void endIfKeyRevoked(Session session) {
    if (session.keyId().filter(revokedKeys).isPresent()) {
      session.keyRevoked();
    }
  }

  public int liveSessions() {
    return live.size();
  }

  /**
   * The node has started to drain: ends every session whose client is gone and that only waits for
   * a resume, so its lease does not hold the drain up for the resume grace. Sessions with a client
   * attached carry on; one whose client goes later ends then ({@link SandboxLeasing#draining()}).
   */
  public void endDetached() {
    live.values().forEach(Session::endIfDetached);
  }

  /**
   * Stops accepting sessions and ends the live ones: each is told ({@code shutting_down}, close
   * 1001) and its sandbox released.
   */
  public Future<Void> shutdown() {
    accepting = false;
    return Future.join(live.values().stream().map(Session::shutdown).toList()).mapEmpty();
  }
}
