package dev.agentfactory.edge;

import dev.agentfactory.cluster.pool.WarmPool;
import dev.agentfactory.edge.admin.ClusterLeasesHandler;
import dev.agentfactory.edge.admin.DrainHandler;
import dev.agentfactory.edge.agent.AgentsHandler;
import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.api.ApiRouter;
import dev.agentfactory.edge.api.WebSocketProtocol;
import dev.agentfactory.edge.auth.ApiKeyStore;
import dev.agentfactory.edge.auth.Auth;
import dev.agentfactory.edge.auth.KeysHandler;
import dev.agentfactory.edge.auth.RateLimiter;
import dev.agentfactory.edge.config.NodeConfig;
import dev.agentfactory.edge.dataset.DatasetsHandler;
import dev.agentfactory.edge.eval.EvalHandler;
import dev.agentfactory.edge.eval.LiveEvalBoard;
import dev.agentfactory.edge.health.ComponentStatus;
import dev.agentfactory.edge.health.HealthHandler;
import dev.agentfactory.edge.health.NodeHealth;
import dev.agentfactory.edge.metrics.EdgeMetrics;
import dev.agentfactory.edge.metrics.MetricsHandler;
import dev.agentfactory.edge.pipeline.JobsHandler;
import dev.agentfactory.edge.session.SessionHandler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's HTTP edge: auth on the API key store, the stores behind the API, every route of the
 * contract ({@link ApiRouter}) bound to its handler, and the server listening on {@code http.host}
 * and {@code http.port}. Up first, so that {@code /health} and {@code /ready} answer while the rest
 * of the node starts.
 */
final class EdgeServer {

  // the node's log category, as before this class was split out of it
  private static final Logger LOG = LoggerFactory.getLogger(AgentFactoryNode.class);

  private final AgentFactoryNode node;
  private final Vertx vertx;
  private final NodeHealth health;
  private final EdgeMetrics metrics;
  private final NodeStores stores;
  private final DataPlane data;
  private final LiveEvalBoard evalBoard;
  private HttpServer server;
  private Auth auth;
  private DatasetsHandler datasets;

  EdgeServer(
      AgentFactoryNode node,
      Vertx vertx,
      NodeHealth health,
      EdgeMetrics metrics,
      NodeStores stores,
      DataPlane data,
      LiveEvalBoard evalBoard) {
    this.node = node;
    this.vertx = vertx;
    this.health = health;
    this.metrics = metrics;
    this.stores = stores;
    this.data = data;
    this.evalBoard = evalBoard;
  }

