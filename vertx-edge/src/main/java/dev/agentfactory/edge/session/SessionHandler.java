package dev.agentfactory.edge.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentfactory.edge.agent.AgentException;
import dev.agentfactory.edge.agent.AgentRef;
import dev.agentfactory.edge.agent.AgentRegistry;
import dev.agentfactory.edge.agent.AgentVersion;
import dev.agentfactory.edge.agent.ModelProviders;
import dev.agentfactory.edge.auth.ApiErrors;
import dev.agentfactory.edge.auth.Auth;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.protocol.ClientFrame;
import dev.agentfactory.edge.protocol.FeedbackFrames;
import dev.agentfactory.edge.protocol.FrameCodec;
import dev.agentfactory.edge.protocol.FrameException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
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

  public SessionHandler(
      Vertx vertx,
      SandboxLeasing leasing,
      InteractionRecorder recorder,
      SessionSettings settings,
      int maxPerTenant,
      EdgeMetrics metrics,
      AgentRegistry agents,
      ModelProviders providers) {
    this.vertx = vertx;
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
    String tenant = Auth.tenant(ctx);
    int held = perTenant.getOrDefault(tenant, 0);
    if (held >= maxPerTenant) {
      ApiErrors.tooMany(
          ctx,
          "session_quota",
          "tenant " + tenant + " already holds " + held + " sessions on this node",
          1000);
      return;
    }
    String id = UUID.randomUUID().toString();
    String agentName = ctx.queryParams().get("agent");
    Future<AgentVersion> agent =
        agentName == null
            ? Future.succeededFuture(null)
            : agents.resolve(new AgentRef(tenant, agentName), id);
    ctx.request().pause();
    agent
        .onFailure(
            e -> {
              if (e instanceof AgentException ae && ae.code() == AgentException.Code.NOT_FOUND) {
                ApiErrors.send(ctx, 404, "unknown_agent", "no agent " + agentName, "agent");
              } else {
                ApiErrors.send(
                    ctx, 503, "agent_unavailable", String.valueOf(e.getMessage()), "agent");
              }
            })
        .onSuccess(
            version ->
                // The upgrade may happen after an async step as long as the request stayed paused.
                ctx.request()
                    .toWebSocket()
                    .onSuccess(socket -> start(id, tenant, version, socket))
                    .onFailure(e -> LOG.debug("WebSocket upgrade failed", e)));
  }

  private void start(String id, String tenant, AgentVersion version, ServerWebSocket socket) {
    Session session =
        new Session(
            id,
            tenant,
            vertx,
            vertx.getOrCreateContext(),
            leasing,
            recorder,
            codec,
            settings,
            metrics,
            version,
            version == null ? null : providers.forSpec(version.spec().model()),
            () -> {
              if (live.remove(id) != null) {
                perTenant.computeIfPresent(tenant, (t, n) -> n <= 1 ? null : n - 1);
              }
            });
    live.put(id, session);
    perTenant.merge(tenant, 1, Integer::sum);
    session.start(socket);
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
    ctx.request()
        .toWebSocket()
        .onSuccess(socket -> session.resume(socket, seen))
        .onFailure(e -> LOG.debug("WebSocket upgrade failed", e));
  }

  /**
   * {@code POST /v1/sessions/{id}/feedback}: the {@code feedback} frame's fields as a JSON body
   * (docs/protocol.md); 201 with the amending event's id once it is on Kafka.
   */
  public void feedback(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    Session session = live.get(id);
    if (session == null || !session.tenant().equals(Auth.tenant(ctx))) {
      ApiErrors.send(ctx, 404, "unknown_session", "no live session " + id + " on this node", "id");
      return;
    }
    ClientFrame.Feedback feedback;
    try {
      JsonNode root = FEEDBACK_JSON.readTree(ctx.body().asString());
      if (root == null || !root.isObject()) {
        ApiErrors.send(ctx, 400, "malformed_json", "the body must be a JSON object", null);
        return;
      }
      feedback = FeedbackFrames.parse(root, "http");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      ApiErrors.send(ctx, 400, "malformed_json", "body: " + e.getOriginalMessage(), null);
      return;
    } catch (FrameException e) {
      ApiErrors.send(ctx, 400, e.code(), e.getMessage(), e.field());
      return;
    }
    session
        .recordFeedback(feedback)
        .onSuccess(
            record ->
                ctx.response()
                    .setStatusCode(201)
                    .putHeader("content-type", "application/json")
                    .end(
                        new io.vertx.core.json.JsonObject()
                            .put("turn_id", feedback.turnId())
                            .put("event_id", record.eventId().toString())
                            .put("amends_event_id", record.turn().eventId().toString())
                            .encode()))
        .onFailure(
            e -> {
              if (e instanceof FrameException f) {
                int status =
                    switch (f.code()) {
                      case "unknown_turn" -> 404;
                      case "turn_not_recorded" -> 409;
                      default -> 503;
                    };
                ApiErrors.send(ctx, status, f.code(), f.getMessage(), f.field());
              } else {
                ctx.fail(e);
              }
            });
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper FEEDBACK_JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  public int liveSessions() {
    return live.size();
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
