package dev.agentfactory.edge;

import dev.agentfactory.edge.api.WebSocketProtocol;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.session.ClusterSandboxLeasing;
import dev.agentfactory.edge.session.SandboxLeasing;
import dev.agentfactory.edge.session.SessionHandler;
import dev.agentfactory.edge.session.SessionSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.time.Duration;
import java.util.function.BiConsumer;

/**
 * Plain sessions (no agent is looked up, nothing recorded) leasing from a real cluster member's
 * warm pool (or from the leasing an IT gives), served on {@code /v1/sessions} of a real HTTP server
 * with the edge's WebSocket settings, for the edge's cluster and WebSocket ITs. The resume grace is
 * ten minutes.
 */
final class ClusterSessionEdge {

  final SessionHandler sessions;
  final EdgeMetrics metrics = new EdgeMetrics();
  final HttpServer server;

  /**
   * @param routes adds the IT's own routes, given the router and the session handler
   */
  ClusterSessionEdge(
      Vertx vertx, OneMemberCluster member, BiConsumer<Router, SessionHandler> routes)
      throws Exception {
    this(
        vertx, new ClusterSandboxLeasing(vertx, member.pool(), "process", member.nodeId()), routes);
  }

  /**
   * @param routes adds the IT's own routes, given the router and the session handler
   */
  ClusterSessionEdge(Vertx vertx, SandboxLeasing leasing, BiConsumer<Router, SessionHandler> routes)
      throws Exception {
    sessions =
        new SessionHandler(
            vertx,
            leasing,
            record -> Future.succeededFuture(),
            new SessionSettings(
                64 * 1024,
                Duration.ofMinutes(10),
                Duration.ZERO,
                Duration.ZERO,
                Duration.ofSeconds(30)),
            100,
            metrics,
            null, // plain sessions: no agent is looked up
            null);
    Router router = Router.router(vertx);
    router.get("/v1/sessions").handler(sessions::open);
    routes.accept(router, sessions);
    server =
        SessionShutdownIT.await(
            vertx
                .createHttpServer(WebSocketProtocol.configure(new HttpServerOptions()))
                .requestHandler(router)
                .listen(0, "127.0.0.1"));
  }

  URI sessionsUri() {
    return URI.create("ws://127.0.0.1:" + server.actualPort() + "/v1/sessions");
  }

  /** Stops serving, then ends the sessions. */
  void close() throws Exception {
    SessionShutdownIT.await(server.close());
    SessionShutdownIT.await(sessions.shutdown());
  }
}