  /** Opens the stores, starts auth and listens; the edge is STARTING until the node is up. */
  void start() {
    NodeConfig config = node.config();
    ApiKeyStore keyStore = stores.openKeyStore();
    auth =
        new Auth(
            vertx,
            config.adminKey(),
            keyStore,
            new RateLimiter(config.rateLimitPerSecond(), config.rateLimitBurst()));
    auth.start().toCompletionStage().toCompletableFuture().join();
    if (!auth.enabled()) {
      LOG.warn("auth is off (no auth.admin.key): every caller is tenant 'default'; loopback only");
    }
    stores.openAgents();
    stores.openTurnStore(metrics);
    stores.startProbing();
    KeysHandler keys = new KeysHandler(auth);
    AgentsHandler agentsApi = new AgentsHandler(stores.agentRegistry(), config.agentsSecrets());
    JobsHandler jobs = new JobsHandler(data::flinkRest, data::pipeline);
    DrainHandler drains = new DrainHandler(node::warmPool, node::endDetachedSessions);
    EvalHandler evalApi = new EvalHandler(evalBoard);
    datasets =
        new DatasetsHandler(
            vertx, config.datasetsDir(), data::lineage, stores.edgeDir().resolve("dataset-cuts"));
    String contract = ApiRouter.contractText();
    Router router =
        ApiRouter.create(
            vertx,
            auth.handler(),
            Map.ofEntries(
                Map.entry("getHealth", new HealthHandler(health)),
                Map.entry("getMetrics", new MetricsHandler(metrics)),
                Map.entry("getReady", this::ready),
                Map.entry(
                    "getOpenApi",
                    ctx ->
                        ctx.response().putHeader("content-type", "application/json").end(contract)),
                Map.entry("openSession", ctx -> whenStarted(ctx, h -> h.open(ctx))),
                Map.entry("resumeSession", ctx -> whenStarted(ctx, h -> h.resume(ctx))),
                Map.entry("sendSessionFeedback", ctx -> whenStarted(ctx, h -> h.feedback(ctx))),
                Map.entry("createKey", keys::create),
                Map.entry("listKeys", keys::list),
                Map.entry("revokeKey", keys::revoke),
                Map.entry("getClusterLeases", new ClusterLeasesHandler(vertx, node::cluster)::get),
                Map.entry("createAgent", agentsApi::create),
                Map.entry("listAgents", agentsApi::list),
                Map.entry("getAgent", agentsApi::get),
                Map.entry("addAgentVersion", agentsApi::addVersion),
                Map.entry("listAgentVersions", agentsApi::versions),
                Map.entry("deployAgent", agentsApi::deploy),
                Map.entry("promoteAgent", agentsApi::promote),
                Map.entry("rollbackAgent", agentsApi::rollback),
                Map.entry("listJobs", jobs::list),
                Map.entry("submitJob", jobs::submit),
                Map.entry("stopJob", jobs::stop),
                Map.entry("listDatasets", datasets::list),
                Map.entry("cutDatasetVersion", datasets::cut),
                Map.entry("getDatasetCut", datasets::cutStatus),
                Map.entry("listDatasetVersions", datasets::versions),
                Map.entry("getDatasetVersion", datasets::version),
                Map.entry("getDatasetFile", datasets::file),
                Map.entry("drainNode", drains::drain),
                Map.entry("getDrainStatus", drains::status),
                Map.entry("getEvalLive", evalApi::live),
                Map.entry("streamEvalLive", evalApi::stream)));
    HttpServerOptions options =
        WebSocketProtocol.configure(
            new HttpServerOptions().setHost(config.httpHost()).setPort(config.httpPort()));
    try {
      server =
          vertx
              .createHttpServer(options)
              .invalidRequestHandler(ApiErrors::invalidRequest)
              .requestHandler(router)
              .listen()
              .toCompletionStage()
              .toCompletableFuture()
              .join();
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "the edge cannot listen on "
              + config.httpHost()
              + ":"
              + config.httpPort()
              + ": "
              + e.getMessage(),
          e);
    }
    health.report(
        NodeHealth.EDGE,
        new ComponentStatus(ComponentStatus.State.STARTING, Map.of("url", node.httpUrl())));
  }

  /**
   * {@code GET /ready}: 200 once sessions are accepted, 503 while starting, draining or stopping or
   * while a component other than the data plane (Kafka, the pipeline job) is unhealthy ({@link
   * NodeHealth#readyForSessions()}).
   */
  private void ready(RoutingContext ctx) {
    WarmPool pool = node.warmPool();
    boolean ready =
        node.sessions() != null
            && !node.isClosed()
            && health.readyForSessions()
            && (pool == null || !pool.drainStatus().draining());
    ctx.response()
        .setStatusCode(ready ? 200 : 503)
        .putHeader("content-type", "application/json")
        .end(ready ? "{\"ready\":true}" : "{\"ready\":false}");
  }

  private void whenStarted(RoutingContext ctx, Consumer<SessionHandler> action) {
    SessionHandler handler = node.sessions();
    if (handler == null) {
      ApiErrors.starting(ctx, "node is starting");
    } else {
      action.accept(handler);
    }
  }

  Auth auth() {
    return auth;
  }

  /** The port the server listens on; fails before it does. */
  int port() {
    return server.actualPort();
  }

  /** The port the server listens on, 0 before it does. */
  int portOrZero() {
    return server == null ? 0 : server.actualPort();
  }

  /** Stops listening: no new sessions or requests. */
  void stopListening() {
    if (server != null) {
      AgentFactoryNode.await(
          "closing the edge", server.close().toCompletionStage().toCompletableFuture());
    }
  }

  /** After the node's components: auth, the dataset workers, then the stores. */
  void close() {
    if (auth != null) {
      auth.close();
    }
    if (datasets != null) {
      AgentFactoryNode.await(
          "closing dataset workers", datasets.close().toCompletionStage().toCompletableFuture());
    }
    stores.close();
  }
}
