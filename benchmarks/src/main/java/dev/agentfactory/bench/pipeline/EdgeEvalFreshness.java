package dev.agentfactory.bench.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentfactory.edge.api.ApiRouter;
import dev.agentfactory.edge.auth.ApiKeyStore;
import dev.agentfactory.edge.auth.Auth;
import dev.agentfactory.edge.auth.RateLimiter;
import dev.agentfactory.edge.eval.EvalHandler;
import dev.agentfactory.edge.eval.LiveEvalBoard;
import dev.agentfactory.edge.eval.LiveEvalConsumer;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live evaluation's freshness where a dashboard sees it: the edge's own classes for {@code
 * /v1/eval/live} as the node wires them ({@link LiveEvalConsumer} reading the eval topic into a
 * {@link LiveEvalBoard}, {@link EvalHandler} behind the contract router and API-key {@link Auth}),
 * on a Vert.x HTTP server on a free port, and one dashboard per tenant: a WebSocket on {@code GET
 * /v1/eval/live/stream} with that tenant's API key (JDK HTTP client, its own threads). Each pushed
 * document is handed to an {@link EvalMatcher} the moment its text message is complete.
 */
final class EdgeEvalFreshness implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ADMIN = "bench-admin-key-0123456789";

  private final Vertx vertx = Vertx.vertx();
  private final ApiKeyStore store;
  private final Auth auth;
  private final LiveEvalConsumer feed;
  private final HttpServer server;
  private final List<WebSocket> dashboards = new ArrayList<>();
  private final AtomicLong pushes = new AtomicLong();

  EdgeEvalFreshness(
      Path dir, String bootstrapServers, String topic, List<String> tenants, EvalMatcher matcher)
      throws Exception {
    store = ApiKeyStore.embedded(dir);
    Map<String, String> keys = new HashMap<>();
    for (String tenant : tenants) {
      keys.put(tenant, store.create(tenant, "bench-dashboard").secret());
    }
    auth = new Auth(vertx, Optional.of(ADMIN), store, new RateLimiter(100, 1000));
    join(auth.start().toCompletionStage());
    LiveEvalBoard board = new LiveEvalBoard();
    feed = new LiveEvalConsumer(bootstrapServers, topic, board).start();
    EvalHandler eval = new EvalHandler(board);
    Map<String, Handler<RoutingContext>> operations = new HashMap<>();
    JsonObject paths = new JsonObject(ApiRouter.contractText()).getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject ops = paths.getJsonObject(path);
      for (String method : ops.fieldNames()) {
        operations.put(
            ops.getJsonObject(method).getString("operationId"),
            ctx -> ctx.response().setStatusCode(501).end());
      }
    }
    operations.put("getEvalLive", eval::live);
    operations.put("streamEvalLive", eval::stream);
    server =
        join(
            vertx
                .createHttpServer()
                .requestHandler(ApiRouter.create(vertx, auth.handler(), operations))
                .listen(0, "127.0.0.1")
                .toCompletionStage());
    HttpClient http = HttpClient.newHttpClient();
    URI stream = URI.create("ws://127.0.0.1:" + server.actualPort() + "/v1/eval/live/stream");
    for (String tenant : tenants) {
      dashboards.add(
          http.newWebSocketBuilder()
              .header("authorization", "Bearer " + keys.get(tenant))
              .buildAsync(stream, new Dashboard(matcher))
              .get(30, TimeUnit.SECONDS));
    }
  }

  /** Documents pushed to the dashboards so far. */
  long pushes() {
    return pushes.get();
  }

  private static <T> T join(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Stamps each whole text message on arrival and hands it to the matcher. */
  private final class Dashboard implements WebSocket.Listener {
    private final EvalMatcher matcher;
    private final StringBuilder partial = new StringBuilder();

    Dashboard(EvalMatcher matcher) {
      this.matcher = matcher;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      long now = System.nanoTime();
      partial.append(data);
      if (last) {
        pushes.incrementAndGet();
        try {
          JsonNode m = JSON.readTree(partial.toString());
          matcher.seen(m, now);
        } catch (IOException e) {
          throw new IllegalStateException("pushed document is not JSON: " + partial, e);
        }
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }
  }

  @Override
  public void close() throws Exception {
    for (WebSocket ws : dashboards) {
      ws.abort();
    }
    feed.close();
    join(server.close().toCompletionStage());
    auth.close();
    join(vertx.close().toCompletionStage());
    store.close();
  }
}
