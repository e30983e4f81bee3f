package dev.agentfactory.edge.session;

import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.protocol.FrameCodec;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/sessions} upgraded to a WebSocket: opens a {@link Session} per connection and
 * keeps track of the live ones so that a shutdown can close them all.
 */
public final class SessionHandler implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(SessionHandler.class);

  private final Vertx vertx;
  private final SandboxLeasing leasing;
  private final InteractionRecorder recorder;
  private final int maxFrameBytes;
  private final EdgeMetrics metrics;
  private final FrameCodec codec = new FrameCodec();
  private final Map<String, Session> live = new ConcurrentHashMap<>();
  private volatile boolean accepting = true;

  public SessionHandler(
      Vertx vertx,
      SandboxLeasing leasing,
      InteractionRecorder recorder,
      int maxFrameBytes,
      EdgeMetrics metrics) {
    this.vertx = vertx;
    this.leasing = leasing;
    this.recorder = recorder;
    this.maxFrameBytes = maxFrameBytes;
    this.metrics = metrics;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (!accepting) {
      ctx.response().setStatusCode(503).end("node is shutting down");
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
                      vertx.getOrCreateContext(),
                      socket,
                      leasing,
                      recorder,
                      codec,
                      maxFrameBytes,
                      metrics,
                      () -> live.remove(id));
              live.put(id, session);
              session.start();
            })
        .onFailure(e -> LOG.debug("WebSocket upgrade failed", e));
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
