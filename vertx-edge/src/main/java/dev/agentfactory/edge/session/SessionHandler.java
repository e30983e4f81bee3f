package dev.agentfactory.edge.session;

import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.protocol.FrameCodec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
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
  private final int maxFrameBytes;
  private final Duration resumeGrace;
  private final EdgeMetrics metrics;
  private final FrameCodec codec = new FrameCodec();
  private final Map<String, Session> live = new ConcurrentHashMap<>();
  private volatile boolean accepting = true;

  public SessionHandler(
      Vertx vertx,
      SandboxLeasing leasing,
      InteractionRecorder recorder,
      int maxFrameBytes,
      Duration resumeGrace,
      EdgeMetrics metrics) {
    this.vertx = vertx;
    this.leasing = leasing;
    this.recorder = recorder;
    this.maxFrameBytes = maxFrameBytes;
    this.resumeGrace = resumeGrace;
    this.metrics = metrics;
  }

  /** {@code GET /v1/sessions}: a new session. */
  public void open(RoutingContext ctx) {
    if (!accepting) {
      fail(ctx, 503, "shutting_down", "node is shutting down", null);
      return;
    }
    ctx.request()
        .toWebSocket()
        .onSuccess(
            socket -> {
              String id = UUID.randomUUID().toString();
              Session session =
                  new Session(
                      id,
                      vertx,
                      vertx.getOrCreateContext(),
                      leasing,
                      recorder,
                      codec,
                      maxFrameBytes,
                      resumeGrace,
                      metrics,
                      () -> live.remove(id));
              live.put(id, session);
              session.start(socket);
            })
        .onFailure(e -> LOG.debug("WebSocket upgrade failed", e));
  }

  /** {@code GET /v1/sessions/{id}?last_seq=N}: resume a session after a dropped connection. */
  public void resume(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    Session session = live.get(id);
    if (session == null) {
      fail(ctx, 404, "unknown_session", "no live session " + id + " on this node", "id");
      return;
    }
    long seen;
    try {
      seen = Long.parseLong(ctx.queryParams().get("last_seq"));
    } catch (NumberFormatException | NullPointerException e) {
      fail(ctx, 400, "invalid_field", "last_seq must be the last seq received, e.g. 0", "last_seq");
      return;
    }
    ctx.request()
        .toWebSocket()
        .onSuccess(socket -> session.resume(socket, seen))
        .onFailure(e -> LOG.debug("WebSocket upgrade failed", e));
  }

  private static void fail(
      RoutingContext ctx, int status, String code, String message, String field) {
    JsonObject error = new JsonObject().put("code", code).put("message", message);
    if (field != null) {
      error.put("field", field);
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", error).encode());
  }

  public int liveSessions() {
    return live.size();
  }

  /** Stops accepting sessions and closes the live ones, releasing their sandboxes. */
  public Future<Void> shutdown() {
    accepting = false;
    return Future.join(
            live.values().stream().map(s -> s.close((short) 1001, "node shutting down")).toList())
        .mapEmpty();
  }
}
